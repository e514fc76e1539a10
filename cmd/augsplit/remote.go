package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"

	"github.com/augsplit/augsplit/internal/store"
)

// localDir returns a local folder holding the dataset arg names. A path is
// returned as it is. A URL (s3://bucket/prefix, ...) is fetched whole into
// a new temporary folder (under $TMPDIR: point it at a disk with room), so
// every command's local code reads it unchanged; cleanup removes that
// folder and nothing else. Each call fetches afresh, so verify of a URL
// checks the objects as they are now, never a stale copy. names, if not
// nil, learns that the folder stands for the URL, so messages name the URL
// rather than a folder that is gone when the user reads them.
func localDir(ctx context.Context, arg string, stderr io.Writer, names *fetchNames) (dir string, cleanup func(), err error) {
	if !store.IsURL(arg) {
		return arg, func() {}, nil
	}
	s, err := store.Open(ctx, arg)
	if err != nil {
		return "", nil, err
	}
	defer s.Close()
	if d := s.Dir(); d != "" {
		return d, func() {}, nil // file:// is a local folder already
	}
	tmp, err := os.MkdirTemp("", "augsplit-fetch-")
	if err != nil {
		return "", nil, fmt.Errorf("fetch %s: %w (set TMPDIR to a folder with room)", store.Name(arg), err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	got, err := store.Fetch(ctx, s, tmp)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	fmt.Fprintf(stderr, "fetched %d %s (%s) from %s\n", got.Objects, plural(got.Objects, "object", "objects"), byteSize(got.Bytes), store.Name(arg))
	names.add(tmp, store.Name(arg))
	return tmp, cleanup, nil
}

// localFile is localDir for one object (a model file): a URL's last path
// element is the object, the rest its store.
func localFile(ctx context.Context, arg string, stderr io.Writer, names *fetchNames) (file string, cleanup func(), err error) {
	if !store.IsURL(arg) {
		return arg, func() {}, nil
	}
	u, err := url.Parse(arg)
	if err != nil {
		return "", nil, fmt.Errorf("%s: not a valid URL: %w", arg, err)
	}
	key := path.Base(u.Path)
	if u.Path == "" || key == "/" || key == "." {
		return "", nil, fmt.Errorf("%s: names no object: write %s://BUCKET/PATH/FILE", store.Name(arg), u.Scheme)
	}
	u.Path, u.RawPath = path.Dir(u.Path), ""
	s, err := store.Open(ctx, u.String())
	if err != nil {
		return "", nil, err
	}
	defer s.Close()
	if d := s.Dir(); d != "" {
		return filepath.Join(d, key), func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "augsplit-fetch-")
	if err != nil {
		return "", nil, fmt.Errorf("fetch %s: %w (set TMPDIR to a folder with room)", store.Name(arg), err)
	}
	cleanup = func() { os.RemoveAll(tmp) }
	file = filepath.Join(tmp, key)
	if err := fetchOne(ctx, s, key, file); err != nil {
		cleanup()
		return "", nil, err
	}
	fi, _ := os.Stat(file)
	fmt.Fprintf(stderr, "fetched %s (%s)\n", store.Name(arg), byteSize(fi.Size()))
	names.add(file, store.Name(arg))
	names.add(tmp, store.Name(u.String()))
	return file, cleanup, nil
}

func fetchOne(ctx context.Context, s store.Store, key, dst string) error {
	r, err := s.Open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", key, err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("fetch %s/%s: %w", store.Name(s.URL()), key, err)
	}
	return f.Close()
}

// byteSize prints n for a person: 1.5 MB, 512 B.
func byteSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// uploadFiles copies the named files of the local folder dir to the store
// at root under the same names, each whole or not at all, and prints each
// object's name.
func uploadFiles(ctx context.Context, root, dir string, stdout io.Writer, names ...string) error {
	s, err := store.Open(ctx, root)
	if err != nil {
		return err
	}
	defer s.Close()
	for _, name := range names {
		if err := uploadFile(ctx, s, filepath.Join(dir, name), name); err != nil {
			return err
		}
		fmt.Fprintln(stdout, store.Name(root)+"/"+name)
	}
	return nil
}

func uploadFile(ctx context.Context, s store.Store, file, key string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := s.Create(ctx, key)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := io.Copy(w, f); err != nil {
		return err
	}
	return w.Commit()
}
