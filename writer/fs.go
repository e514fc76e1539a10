package writer

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/augsplit/augsplit/internal/safefile"
)

// File is the part of *os.File the writer uses for a file being written.
type File interface {
	io.Writer
	Name() string
	Chmod(mode fs.FileMode) error
	Sync() error
	Close() error
}

// FS is the seam between the writer and the operating system. Every byte
// the writer puts on disk goes through it, so tests can inject a full disk
// or a read-only folder (see writertest.FaultFS) and check that nothing
// half-written is left behind. Implementations should return errors that name the path
// (*fs.PathError or *os.LinkError), as the os package does.
type FS interface {
	MkdirAll(path string, perm fs.FileMode) error
	// CreateTemp creates a new file in dir, as os.CreateTemp does.
	CreateTemp(dir, pattern string) (File, error)
	Rename(oldpath, newpath string) error
	Remove(path string) error
	RemoveAll(path string) error
	Stat(path string) (fs.FileInfo, error)
	ReadFile(path string) ([]byte, error)
	ReadDir(path string) ([]fs.DirEntry, error)
	Open(path string) (io.ReadCloser, error)
	// Link makes newpath a hard link to oldpath, as os.Link does.
	Link(oldpath, newpath string) error
}

// OS is the FS backed by the real file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }
func (osFS) CreateTemp(dir, pattern string) (File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return f, nil
}
func (osFS) Rename(oldpath, newpath string) error       { return os.Rename(oldpath, newpath) }
func (osFS) Remove(path string) error                   { return os.Remove(path) }
func (osFS) RemoveAll(path string) error                { return os.RemoveAll(path) }
func (osFS) Stat(path string) (fs.FileInfo, error)      { return os.Stat(path) }
func (osFS) ReadDir(path string) ([]fs.DirEntry, error) { return os.ReadDir(path) }

// maxReadFile caps what the writer reads whole from OUT (a previous card,
// the run marker): OUT is the user's folder, and anything may sit there
// under those names.
const maxReadFile = 1 << 30

// ReadFile and Open read regular files only (a FIFO under an augsplit name
// in OUT must not block the run): see internal/safefile.
func (osFS) ReadFile(path string) ([]byte, error) {
	return safefile.ReadFile(context.Background(), path, maxReadFile)
}
func (osFS) Open(path string) (io.ReadCloser, error) {
	return safefile.Open(context.Background(), path, 0)
}
func (osFS) Link(oldpath, newpath string) error { return os.Link(oldpath, newpath) }

// tempPrefix starts the name of every temporary file the writer creates,
// so that Force and a resumed run can recognise (and delete) the leftovers
// of a run that was killed before it could clean up.
const tempPrefix = ".augsplit-tmp-"

// IsTemp reports whether a base name is one of the writer's temporary files.
func IsTemp(name string) bool { return strings.HasPrefix(name, tempPrefix) }

// fileMode is the mode of every file the writer finishes. Temporary files
// are created 0600 by CreateTemp; output must not depend on that or on the
// umask, so it is set explicitly.
const fileMode fs.FileMode = 0o644

// WriteFileAtomic writes data to path through a temporary file in the same
// directory that is synced and then renamed over path, so a reader (or a
// crash) sees either the old file or the complete new one. The temporary
// file is removed on any failure. Errors name path.
func WriteFileAtomic(fsys FS, path string, data []byte) error {
	return writeFileAtomic(fsys, path, data, true)
}

// writeFileAtomic is WriteFileAtomic with the fsync optional: sample files
// skip it because a resumed run re-checks their size and sha256 before
// reusing them, and an fsync per sample would dominate the run time.
func writeFileAtomic(fsys FS, path string, data []byte, sync bool) (err error) {
	f, err := fsys.CreateTemp(filepath.Dir(path), tempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = fsys.Remove(tmp)
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(fileMode); err != nil {
		return err
	}
	if sync {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	return fsys.Rename(tmp, path)
}
