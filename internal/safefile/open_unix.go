//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// openNonBlocking opens with O_NONBLOCK: should a FIFO have replaced the
// regular file since stat, open returns at once instead of waiting for a
// writer (fstat then refuses it). On a regular file the flag changes
// nothing.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
