package writer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/schema"
)

// DirStore is a store.Store over the local folder dir through fsys (nil
// means OS): an object is written to a temporary file beside its key
// (IsTemp, so Open, Force and seal recognise it) and renamed into place on
// Commit, so it appears whole or not at all. Parts and seal write a local
// OUT through it, which keeps the writer's FS seam (writertest.FaultFS)
// under them.
func DirStore(fsys FS, dir string) store.Store {
	if fsys == nil {
		fsys = OS
	}
	return &dirStore{fs: fsys, dir: dir}
}

type dirStore struct {
	fs  FS
	dir string
}

func (d *dirStore) path(key string) (string, error) {
	if !schema.ValidPath(key) {
		return "", fmt.Errorf("object key %q is not a clean relative path", key)
	}
	return filepath.Join(d.dir, filepath.FromSlash(key)), nil
}

func (d *dirStore) URL() string { return d.dir }
func (d *dirStore) Dir() string { return d.dir }
func (d *dirStore) Close() error {
	return nil
}

// noSync reports keys whose fsync is skipped: folder-format samples, one
// per image, which a resumed part writes again unless their unit's
// summary (synced, and written after them) says the unit is done.
func noSync(key string) bool {
	return strings.Count(key, "/") >= 2 && !strings.HasPrefix(key, schema.PartsDir+"/") &&
		!strings.HasPrefix(key, schema.FormatWebDataset+"/") && !strings.HasPrefix(key, schema.FormatTFRecord+"/")
}

func (d *dirStore) Create(ctx context.Context, key string) (store.Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := d.path(key)
	if err != nil {
		return nil, err
	}
	if err := d.fs.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return nil, fmt.Errorf("create folder for %s: %w", full, err)
	}
	f, err := d.fs.CreateTemp(filepath.Dir(full), tempPrefix+filepath.Base(full)+"-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", full, err)
	}
	return &dirWriter{d: d, f: f, full: full, sync: !noSync(key), bw: bufio.NewWriterSize(f, 64<<10)}, nil
}

type dirWriter struct {
	d    *dirStore
	f    File
	full string
	sync bool
	bw   *bufio.Writer
	done bool
}

func (w *dirWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: already committed or aborted", w.full)
	}
	return w.bw.Write(p)
}

func (w *dirWriter) Commit() (err error) {
	if w.done {
		return fmt.Errorf("commit %s: already committed or aborted", w.full)
	}
	defer func() {
		if err != nil {
			w.Abort()
			err = fmt.Errorf("write %s: %w", w.full, err)
		}
	}()
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if err := w.f.Chmod(fileMode); err != nil {
		return err
	}
	if w.sync {
		if err := w.f.Sync(); err != nil {
			return err
		}
	}
	if err := w.f.Close(); err != nil {
		_ = w.d.fs.Remove(w.f.Name())
		w.done = true
		return err
	}
	w.done = true
	if err := w.d.fs.Rename(w.f.Name(), w.full); err != nil {
		_ = w.d.fs.Remove(w.f.Name())
		return err
	}
	return nil
}

func (w *dirWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	_ = w.f.Close()
	_ = w.d.fs.Remove(w.f.Name())
}

func (d *dirStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := d.path(key)
	if err != nil {
		return nil, err
	}
	return d.fs.Open(full)
}

func (d *dirStore) Stat(ctx context.Context, key string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	full, err := d.path(key)
	if err != nil {
		return 0, err
	}
	fi, err := d.fs.Stat(full)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file: %w", full, fs.ErrNotExist)
	}
	return fi.Size(), nil
}

// List walks the folders under prefix; temporaries, the lock file and
// anything not a regular file are left out.
func (d *dirStore) List(ctx context.Context, prefix string) ([]string, error) {
	root := ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		root = prefix[:i]
	}
	var keys []string
	var walk func(rel string) error
	walk = func(rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := d.fs.ReadDir(filepath.Join(d.dir, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", filepath.Join(d.dir, filepath.FromSlash(rel)), err)
		}
		for _, e := range entries {
			key := path.Join(rel, e.Name())
			switch {
			case IsTemp(e.Name()) || key == schema.LockFile:
			case e.IsDir():
				if strings.HasPrefix(key+"/", prefix) || strings.HasPrefix(prefix, key+"/") {
					if err := walk(key); err != nil {
						return err
					}
				}
			case e.Type().IsRegular() && strings.HasPrefix(key, prefix):
				keys = append(keys, key)
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	slices.Sort(keys)
	return keys, nil
}

func (d *dirStore) Delete(ctx context.Context, key string) error {
	full, err := d.path(key)
	if err != nil {
		return err
	}
	if err := d.fs.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", full, err)
	}
	return nil
}
