//go:build unix

package dataset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/internal/safefile"

	"github.com/augsplit/augsplit/schema"
)

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// A FIFO among the sources (or a symlink to one) is refused as not a
// regular file, listed with the other bad files; generate and split used
// to block in open() forever.
func TestScanRefusesFIFO(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	root := filetest.Tree(t, map[string][]byte{"a/x.png": png1, "a/y.png": png2, "b/z.png": filetest.PNG(t, grey(4, 4, 3))})
	mkfifo(t, filepath.Join(root, "a", "scan.png"))
	mkfifo(t, filepath.Join(root, "b", "pipe.fifo")) // not an image name: never opened
	symlink(t, "pipe.fifo", filepath.Join(root, "b", "linked.png"))
	var err error
	noHang(t, "Scan", func() { _, err = Scan(context.Background(), root, ScanOptions{SkipBadFlag: "--skip-bad"}) })
	var bf *BadFilesError
	var nr *safefile.NotRegularError
	if !errors.As(err, &bf) || bf.Total != 2 || !errors.As(err, &nr) {
		t.Fatalf("err = %v, want *BadFilesError of the two pipes", err)
	}
	for _, w := range []string{filepath.Join(root, "a", "scan.png"), filepath.Join(root, "b", "linked.png"), "named pipe", "--skip-bad"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
	var tree *Tree
	noHang(t, "Scan --skip-bad", func() {
		tree, err = Scan(context.Background(), root, ScanOptions{SkipBad: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Skipped) != 2 || len(tree.Sources) != 3 {
		t.Errorf("skipped %v, %d sources; want the two pipes skipped and 3 sources", tree.Skipped, len(tree.Sources))
	}
}

// Samples and shards that are FIFOs or devices are refused by every
// reader without blocking, reading forever or leaving the dataset.
func TestReadersRefuseNonRegularFiles(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	t.Run("walk fifo sample", func(t *testing.T) {
		b := buildOUT(t, outOptions{folder: true})
		p := filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path))
		os.Remove(p)
		mkfifo(t, p)
		var err error
		noHang(t, "Walk", func() {
			err = Walk(context.Background(), b.dir, b.records[0].Split, func(Sample) error { return nil })
		})
		var nr *safefile.NotRegularError
		if !errors.As(err, &nr) || !strings.Contains(err.Error(), p) {
			t.Errorf("err = %v, want *safefile.NotRegularError naming %s", err, p)
		}
	})
	t.Run("walk /dev/zero sample", func(t *testing.T) {
		b := buildOUT(t, outOptions{folder: true})
		p := filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path))
		os.Remove(p)
		symlink(t, "/dev/zero", p)
		var err error
		noHang(t, "Walk", func() {
			err = Walk(context.Background(), b.dir, b.records[0].Split, func(Sample) error { return nil })
		})
		if err == nil {
			t.Error("Walk read a sample linked to /dev/zero")
		}
	})
	t.Run("verify", func(t *testing.T) {
		b := buildOUT(t, outOptions{folder: true, webdataset: true, tfrecord: true})
		sample := filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path))
		os.Remove(sample)
		mkfifo(t, sample)
		shard := filepath.Join(b.dir, filepath.FromSlash(b.card.Shards[0].Path))
		os.Remove(shard)
		symlink(t, "/dev/zero", shard)
		fifoShard := filepath.Join(b.dir, filepath.FromSlash(b.card.Shards[1].Path))
		os.Remove(fifoShard)
		mkfifo(t, fifoShard)
		manifest := filepath.Join(b.dir, schema.ManifestFile)
		var rep *VerifyReport
		var err error
		noHang(t, "Verify", func() { rep, err = Verify(context.Background(), b.dir) })
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(rep.Problems, "\n")
		for _, w := range []string{b.records[0].Path, b.card.Shards[0].Path, b.card.Shards[1].Path} {
			if !strings.Contains(all, w) {
				t.Errorf("problems do not name %s:\n%s", w, all)
			}
		}
		os.Remove(manifest)
		mkfifo(t, manifest)
		noHang(t, "Verify with a FIFO manifest", func() { rep, err = Verify(context.Background(), b.dir) })
		if err != nil || !strings.Contains(strings.Join(rep.Problems, "\n"), "named pipe") {
			t.Errorf("Verify = %v, %v: want a problem naming the pipe", rep, err)
		}
	})
}
