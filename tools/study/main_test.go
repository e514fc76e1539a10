package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeCSV(t *testing.T, rows ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "digits.csv")
	if err := os.WriteFile(p, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func row(pix, label string) string {
	return strings.TrimSuffix(strings.Repeat(pix+",", 64), ",") + "," + label
}

func TestReadDigitsHandMade(t *testing.T) {
	ds, err := ReadDigits(writeCSV(t, row("16", "3"), row("0", "7")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Label != 3 || ds[0].Pix[63] != 16 || ds[1].Label != 7 || ds[1].Index != 1 {
		t.Fatalf("got %+v", ds)
	}
	img := ds[0].Image(32)
	if img.Bounds().Dx() != 32 || img.Pix[0] != 255 {
		t.Errorf("16 should render white at 32 px: %v", img.Pix[0])
	}
	for _, bad := range []string{row("17", "1"), row("1", "10"), "1,2,3"} {
		if _, err := ReadDigits(writeCSV(t, bad)); err == nil || !strings.Contains(err.Error(), "digits.csv:1:") {
			t.Errorf("row %q: got %v, want an error naming the line", bad[:10], err)
		}
	}
}

// TestBuildFromPackage needs the real digits (Debian's python3-sklearn).
func TestBuildFromPackage(t *testing.T) {
	path := FindDigits()
	if path == "" {
		t.Skip("skipped: python3-sklearn's digits.csv.gz is not installed (apt-get install python3-sklearn, or set AUGSPLIT_DIGITS)")
	}
	ds, err := ReadDigits(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1797 {
		t.Fatalf("%d digits, want 1797", len(ds))
	}
	dir := t.TempDir()
	lay, err := Build(ds, dir, []int{1, 3}, 1, 8)
	if err != nil {
		t.Fatal(err)
	}
	if lay.HoldoutN != 1797-30 {
		t.Errorf("holdout %d images, want %d", lay.HoldoutN, 1797-30)
	}
	names := func(root string) map[string]bool {
		out := map[string]bool{}
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(root, p)
				out[rel] = true
			}
			return nil
		})
		return out
	}
	one, three, hold := names(lay.Sources[1]), names(lay.Sources[3]), names(lay.Holdout)
	if len(one) != 10 || len(three) != 30 {
		t.Errorf("%d and %d sources, want 10 and 30", len(one), len(three))
	}
	for f := range one {
		if !three[f] {
			t.Errorf("source %s of the 1-source set is not in the 3-source set", f)
		}
	}
	for f := range three {
		if hold[f] {
			t.Errorf("source %s is also a holdout image", f)
		}
	}
}

func TestMarkdownCounts(t *testing.T) {
	r := &Results{Runs: []Run{
		{Sources: 1, Level: "variant", CI: [2]float64{.8, 1}, Holdout: .3},
		{Sources: 3, Level: "source", CI: [2]float64{.2, .6}, Holdout: .4, Covered: true},
		{Sources: 5, Level: "source", CI: [2]float64{.2, .3}, Holdout: .4},
	}, CV: []CVRun{{Width: .1, SingleWidth: .4, Covered: true}}}
	md := r.Markdown()
	for _, want := range []string{"covered the held-out accuracy in 1 of 2 runs", "variant level) in 0 of 1", "0.25 times the single split's width (75% narrower)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
