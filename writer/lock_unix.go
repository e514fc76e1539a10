//go:build unix

package writer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/augsplit/augsplit/schema"
)

// lock holds OUT's lock file, locked with flock for the whole run: a
// second run on the same OUT (another process, or another Open in this
// one: flock belongs to the open file description) fails at once. Seal
// and a one-machine run hold it exclusive; parts hold it shared, so parts
// run together but never beside a seal or a one-machine run.
type lock struct {
	f      *os.File
	path   string
	shared bool
}

// lockDir takes the exclusive lock of dir without waiting. A lock held by
// another exclusive run is a *LockedError naming the holder's pid; a lock
// held shared by parts is a *PartsRunningError.
func lockDir(dir string) (*lock, error) { return lockFile(dir, false) }

// lockShared takes dir's lock shared, for a part: a lock held exclusive
// (a seal, a one-machine run) is a *LockedError.
func lockShared(dir string) (*lock, error) { return lockFile(dir, true) }

func lockFile(dir string, shared bool) (*lock, error) {
	path := filepath.Join(dir, schema.LockFile)
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock output folder: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
			if !errors.Is(err, syscall.EWOULDBLOCK) {
				_ = f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			// The last holder may be removing the file as it lets go:
			// then the lock to take is the one now at path.
			if !atPath(f, path) {
				_ = f.Close()
				continue
			}
			busy := busyError(f, dir, shared)
			_ = f.Close()
			return nil, busy
		}
		// The holder before us may have removed the file between our open
		// and our flock: then we locked a file nobody else will see, and
		// must lock the one now at path instead.
		if atPath(f, path) {
			// Parts share the file: only an exclusive holder says who it is.
			if !shared {
				if err := f.Truncate(0); err == nil {
					_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
				}
			}
			return &lock{f: f, path: path, shared: shared}, nil
		}
		_ = f.Close()
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps being replaced; is another augsplit run starting there?", path)
}

// atPath reports whether f is the file at path.
func atPath(f *os.File, path string) bool {
	var a, b syscall.Stat_t
	return syscall.Fstat(int(f.Fd()), &a) == nil && syscall.Lstat(path, &b) == nil && a.Dev == b.Dev && a.Ino == b.Ino
}

// busyError says who holds f's lock. An exclusive request refused while
// a shared lock can be had means parts hold it.
func busyError(f *os.File, dir string, shared bool) error {
	if !shared && syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return &PartsRunningError{Dir: dir, PIDs: sharers(f)}
	}
	return &LockedError{Dir: dir, PID: holder(f)}
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

// sharers lists the pids holding f's flock shared, from Linux's
// /proc/locks ("1: FLOCK ADVISORY READ 1234 08:01:5678 0 EOF"); nil
// where that file is missing or unreadable.
func sharers(f *os.File) []int {
	var st syscall.Stat_t
	if syscall.Fstat(int(f.Fd()), &st) != nil {
		return nil
	}
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return nil
	}
	defer locks.Close()
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^uint64(0xfff)
	minor := dev&0xff | (dev>>12)&^uint64(0xff)
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, uint64(st.Ino))
	var pids []int
	sc := bufio.NewScanner(locks)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// A blocked request is listed with "->" before its fields.
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[3] != "READ" || fields[5] != want {
			continue
		}
		pid, err := strconv.Atoi(fields[4])
		if err == nil && pid > 0 && !slices.Contains(pids, pid) {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// release lets the lock go. An exclusive holder removes the lock file and
// then unlocks it (removing first, so that no run can lock the file while
// it is still at path after we let go; lockFile checks it locked the file
// at path). A shared holder removes it only when it can take it
// exclusive, that is when it is the last part holding it: a file removed
// under other parts would let a seal lock a new one beside them. Safe on
// nil.
func (l *lock) release() {
	if l == nil || l.f == nil {
		return
	}
	if !l.shared || syscall.Flock(int(l.f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		_ = os.Remove(l.path)
	}
	_ = l.f.Close()
	l.f = nil
}
