package writer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/writer"
)

// pngSample makes a real, decodable PNG sample of class classes[ci].
func pngSample(t *testing.T, classes []string, ci int, split string, n int) *writer.Sample {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 6))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7 + n*31 + ci*101)
	}
	img.Set(n%8, 0, color.Gray{Y: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	class := classes[ci]
	return &writer.Sample{
		Record: schema.Record{
			ID:           fmt.Sprintf("%s_%04d", class, n),
			Split:        split,
			Class:        class,
			ClassIndex:   ci,
			Source:       class + "/original.png",
			SourceSHA256: strings.Repeat("0", 64),
			Variant:      n,
			Width:        8,
			Height:       6,
			Channels:     1,
			BitDepth:     8,
		},
		Data: buf.Bytes(),
	}
}

// TestLibraryWritesAVerifiedDataset is a Go program's use of the writer
// with nothing of generate: open with the class list, put samples, commit
// a card with only provenance and split levels. dataset.Verify, which is
// what `augsplit verify` runs, finds nothing wrong, and the dataset reads
// back with the right labels in every format.
func TestLibraryWritesAVerifiedDataset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "out")
	classes := []string{"cat", "dog"}
	out, err := writer.Open(ctx, dir, writer.Options{
		Classes:     classes,
		Splits:      []string{schema.Train, schema.Val},
		Fingerprint: "library-test-1",
		Formats:     []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord},
		ShardSize:   2,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, split := range []string{schema.Val, schema.Train, schema.Train, schema.Train} {
		for ci := range classes {
			n++
			if err := out.Put(ctx, pngSample(t, classes, ci, split, n)); err != nil {
				out.Abort()
				t.Fatal(err)
			}
		}
	}
	card := &schema.Card{
		Tool: "library-test", Version: "1", Command: "put",
		SplitLevel: map[string]string{"cat": schema.LevelVariant, "dog": schema.LevelVariant},
	}
	if err := out.Commit(card); err != nil {
		out.Abort()
		t.Fatal(err)
	}

	rep, err := dataset.Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify found %d problems in a dataset the writer sealed:\n%s", len(rep.Problems), strings.Join(rep.Problems, "\n"))
	}
	if want := 3 * n; rep.Checked != want {
		t.Errorf("verify checked %d files and shard samples, want %d (3 formats x %d samples)", rep.Checked, want, n)
	}
	// The counts, splits and total are the writer's, from what was Put.
	if !slices.Equal(card.Classes, classes) || !slices.Equal(card.Splits, []string{schema.Train, schema.Val}) || card.Total != n ||
		card.Counts["cat"][schema.Train] != 3 || card.Counts["dog"][schema.Val] != 1 {
		t.Errorf("card classes %q splits %q total %d counts %v; want the writer to derive them from the %d samples Put",
			card.Classes, card.Splits, card.Total, card.Counts, n)
	}
	for _, format := range schema.Formats() {
		labels := map[string]int{}
		err := dataset.WalkFormat(ctx, dir, schema.Train, format, func(s dataset.Sample) error {
			if s.Label != slices.Index(classes, s.Class) {
				t.Errorf("%s: %s has label %d", format, s.Record.ID, s.Label)
			}
			labels[s.Class]++
			return nil
		})
		if err != nil || labels["cat"] != 3 || labels["dog"] != 3 {
			t.Errorf("%s: train split read back as %v (err %v), want 3 per class", format, labels, err)
		}
	}
}

// TestPutRejectsWhatDoesNotFit: a sample whose class, class index or split
// does not fit the dataset the writer was opened for is refused at Put with
// a *SampleError naming the sample and what is wrong.
func TestPutRejectsWhatDoesNotFit(t *testing.T) {
	t.Parallel()
	classes := []string{"cat", "dog"}
	tests := []struct {
		name      string
		mod       func(s *writer.Sample)
		wantField string
		wantMsg   []string
	}{
		{"class not in the list", func(s *writer.Sample) { s.Class = "cow" }, "class",
			[]string{`class "cow" is not in the class list`, "cat, dog"}},
		{"class index of another class", func(s *writer.Sample) { s.ClassIndex = 0 }, "class_index",
			[]string{`class_index 0 does not match class "dog", which is 1`}},
		{"class index out of range", func(s *writer.Sample) { s.ClassIndex = 7 }, "class_index",
			[]string{"class_index 7"}},
		{"split not opened", func(s *writer.Sample) { s.Split = schema.Test }, "split",
			[]string{`unknown split "test"`, "opened for train, val"}},
		{"split not a split", func(s *writer.Sample) { s.Split = "Train" }, "split",
			[]string{`unknown split "Train"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, err := writer.Open(context.Background(), dir, writer.Options{
				Classes: classes, Splits: []string{schema.Train, schema.Val}, Fingerprint: "fp",
			})
			if err != nil {
				t.Fatal(err)
			}
			defer out.Abort()
			s := pngSample(t, classes, 1, schema.Train, 1)
			tt.mod(s)
			err = out.Put(context.Background(), s)
			var se *writer.SampleError
			if !errors.As(err, &se) {
				t.Fatalf("Put = %v, want a *writer.SampleError", err)
			}
			if se.ID != "dog_0001" || se.Field != tt.wantField || !strings.Contains(err.Error(), `sample "dog_0001"`) {
				t.Errorf("Put = %v (id %q, field %q), want it to name sample dog_0001 and field %q", err, se.ID, se.Field, tt.wantField)
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Put = %v, want it to say %q", err, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, schema.Train, "dog", "dog_0001.png")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the refused sample was written (stat: %v)", err)
			}
		})
	}
}

// TestCommitRefusesACardVerifyWouldReject: what the writer cannot derive
// (a split level per class) and what the samples Put leave out (a class
// without a sample in a split) stop Commit before a card is written.
func TestCommitRefusesACardVerifyWouldReject(t *testing.T) {
	t.Parallel()
	classes := []string{"cat", "dog"}
	tests := []struct {
		name    string
		splits  [][2]int // (class index, 0 train / 1 val) per sample
		levels  map[string]string
		card    func(c *schema.Card)
		wantMsg string
	}{
		{"class missing from a split", [][2]int{{0, 0}, {1, 0}, {0, 1}},
			map[string]string{"cat": schema.LevelSource, "dog": schema.LevelSource}, nil,
			`class "dog" has no samples in split "val"`},
		{"class without a split level", [][2]int{{0, 0}, {1, 0}},
			map[string]string{"cat": schema.LevelSource}, nil,
			`class "dog" has no split_level`},
		{"unknown split level", [][2]int{{0, 0}, {1, 0}},
			map[string]string{"cat": schema.LevelSource, "dog": "group"}, nil,
			`split_level "group"`},
		{"source in an unlisted split", [][2]int{{0, 0}, {1, 0}},
			map[string]string{"cat": schema.LevelSource, "dog": schema.LevelSource},
			func(c *schema.Card) {
				c.Sources = []schema.Source{{Path: "cat/a.png", Class: "cat", Split: schema.Val}}
			},
			`source cat/a.png is in split "val"`},
		{"another class list", [][2]int{{0, 0}, {1, 0}},
			map[string]string{"cat": schema.LevelSource, "dog": schema.LevelSource},
			func(c *schema.Card) { c.Classes = []string{"cat", "dog", "eel"} },
			"differ from the class list"},
		{"no samples", nil, map[string]string{"cat": schema.LevelSource, "dog": schema.LevelSource}, nil,
			"lists no splits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, err := writer.Open(context.Background(), dir, writer.Options{Classes: classes, Fingerprint: "fp"})
			if err != nil {
				t.Fatal(err)
			}
			defer out.Abort()
			for i, p := range tt.splits {
				split := []string{schema.Train, schema.Val}[p[1]]
				if err := out.Put(context.Background(), pngSample(t, classes, p[0], split, i)); err != nil {
					t.Fatal(err)
				}
			}
			card := &schema.Card{Tool: "t", SplitLevel: tt.levels}
			if tt.card != nil {
				tt.card(card)
			}
			err = out.Commit(card)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Commit = %v, want a refusal saying %q", err, tt.wantMsg)
			}
			out.Abort()
			for _, name := range []string{schema.CardFile, schema.ManifestFile} {
				if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s exists after a refused Commit (stat: %v)", name, err)
				}
			}
		})
	}
}
