//go:build !unix

package safefile

import "os"

// openNonBlocking is a plain open where there is no O_NONBLOCK: the stat
// before it still refuses named pipes and devices.
func openNonBlocking(path string) (*os.File, error) {
	return os.Open(path)
}
