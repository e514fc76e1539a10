package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/augsplit/augsplit/internal/s3test"
	"github.com/augsplit/augsplit/internal/store"
)

func TestFetch(t *testing.T) {
	ctx := context.Background()
	srv := s3test.New(t, "fetch")
	s, err := store.Open(ctx, srv.URL("ds"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files := map[string]string{"dataset.json": "{}", "train/cat/a.png": "aaa", "train/dog/b.png": strings.Repeat("b", 300<<10), "val/cat/c.png": ""}
	for k, v := range files {
		put(t, s, k, v)
	}
	dst := filepath.Join(t.TempDir(), "copy")
	got, err := store.Fetch(ctx, s, dst)
	if err != nil {
		t.Fatal(err)
	}
	var bytes int64
	for k, v := range files {
		b, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(k)))
		if err != nil || string(b) != v {
			t.Errorf("%s: %d bytes, %v; want %d", k, len(b), err, len(v))
		}
		bytes += int64(len(v))
	}
	if got.Objects != len(files) || got.Bytes != bytes {
		t.Errorf("Fetch = %+v, want %d objects, %d bytes", got, len(files), bytes)
	}
	// Nothing but the objects: no temporaries left behind.
	n := 0
	filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if !d.IsDir() {
			n++
		}
		return nil
	})
	if n != len(files) {
		t.Errorf("%d files in dst, want %d", n, len(files))
	}

	// An empty prefix is an error, not an empty dataset.
	empty, _ := store.Open(ctx, srv.URL("nothing"))
	defer empty.Close()
	if _, err := store.Fetch(ctx, empty, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no objects") {
		t.Errorf("Fetch of an empty prefix: %v", err)
	}
}

// An object whose name would leave the destination folder is refused by
// List, so Fetch never writes outside dst.
func TestFetchRefusesEscapingKeys(t *testing.T) {
	ctx := context.Background()
	srv := s3test.New(t, "evil")
	raw, err := blob.OpenBucket(ctx, srv.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.WriteAll(ctx, "ds/a/../../../escape.txt", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	s, _ := store.Open(ctx, srv.URL("ds"))
	defer s.Close()
	dir := t.TempDir()
	dst := filepath.Join(dir, "in", "copy")
	_, err = store.Fetch(ctx, s, dst)
	var ke *store.KeyError
	if !errors.As(err, &ke) {
		t.Fatalf("Fetch: %v, want a *KeyError", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape.txt")); err == nil {
		t.Fatal("an object was written outside dst")
	}
}
