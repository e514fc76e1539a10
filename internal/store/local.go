package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/augsplit/augsplit/internal/safefile"
)

// Local is a store in a local folder. Objects are files; Create writes a
// temporary file beside the final one and renames it there on Commit, so a
// reader (or a crash) sees the old file or the whole new one.
type Local struct {
	dir  string
	root string // as the user gave it, for messages
}

// OpenLocal returns the store in folder dir (created by the first Create).
func OpenLocal(dir string) *Local { return &Local{dir: dir, root: dir} }

func (l *Local) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", fmt.Errorf("%s: %w", l.root, err)
	}
	return filepath.Join(l.dir, filepath.FromSlash(key)), nil
}

// Create starts writing key through a temporary file in key's folder
// (made if missing).
func (l *Local) Create(ctx context.Context, key string) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), tempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	return &localWriter{f: f, final: p}, nil
}

type localWriter struct {
	f     *os.File
	final string
	done  bool
}

func (w *localWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: already committed or aborted", w.final)
	}
	n, err := w.f.Write(p)
	if err != nil {
		err = fmt.Errorf("write %s: %w", w.final, err)
	}
	return n, err
}

// Commit sets the mode (CreateTemp makes 0600 and output must not depend on
// the umask), syncs so a crash after the rename cannot leave an empty file
// under the final name, and renames.
func (w *localWriter) Commit() error {
	if w.done {
		return fmt.Errorf("commit %s: already committed or aborted", w.final)
	}
	w.done = true
	tmp := w.f.Name()
	err := w.f.Chmod(0o644)
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, w.final)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("commit %s: %w", w.final, err)
	}
	return nil
}

func (w *localWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

// Open reads key if it is a regular file (a FIFO or device under a dataset's
// name must not block or never end).
func (l *Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := safefile.Open(ctx, p, 0)
	if err != nil {
		return nil, err // *PathError names p and wraps fs.ErrNotExist when missing
	}
	return f, nil
}

// Stat returns key's size if it is a regular file.
func (l *Local) Stat(ctx context.Context, key string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p, err := l.path(key)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, &safefile.NotRegularError{Path: p, Kind: "not a regular file (" + fi.Mode().Type().String() + ")"}
	}
	return fi.Size(), nil
}

// List walks the folder (from the deepest folder prefix names, so listing
// one split does not walk the others) and returns the regular files' keys,
// sorted; temporaries and folders are left out. A missing folder holds
// nothing.
func (l *Local) List(ctx context.Context, prefix string) ([]string, error) {
	start := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = prefix[:i]
		if err := CheckKey(start); err != nil {
			return nil, fmt.Errorf("list %s: prefix %q: %w", l.root, prefix, err)
		}
	}
	base := filepath.Join(l.dir, filepath.FromSlash(start))
	var keys []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == base && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || IsTemp(d.Name()) {
			return nil
		}
		if !d.Type().IsRegular() {
			// A symlink counts when it leads to a regular file, as
			// Open would read it.
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		}
		rel, err := filepath.Rel(l.dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", l.root, err)
	}
	sort.Strings(keys)
	return keys, nil
}

// Delete removes key; a missing one is not an error.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return nil
}

func (l *Local) URL() string  { return l.root }
func (l *Local) Dir() string  { return l.dir }
func (l *Local) Close() error { return nil }
