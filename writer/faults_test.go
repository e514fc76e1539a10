package writer_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/writer"
	"github.com/augsplit/augsplit/writer/writertest"
)

// These tests inject failures through writertest.FaultFS, which imports
// writer, so they live in package writer_test (helpers: export_test.go).

func TestDiskFull(t *testing.T) {
	t.Parallel()
	samples := writer.MakeSamples(30)
	// Measure how many bytes a whole run writes, then fail at points
	// spread through it: sample files, shards, manifest, card.
	probe := &writertest.FaultFS{}
	writer.WriteAll(t, t.TempDir(), writer.Options{Formats: []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}, ShardSize: 4, FS: probe}, samples)
	total := probe.Written()
	for _, frac := range []float64{0, 0.01, 0.3, 0.6, 0.9, 0.999} {
		budget := int64(float64(total) * frac)
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ffs := &writertest.FaultFS{}
			ffs.FailWritesAfter(budget)
			o, err := writer.Open(context.Background(), dir, writer.Options{Classes: writer.TestClasses, Fingerprint: "fp", Formats: []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}, ShardSize: 4, FS: ffs})
			if err == nil {
				for i := range samples {
					s := samples[i]
					if err = o.Put(context.Background(), &s); err != nil {
						break
					}
				}
				if err == nil {
					err = o.Commit(writer.TestCard(writer.TestClasses))
				}
				o.Abort()
			}
			t.Logf("error: %v", err)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("error = %v, want ENOSPC", err)
			}
			if !writer.NamesPathIn(err, dir) {
				t.Errorf("error %q does not name a path in %s", err, dir)
			}
			files := writer.Snapshot(t, dir)
			for _, name := range []string{schema.ManifestFile, schema.CardFile} {
				if _, ok := files[name]; ok {
					t.Errorf("%s written by a failed run", name)
				}
			}
			if tmp := writer.TempFiles(t, dir); len(tmp) > 0 {
				t.Errorf("temporary files left after Abort: %v", tmp)
			}
		})
	}
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	samples := writer.MakeSamples(10)
	tests := []struct {
		name     string
		readOnly string // relative to the output folder's parent
		formats  []string
	}{
		{"output folder", "out", nil},
		{"split folder", "out/train", nil},
		{"tfrecord folder", "out/tfrecord", []string{schema.FormatTFRecord}},
		{"webdataset folder", "out/webdataset", []string{schema.FormatWebDataset}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			ro := filepath.Join(parent, filepath.FromSlash(tt.readOnly))
			ffs := &writertest.FaultFS{}
			ffs.ReadOnly(ro)
			o, err := writer.Open(context.Background(), dir, writer.Options{Classes: writer.TestClasses, Fingerprint: "fp", Formats: tt.formats, FS: ffs})
			if err == nil {
				for i := range samples {
					s := samples[i] // Put fills in its sample; the subtests share samples
					if err = o.Put(context.Background(), &s); err != nil {
						break
					}
				}
				if err == nil {
					err = o.Commit(writer.TestCard(writer.TestClasses))
				}
				o.Abort()
			}
			if !errors.Is(err, fs.ErrPermission) {
				t.Fatalf("error = %v, want a permission error", err)
			}
			if !writer.NamesPathIn(err, ro) {
				t.Errorf("error %q does not name the read-only folder %s", err, ro)
			}
			if tmp := writer.TempFiles(t, parent); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
		})
	}
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := writer.WriteFileAtomic(writer.OS, p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	ffs := &writertest.FaultFS{}
	ffs.FailWritesAfter(2)
	err := writer.WriteFileAtomic(ffs, p, []byte("new content"))
	if !errors.Is(err, syscall.ENOSPC) || !writer.NamesPathIn(err, p) {
		t.Errorf("error = %v, want ENOSPC naming %s", err, p)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "old" {
		t.Errorf("after a failed write the file holds %q, want the old %q", got, "old")
	}
	if tmp := writer.TempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v (err %v), want 0644", fi.Mode().Perm(), err)
	}
}
