package store_test

import (
	// The conformance test covers mem:// and s3:// buckets.
	_ "github.com/augsplit/augsplit/internal/store/bucket"

	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/s3test"
	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/writer"
)

// stores opens one store of each kind the binary has, each under a prefix
// so the prefix handling is exercised too.
func stores(t *testing.T) map[string]store.Store {
	t.Helper()
	ctx := context.Background()
	srv := s3test.New(t, "conformance")
	roots := map[string]string{
		"local": filepath.Join(t.TempDir(), "root"),
		"file":  "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "root")),
		"mem":   "mem://" + strings.ReplaceAll(t.Name(), "/", "-") + "/some/prefix",
		"s3":    srv.URL("some/prefix"),
	}
	out := map[string]store.Store{}
	for name, root := range roots {
		s, err := store.Open(ctx, root)
		if err != nil {
			t.Fatalf("Open(%s): %v", root, err)
		}
		t.Cleanup(func() { s.Close() })
		out[name] = s
	}
	return out
}

func put(t *testing.T, s store.Store, key, data string) {
	t.Helper()
	w, err := s.Create(context.Background(), key)
	if err != nil {
		t.Fatalf("Create(%s): %v", key, err)
	}
	if _, err := io.WriteString(w, data); err != nil {
		t.Fatalf("Write(%s): %v", key, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit(%s): %v", key, err)
	}
}

func get(t *testing.T, s store.Store, key string) string {
	t.Helper()
	r, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return string(b)
}

func TestConformance(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			// Nothing is visible before Commit.
			w, err := s.Create(ctx, "train/cat/a.png")
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, "half")
			if keys, err := s.List(ctx, ""); err != nil || len(keys) != 0 {
				t.Errorf("before Commit: List = %v, %v; want nothing", keys, err)
			}
			if _, err := s.Stat(ctx, "train/cat/a.png"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("before Commit: Stat err = %v, want fs.ErrNotExist", err)
			}
			io.WriteString(w, "-whole")
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			w.Abort() // after Commit: does nothing
			if got := get(t, s, "train/cat/a.png"); got != "half-whole" {
				t.Errorf("after Commit: %q, want %q", got, "half-whole")
			}
			if n, err := s.Stat(ctx, "train/cat/a.png"); err != nil || n != int64(len("half-whole")) {
				t.Errorf("Stat = %d, %v; want %d", n, err, len("half-whole"))
			}

			// Abort leaves nothing, and leaves an old object as it was.
			w, err = s.Create(ctx, "train/dog/b.png")
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, strings.Repeat("x", 1<<16))
			w.Abort()
			w, _ = s.Create(ctx, "train/cat/a.png")
			io.WriteString(w, "replaced?")
			w.Abort()
			if got := get(t, s, "train/cat/a.png"); got != "half-whole" {
				t.Errorf("after an aborted overwrite: %q, want the old %q", got, "half-whole")
			}
			if _, err := s.Open(ctx, "train/dog/b.png"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("aborted object: Open err = %v, want fs.ErrNotExist", err)
			}

			// List is sorted, complete, and keeps to its prefix.
			for _, k := range []string{"val/cat/z.png", "dataset.json", "train/dog/c.png", "manifest.jsonl", "train/cat/b.png"} {
				put(t, s, k, k)
			}
			want := []string{"dataset.json", "manifest.jsonl", "train/cat/a.png", "train/cat/b.png", "train/dog/c.png", "val/cat/z.png"}
			if keys, err := s.List(ctx, ""); err != nil || !slices.Equal(keys, want) {
				t.Errorf("List(\"\") = %q, %v\nwant %q", keys, err, want)
			}
			if keys, err := s.List(ctx, "train/"); err != nil || !slices.Equal(keys, want[2:5]) {
				t.Errorf("List(train/) = %q, %v; want %q", keys, err, want[2:5])
			}
			if keys, err := s.List(ctx, "train/c"); err != nil || !slices.Equal(keys, want[2:4]) {
				t.Errorf("List(train/c) = %q, %v; want %q", keys, err, want[2:4])
			}
			if keys, err := s.List(ctx, "nothing/"); err != nil || len(keys) != 0 {
				t.Errorf("List(nothing/) = %q, %v; want none", keys, err)
			}

			// Missing keys.
			if _, err := s.Open(ctx, "train/cat/missing.png"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open missing: %v, want fs.ErrNotExist", err)
			} else if !strings.Contains(err.Error(), "missing.png") {
				t.Errorf("Open missing: %v does not name the object", err)
			}
			if err := s.Delete(ctx, "train/cat/missing.png"); err != nil {
				t.Errorf("Delete missing: %v, want nil", err)
			}
			if err := s.Delete(ctx, "val/cat/z.png"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Stat(ctx, "val/cat/z.png"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Stat after Delete: %v, want fs.ErrNotExist", err)
			}

			// Bad keys are refused by every method, naming the key.
			for _, k := range []string{"", "../x", "a/../../x", "/etc/passwd", `a\b`, "a//b", "a/./b", "a/", "a\x00b"} {
				var ke *store.KeyError
				if _, err := s.Create(ctx, k); !errors.As(err, &ke) {
					t.Errorf("Create(%q): %v, want a *KeyError", k, err)
				}
				if _, err := s.Open(ctx, k); !errors.As(err, &ke) {
					t.Errorf("Open(%q): %v, want a *KeyError", k, err)
				}
				if _, err := s.Stat(ctx, k); !errors.As(err, &ke) {
					t.Errorf("Stat(%q): %v, want a *KeyError", k, err)
				}
				if err := s.Delete(ctx, k); !errors.As(err, &ke) {
					t.Errorf("Delete(%q): %v, want a *KeyError", k, err)
				}
			}
		})
	}
}

// A big object goes through the S3 driver's multipart upload; Abort in the
// middle of it must leave nothing either.
func TestBucketLargeAbortAndCommit(t *testing.T) {
	ctx := context.Background()
	srv := s3test.New(t, "big")
	s, err := store.Open(ctx, srv.URL("p"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := bytes.Repeat([]byte("0123456789abcdef"), 12<<20/16) // 12 MiB: more than one part
	w, _ := s.Create(ctx, "big.bin")
	w.Write(big)
	w.Abort()
	if keys, _ := s.List(ctx, ""); len(keys) != 0 {
		t.Fatalf("after Abort of a multipart upload: %q", keys)
	}
	w, _ = s.Create(ctx, "big.bin")
	w.Write(big)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "big.bin"); got != string(big) {
		t.Fatalf("read back %d bytes, want %d the same", len(got), len(big))
	}
}

func TestLocalListSkipsTemporaries(t *testing.T) {
	dir := t.TempDir()
	s := store.OpenLocal(dir)
	put(t, s, "a/b.png", "b")
	os.WriteFile(filepath.Join(dir, "a", ".augsplit-tmp-123"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	keys, err := s.List(context.Background(), "")
	if err != nil || !slices.Equal(keys, []string{"a/b.png"}) {
		t.Errorf("List = %q, %v; want [a/b.png]", keys, err)
	}
	// Create's temporaries are the writer's, so either reads the other's
	// leftovers as leftovers.
	if !writer.IsTemp(".augsplit-tmp-123") || !store.IsTemp(".augsplit-tmp-123") || store.IsTemp("x.png") {
		t.Error("store.IsTemp and writer.IsTemp disagree")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	for _, e := range entries {
		if fi, _ := e.Info(); e.Name() == "b.png" && fi.Mode().Perm() != 0o644 {
			t.Errorf("committed file mode %v, want 0644", fi.Mode().Perm())
		}
	}
	// A missing folder holds nothing.
	if keys, err := store.OpenLocal(filepath.Join(dir, "none")).List(context.Background(), ""); err != nil || len(keys) != 0 {
		t.Errorf("missing folder: %q, %v", keys, err)
	}
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"s3://b/p": true, "gs://b": true, "azblob://c/p": true, "mem://x": true, "file:///tmp/x": true, "S3://b": true,
		"data": false, "/abs/data": false, "a:b": false, "http://x/y": false, "c:\\data": false, "": false, "://x": false,
	} {
		if got := store.IsURL(s); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, root := range []string{"s3:///prefix", "file://host/x", "mem://m?x=1", "s3://b/../x"} {
		if s, err := store.Open(ctx, root); err == nil {
			s.Close()
			t.Errorf("Open(%q): no error", root)
		}
	}
}

// A missing bucket is named, with what to check.
func TestMissingBucket(t *testing.T) {
	srv := s3test.New(t, "exists")
	u := strings.Replace(srv.URL("p"), "s3://exists", "s3://nosuchbucket", 1)
	s, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.List(context.Background(), "")
	if err == nil || !strings.Contains(err.Error(), "s3://nosuchbucket/p/") || !strings.Contains(err.Error(), "bucket") {
		t.Fatalf("List of a missing bucket: %v", err)
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"s3://b/p/q?endpoint=http://127.0.0.1:9&region=x": "s3://b/p/q",
		"s3://b/p/":     "s3://b/p",
		"data/out":      "data/out",
		"mem://m#frag":  "mem://m",
		"file:///tmp/x": "file:///tmp/x",
	} {
		if got := store.Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

// Abort and a failed Commit leave no temporary file behind in the folder
// (List would hide one, so look at the folder itself).
func TestLocalAbortLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	s := store.OpenLocal(dir)
	w, err := s.Create(context.Background(), "a/b.png")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "x")
	w.Abort()
	// Commit onto a folder of that name fails and must clean up too.
	os.MkdirAll(filepath.Join(dir, "a", "c.png", "inside"), 0o755)
	w, _ = s.Create(context.Background(), "a/c.png")
	io.WriteString(w, "x")
	if err := w.Commit(); err == nil {
		t.Error("Commit over a non-empty folder: no error")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	for _, e := range entries {
		if e.Name() != "c.png" {
			t.Errorf("left in the folder: %s", e.Name())
		}
	}
}
