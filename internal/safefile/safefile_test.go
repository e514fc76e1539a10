package safefile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, p string, n int) {
	t.Helper()
	if err := os.WriteFile(p, []byte(strings.Repeat("x", n)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadFileCap(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	write(t, p, 100)
	ctx := context.Background()
	for _, tc := range []struct {
		max  int64
		want bool // read succeeds
	}{{0, true}, {100, true}, {1000, true}, {99, false}, {1, false}} {
		data, err := ReadFile(ctx, p, tc.max)
		if tc.want && (err != nil || len(data) != 100) {
			t.Errorf("max %d: %d bytes, %v; want all 100", tc.max, len(data), err)
		}
		var tb *TooBigError
		if !tc.want && !errors.As(err, &tb) {
			t.Errorf("max %d: err %v, want *TooBigError", tc.max, err)
		}
		if !tc.want && (err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "larger than")) {
			t.Errorf("max %d: message %v does not name the file and the cap", tc.max, err)
		}
	}
}

// A file that grows past the cap after it was opened is cut off with an
// error, not read to its new end.
func TestGrowsPastCap(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	write(t, p, 10)
	f, err := Open(context.Background(), p, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("more bytes"))
	a.Close()
	_, err = io.ReadAll(f)
	var tb *TooBigError
	if !errors.As(err, &tb) {
		t.Fatalf("err %v, want *TooBigError", err)
	}
}

func TestSeekKeepsCap(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	write(t, p, 50)
	f, err := Open(context.Background(), p, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for range 3 {
		b, err := io.ReadAll(f)
		if err != nil || len(b) != 50 {
			t.Fatalf("read %d bytes, %v", len(b), err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "dir-link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{dir: "folder", link: "folder"}
	if _, err := os.Stat("/dev/zero"); err == nil {
		z := filepath.Join(dir, "zero.png")
		if err := os.Symlink("/dev/zero", z); err != nil {
			t.Fatal(err)
		}
		cases["/dev/zero"] = "device"
		cases[z] = "device"
	}
	if p, ok := mkfifo(t, dir); ok {
		cases[p] = "named pipe"
		l := filepath.Join(dir, "fifo-link.png")
		if err := os.Symlink(p, l); err != nil {
			t.Fatal(err)
		}
		cases[l] = "named pipe"
	}
	for p, want := range cases {
		// Would block forever on a FIFO or read forever from /dev/zero
		// if the check did not happen before the read.
		_, err := ReadFile(context.Background(), p, 0)
		var nr *NotRegularError
		if !errors.As(err, &nr) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err %v, want *NotRegularError naming it and %q", p, err, want)
		}
		if !IsRefused(err) {
			t.Errorf("%s: IsRefused(%v) = false", p, err)
		}
	}
}

func TestContextStopsReads(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	write(t, p, 1<<16)
	ctx, cancel := context.WithCancel(context.Background())
	f, err := Open(ctx, p, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 10)
	if _, err := f.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := f.Read(buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v, want context.Canceled", err)
	}
	if _, err := Open(ctx, p, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("open after cancel: %v, want context.Canceled", err)
	}
}

func TestMissing(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "nope"), 0)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err %v, want ErrNotExist", err)
	}
	if IsRefused(err) {
		t.Error("a missing file is not a refusal")
	}
}
