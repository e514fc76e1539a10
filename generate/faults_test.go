package generate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/writer"
	"github.com/augsplit/augsplit/writer/writertest"
)

// Class and file names that could escape OUT or break tools downstream are
// sanitised in every output path, and the card records the mapping.
func TestHostileNamesStayInsideOut(t *testing.T) {
	hostile := []string{
		"..evil",
		"tab\tand\nnewline",
		"caf\xe9-not-utf8",
		strings.Repeat("long", 60),
		"sp ace;rm -rf",
	}
	in := makeSources(t, hostile, 2)
	cfg := small(t, in, 2)
	cfg.PerSource = 2
	cfg.Size = Size{}
	card, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Renamed) == 0 {
		t.Fatal("card records no renamed names")
	}
	absOut, _ := filepath.Abs(cfg.Out)
	for _, r := range readManifest(t, cfg.Out) {
		p, _ := filepath.Abs(filepath.Join(cfg.Out, filepath.FromSlash(r.Path)))
		if !strings.HasPrefix(p, absOut+string(filepath.Separator)) {
			t.Errorf("%s escapes OUT", r.Path)
		}
		for _, part := range []string{r.Class, r.ID} {
			if !utf8.ValidString(part) || strings.ContainsAny(part, "/\\\x00\t\n .;") || len(part) > 128 {
				t.Errorf("unsafe name in output: %q", part)
			}
		}
	}
	for _, c := range card.Classes {
		if dataset.SanitizeName(c) != c {
			t.Errorf("class %q is not in sanitised form", c)
		}
	}
}

func TestOutInsideInRefused(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 2)
	for _, out := range []string{filepath.Join(in, "out"), filepath.Dir(in)} {
		cfg := small(t, in, 1)
		cfg.Out = out
		_, err := Run(context.Background(), cfg, Options{})
		var sp *dataset.SamePlaceError
		if !errors.As(err, &sp) {
			t.Errorf("out %s: err = %v, want *dataset.SamePlaceError", out, err)
		}
	}
	if _, err := os.Stat(filepath.Join(in, "out")); err == nil {
		t.Error("the refused run created OUT inside --in")
	}
}

// A disk that fills up part-way: the error names the path, no temporary
// files, no manifest, no card.
func TestDiskFullPartWay(t *testing.T) {
	for _, after := range []int64{0, 20_000, 200_000} {
		cfg := small(t, cells, 2)
		cfg.Formats = []string{schema.FormatFolder, schema.FormatTFRecord}
		ffs := &writertest.FaultFS{}
		ffs.FailWritesAfter(after)
		_, err := Run(context.Background(), cfg, Options{FS: ffs})
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("after %d bytes: err = %v, want ENOSPC", after, err)
		}
		if !strings.Contains(err.Error(), cfg.Out) {
			t.Errorf("error %q does not name a path in OUT", err)
		}
		for name := range filetest.Read(t, cfg.Out) {
			base := filepath.Base(name)
			if writer.IsTemp(base) || base == schema.ManifestFile || base == schema.CardFile {
				t.Errorf("after %d bytes: %s left behind", after, name)
			}
		}
	}
}

func TestReadOnlyOut(t *testing.T) {
	cfg := small(t, cells, 1)
	ffs := &writertest.FaultFS{}
	ffs.ReadOnly(cfg.Out)
	_, err := Run(context.Background(), cfg, Options{FS: ffs})
	if err == nil || !strings.Contains(err.Error(), cfg.Out) {
		t.Fatalf("err = %v, want a permission error naming %s", err, cfg.Out)
	}
}

// A long class name and a long file name together still make a valid,
// unique sample id (the writer caps ids so they fit tar headers).
func TestLongClassAndFileNames(t *testing.T) {
	long := strings.Repeat("k", 70)
	in := makeSources(t, []string{long, long + "x"}, 2)
	for _, c := range []string{long, long + "x"} {
		old := filepath.Join(in, c, "srca.png")
		if err := os.Rename(old, filepath.Join(in, c, strings.Repeat("f", 70)+".png")); err != nil {
			t.Fatal(err)
		}
	}
	cfg := small(t, in, 2)
	cfg.Size = Size{}
	cfg.PerSource = 3
	cfg.Formats = []string{schema.FormatFolder, schema.FormatWebDataset}
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range readManifest(t, cfg.Out) {
		if len(r.ID) > schema.MaxIDLen || seen[r.ID] {
			t.Errorf("id %q: %d bytes or a duplicate", r.ID, len(r.ID))
		}
		seen[r.ID] = true
	}
	if len(seen) != 12 {
		t.Errorf("%d distinct ids, want 12", len(seen))
	}
}
