//go:build unix

package preview

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/safefile"
)

// preview reads only regular files inside OUT: a sample linked to
// /dev/zero used to be read for gigabytes, a FIFO to block it.
func TestRenderRefusesHostileSamples(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, p string)
		check func(error) bool
	}{
		{"fifo", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, func(err error) bool { var nr *safefile.NotRegularError; return errors.As(err, &nr) }},
		{"link to /dev/zero", func(t *testing.T, p string) {
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
		}, func(err error) bool { var oe *dataset.OutsideError; return errors.As(err, &oe) }},
		{"link inside OUT to /dev/zero's link", func(t *testing.T, p string) {
			z := filepath.Join(filepath.Dir(p), "zero")
			if err := os.Symlink("/dev/zero", z); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("zero", p); err != nil {
				t.Fatal(err)
			}
		}, func(err error) bool { var oe *dataset.OutsideError; return errors.As(err, &oe) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := buildOut(t)
			p := filepath.Join(out, "train", "alpha", "alpha_1.png")
			os.Remove(p)
			tc.plant(t, p)
			g, err := dataset.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { defer close(done); _, err = RenderSheet(context.Background(), g, 3) }()
			select {
			case <-done:
			case <-time.After(2 * time.Minute): // a hang detector, not a speed check
				t.Fatal("RenderSheet still running after 2 minutes")
			}
			if !tc.check(err) {
				t.Errorf("err = %v (%T), wrong type", err, err)
			}
		})
	}
}
