//go:build unix

package safefile

import (
	"path/filepath"
	"syscall"
	"testing"
)

func mkfifo(t *testing.T, dir string) (string, bool) {
	p := filepath.Join(dir, "scan.png")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Logf("mkfifo: %v", err)
		return "", false
	}
	return p, true
}
