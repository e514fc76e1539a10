//go:build unix

package audit

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/internal/safefile"
)

// noHang fails the test if fn has not returned after minutes: a hang
// detector for reads that used to block or never end, not a speed check.
func noHang(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s: still running after 2 minutes: blocked on a read", what)
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// audit reads only regular files, capped: a symlink to a FIFO used to hang
// it, one to /dev/zero to read gigabytes.
func TestAuditRefusesNonRegularFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target func(t *testing.T, dir string) string
		hamm   int
	}{
		{"symlink to a fifo", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "pipe")
			mkfifo(t, p)
			return p
		}, 6},
		{"symlink to /dev/zero", func(t *testing.T, dir string) string { return "/dev/zero" }, 6},
		{"symlink to /dev/zero, hashes only", func(t *testing.T, dir string) string { return "/dev/zero" }, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			dir := folder(t, map[string]image.Image{"train/a/x.png": blobs(1, 16, 16), "val/a/y.png": blobs(2, 16, 16)})
			link := filepath.Join(dir, "train", "a", "z.png")
			if err := os.Symlink(tc.target(t, t.TempDir()), link); err != nil {
				t.Fatal(err)
			}
			in, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			opts := DefaultOptions()
			opts.Hamming = tc.hamm
			noHang(t, "Audit", func() { _, err = Audit(context.Background(), in, opts) })
			var nr *safefile.NotRegularError
			if !errors.As(err, &nr) || !strings.Contains(err.Error(), link) {
				t.Errorf("err = %v, want *safefile.NotRegularError naming %s", err, link)
			}
		})
	}
	t.Run("csv that is a fifo", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "list.csv")
		mkfifo(t, p)
		var err error
		noHang(t, "Load", func() { _, err = Load(p) })
		var nr *safefile.NotRegularError
		if !errors.As(err, &nr) {
			t.Errorf("err = %v, want *safefile.NotRegularError", err)
		}
	})
}

// A manifest path that leads outside the OUT through a symlink is refused
// when listing, as train and preview refuse it.
func TestLoadOutRefusesSampleLinkedOutside(t *testing.T) {
	dir := buildOut(t, []outSample{{"train", "a", 1, 1}, {"val", "a", 2, 1}, {"train", "b", 3, 1}, {"val", "b", 4, 1}}, nil)
	p := filepath.Join(dir, "train", "a", "a_1_1.png")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "elsewhere.png")
	filetest.Write(t, other, data)
	os.Remove(p)
	if err := os.Symlink(other, p); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	var oe *dataset.OutsideError
	if !errors.As(err, &oe) {
		t.Errorf("err = %v, want *dataset.OutsideError", err)
	}
}
