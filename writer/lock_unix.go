//go:build unix

package writer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/augsplit/augsplit/schema"
)

// lock holds OUT's lock file, locked with flock for the whole run: a
// second run on the same OUT (another process, or another Open in this
// one: flock belongs to the open file description) fails at once.
type lock struct {
	f    *os.File
	path string
}

// lockDir takes the exclusive lock of dir without waiting. A lock held by
// another run is a *LockedError naming the holder's pid.
func lockDir(dir string) (*lock, error) {
	path := filepath.Join(dir, schema.LockFile)
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock output folder: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			pid := holder(f)
			_ = f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &LockedError{Dir: dir, PID: pid}
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder before us may have removed the file between our open
		// and our flock: then we locked a file nobody else will see, and
		// must lock the one now at path instead.
		var a, b syscall.Stat_t
		if syscall.Fstat(int(f.Fd()), &a) == nil && syscall.Lstat(path, &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino {
			if err := f.Truncate(0); err == nil {
				_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			}
			return &lock{f: f, path: path}, nil
		}
		_ = f.Close()
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps being replaced; is another augsplit run starting there?", path)
}

// holder reads the pid a lock holder wrote, or 0.
func holder(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(string(bytes.TrimSpace(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// release removes the lock file and then unlocks it (removing first, so
// that no run can lock the file while it is still at path after we let
// go; lockDir checks it locked the file at path). Safe on nil.
func (l *lock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = os.Remove(l.path)
	_ = l.f.Close()
	l.f = nil
}
