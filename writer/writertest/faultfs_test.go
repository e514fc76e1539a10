package writertest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFailWritesAfter: the write that crosses the limit writes what fits,
// then fails with ENOSPC naming the file; Written counts what reached disk.
func TestFailWritesAfter(t *testing.T) {
	dir := t.TempDir()
	f := &FaultFS{}
	f.FailWritesAfter(10)
	file, err := f.CreateTemp(dir, "x-*")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if n, err := file.Write([]byte("abcdef")); n != 6 || err != nil {
		t.Fatalf("first write: %d, %v", n, err)
	}
	n, err := file.Write([]byte("ghijkl"))
	var pe *fs.PathError
	if n != 4 || !errors.Is(err, syscall.ENOSPC) || !errors.As(err, &pe) || pe.Path != file.Name() {
		t.Fatalf("crossing write: %d, %v; want 4 bytes then ENOSPC naming %s", n, err, file.Name())
	}
	if got, _ := os.ReadFile(file.Name()); string(got) != "abcdefghij" {
		t.Errorf("file holds %q, want what fitted", got)
	}
	if f.Written() != 10 {
		t.Errorf("Written = %d, want 10", f.Written())
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	f := &FaultFS{}
	f.ReadOnly(ro)
	if err := f.MkdirAll(filepath.Join(ro, "sub"), 0o755); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("MkdirAll below a read-only folder: %v, want a permission error", err)
	}
	if _, err := f.CreateTemp(ro, "x-*"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("CreateTemp in a read-only folder: %v, want a permission error", err)
	}
	if err := f.MkdirAll(filepath.Join(dir, "rw"), 0o755); err != nil {
		t.Errorf("MkdirAll beside it: %v", err)
	}
}
