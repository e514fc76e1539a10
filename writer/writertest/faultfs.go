// Package writertest helps test code that writes through writer: a
// writer.FS that fails the way disks do, as net/http/httptest helps test
// HTTP code. It is for tests only.
package writertest

import (
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/augsplit/augsplit/writer"
)

// FaultFS wraps a writer.FS and injects the failures a long run meets in
// the field: a disk that fills up part-way and a folder that cannot be
// written. It is safe for concurrent use.
type FaultFS struct {
	Base writer.FS // nil means writer.OS

	mu       sync.Mutex
	limited  bool
	budget   int64
	written  int64
	readOnly []string
}

var _ writer.FS = (*FaultFS)(nil)

// FailWritesAfter makes writes fail with ENOSPC once n more bytes have been
// written through any file of f; the write that crosses the limit writes
// what fits and then fails, as a real full disk does.
func (f *FaultFS) FailWritesAfter(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited, f.budget = true, n
}

// ReadOnly makes dir and everything below it refuse creation, renaming and
// removal with a permission error.
func (f *FaultFS) ReadOnly(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.readOnly = append(f.readOnly, filepath.Clean(dir))
}

// Written reports how many bytes have been written through f's files, to
// place a FailWritesAfter limit part-way through a run measured first.
func (f *FaultFS) Written() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written
}

func (f *FaultFS) base() writer.FS {
	if f.Base == nil {
		return writer.OS
	}
	return f.Base
}

func (f *FaultFS) check(op, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := filepath.Clean(path)
	for _, d := range f.readOnly {
		if p == d || strings.HasPrefix(p, d+string(filepath.Separator)) {
			return &fs.PathError{Op: op, Path: path, Err: fs.ErrPermission}
		}
	}
	return nil
}

// take reserves up to n bytes of the budget and reports how many may be
// written and whether the disk is now full.
func (f *FaultFS) take(n int) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.limited {
		f.written += int64(n)
		return n, false
	}
	if int64(n) <= f.budget {
		f.budget -= int64(n)
		f.written += int64(n)
		return n, false
	}
	ok := int(f.budget)
	f.budget = 0
	f.written += int64(ok)
	return ok, true
}

func (f *FaultFS) MkdirAll(path string, perm fs.FileMode) error {
	if err := f.check("mkdir", path); err != nil {
		// Existing directories are fine, as with a real read-only folder.
		if fi, serr := f.base().Stat(path); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return f.base().MkdirAll(path, perm)
}

func (f *FaultFS) CreateTemp(dir, pattern string) (writer.File, error) {
	if err := f.check("open", filepath.Join(dir, pattern)); err != nil {
		return nil, err
	}
	file, err := f.base().CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *FaultFS) Rename(oldpath, newpath string) error {
	if err := f.check("rename", newpath); err != nil {
		return err
	}
	return f.base().Rename(oldpath, newpath)
}

func (f *FaultFS) Remove(path string) error {
	if err := f.check("remove", path); err != nil {
		return err
	}
	return f.base().Remove(path)
}

func (f *FaultFS) RemoveAll(path string) error {
	if err := f.check("remove", path); err != nil {
		return err
	}
	return f.base().RemoveAll(path)
}

func (f *FaultFS) Stat(path string) (fs.FileInfo, error)      { return f.base().Stat(path) }
func (f *FaultFS) ReadFile(path string) ([]byte, error)       { return f.base().ReadFile(path) }
func (f *FaultFS) ReadDir(path string) ([]fs.DirEntry, error) { return f.base().ReadDir(path) }
func (f *FaultFS) Open(path string) (io.ReadCloser, error)    { return f.base().Open(path) }

// Link fails like a write into a read-only folder would.
func (f *FaultFS) Link(oldpath, newpath string) error {
	if err := f.check("link", newpath); err != nil {
		return err
	}
	return f.base().Link(oldpath, newpath)
}

type faultFile struct {
	writer.File
	fs *FaultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	n, full := f.fs.take(len(p))
	if n > 0 {
		if _, err := f.File.Write(p[:n]); err != nil {
			return 0, err
		}
	}
	if full {
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, nil
}
