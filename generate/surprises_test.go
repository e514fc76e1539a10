package generate

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/filetest"
)

// writeWide writes one 45x30 colour source per class: a white frame on
// grey, so padding (black) and cropping (no frame left or right) show.
func writeWide(t *testing.T, classes ...string) string {
	t.Helper()
	in := t.TempDir()
	for ci, c := range classes {
		img := image.NewNRGBA(image.Rect(0, 0, 45, 30))
		for y := range 30 {
			for x := range 45 {
				v := uint8(120 + ci)
				if x == 0 || y == 0 || x == 44 || y == 29 {
					v = 255
				}
				img.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
			}
		}
		filetest.WritePNG(t, filepath.Join(in, c, "wide.png"), img)
	}
	return in
}

// TestFitModes: squash is the default and warns about the aspect ratio;
// pad and crop keep it; the card records the fit only with a size.
func TestFitModes(t *testing.T) {
	in := writeWide(t, "a", "b")
	run := func(fit string) (string, *dataset.Generated) {
		cfg := small(t, in, 2)
		cfg.PerSource = 2
		cfg.Pipeline = &augment.Pipeline{} // no augmentation: the pixels are the fit's
		cfg.Fit = fit
		var log bytes.Buffer
		if _, err := Run(context.Background(), cfg, Options{Log: &log}); err != nil {
			t.Fatal(err)
		}
		g, err := dataset.Open(cfg.Out)
		if err != nil {
			t.Fatal(err)
		}
		return log.String(), g
	}
	pixel := func(g *dataset.Generated, x, y int) uint8 {
		img, err := loadPNG(filepath.Join(g.Dir, filepath.FromSlash(g.Records[0].Path)))
		if err != nil {
			t.Fatal(err)
		}
		return img.(*image.NRGBA).NRGBAAt(x, y).R
	}

	log, g := run("")
	if !strings.Contains(log, "--size 32 squashes 2 of 2 sources") || !strings.Contains(log, "--fit pad or --fit crop") ||
		!strings.Contains(strings.Join(g.Card.Warnings, "\n"), "squashes 2 of 2") {
		t.Errorf("squash: no aspect warning on stderr and in the card:\n%s\n%v", log, g.Card.Warnings)
	}
	if !strings.Contains(string(g.Card.Config), `"fit": "squash"`) {
		t.Errorf("card config %s does not record the fit", g.Card.Config)
	}

	log, g = run(FitPad)
	if strings.Contains(log, "squashes") {
		t.Errorf("pad warned about squashing:\n%s", log)
	}
	// 45x30 in 32x32 is 32x21 from row 5: rows 0-4 are black padding.
	if p := pixel(g, 16, 2); p != 0 {
		t.Errorf("pad: row 2 is %d, want black padding", p)
	}
	if p := pixel(g, 16, 16); p < 100 {
		t.Errorf("pad: the centre is %d, want the grey source", p)
	}

	_, g = run(FitCrop)
	// The centre 30x30 keeps no left or right frame: column 0 is grey.
	if p := pixel(g, 0, 16); p > 200 {
		t.Errorf("crop: column 0 is %d, want the grey inside the frame", p)
	}

	cfg := Defaults()
	cfg.Fit = FitPad
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "no size is set") {
		t.Errorf("--fit without --size: %v", err)
	}
	cfg.Fit = "stretch"
	cfg.Size = Size{W: 8, H: 8}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "squash, pad, crop") {
		t.Errorf("--fit stretch: %v", err)
	}
}

// TestFitSquashIsTheOldResize: the default fit is the resize generate
// always made, so existing --size runs keep their pixels.
func TestFitSquashIsTheOldResize(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 45, 30))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
	}
	got := fitImage(src, 32, 32, FitSquash)
	want, err := dataset.Resize(src, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.(*image.Gray).Pix, want.(*image.Gray).Pix) {
		t.Error("squash differs from dataset.Resize")
	}
}

// TestMovedFractionsWarn: 5 sources per class at --test 0.1 give 60/20/20,
// not 70/20/10; generate says so on stderr and in the card.
func TestMovedFractionsWarn(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 5)
	cfg := small(t, in, 2)
	cfg.Size = Size{}
	cfg.PerSource = 2
	cfg.Test = 0.1
	var log bytes.Buffer
	card, err := Run(context.Background(), cfg, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	want := "split fractions moved (asked -> actual): train 0.70 -> 0.60, val 0.20 -> 0.20, test 0.10 -> 0.20"
	if !strings.Contains(log.String(), "warning: "+want) || !strings.Contains(log.String(), "smallest class has 5 sources") {
		t.Errorf("stderr lacks %q:\n%s", want, log.String())
	}
	if !strings.Contains(strings.Join(card.Warnings, "\n"), want) {
		t.Errorf("card warnings lack it: %v", card.Warnings)
	}
	// 80/20 of 5 sources is exact: no warning.
	cfg = small(t, in, 2)
	cfg.Size = Size{}
	cfg.PerSource = 2
	log.Reset()
	if _, err := Run(context.Background(), cfg, Options{Log: &log}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "moved") {
		t.Errorf("an exact split warned:\n%s", log.String())
	}
}

// TestRenamesAreSaid: a sanitised class or file name is said on stderr,
// not only recorded in the card.
func TestRenamesAreSaid(t *testing.T) {
	in := makeSources(t, []string{"class.v2", "plain"}, 2)
	if err := os.Rename(filepath.Join(in, "plain", "srca.png"), filepath.Join(in, "plain", "scan 1.png")); err != nil {
		t.Fatal(err)
	}
	cfg := small(t, in, 2)
	cfg.PerSource = 1
	var log bytes.Buffer
	card, err := Run(context.Background(), cfg, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"note: renamed class class.v2 -> class_v2", "note: renamed file plain/scan 1.png -> stem scan_1"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, log.String())
		}
	}
	// Both classes hold srca and srcb: those stems are made unique, and
	// said too. Every rename in the card is on stderr.
	if len(card.Renamed) != 4 {
		t.Errorf("card renamed %v, want 4", card.Renamed)
	}
	for _, r := range card.Renamed {
		if !strings.Contains(log.String(), " "+r.From+" -> ") || !strings.Contains(log.String(), " "+r.To+" (") {
			t.Errorf("rename %v not on stderr:\n%s", r, log.String())
		}
	}
}

func TestGroupRegexMatchingNothingIsRefused(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 4)
	out := filepath.Join(t.TempDir(), "out")
	_, err := Split(context.Background(), SplitConfig{In: in, Out: out, Val: 0.25, Seed: 1, GroupRegex: `^(patient\d+)_`}, Options{})
	var ge *GroupRegexError
	if !errors.As(err, &ge) || !strings.Contains(err.Error(), `--group-regex "^(patient\\d+)_" matches none of the 8 file names`) {
		t.Fatalf("got %v, want a *GroupRegexError naming the pattern", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OUT was created: %v", err)
	}
	// Matching some names is still a warning, not an error.
	var log bytes.Buffer
	if _, err := Split(context.Background(), SplitConfig{In: in, Out: out, Val: 0.25, Seed: 1, GroupRegex: `^(src[ab])`}, Options{Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "matched no group in 4 of 8 file names") {
		t.Errorf("partial match: stderr %q", log.String())
	}
}

func loadPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, err
	}
	return dataset.Normalize(img), nil
}

// TestIdentityPipelineWarns: `pipeline: []` (or every p 0) makes every
// variant a copy of its source: said on the log and in the card, and not
// for one variant per source or a pipeline that can apply.
func TestIdentityPipelineWarns(t *testing.T) {
	in := writeWide(t, "a", "b")
	const want = "each of the 3 variants per source is identical to its source"
	for _, tc := range []struct {
		name      string
		pipeline  string
		perSource int
		warn      bool
	}{
		{"empty", "pipeline: []\n", 3, true},
		{"every p 0", "pipeline:\n  - {name: hflip, p: 0}\n  - {name: vflip, p: 0}\n", 3, true},
		{"one variant", "pipeline: []\n", 1, false},
		{"default", "", 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := small(t, in, 2)
			if err := cfg.ApplyFile("c.yaml", []byte(tc.pipeline)); err != nil {
				t.Fatal(err)
			}
			cfg.PerSource = tc.perSource
			if tc.perSource == 1 {
				cfg.Val = 0 // one source per class, one sample: train only
			}
			var log bytes.Buffer
			card, err := Run(context.Background(), cfg, Options{Log: &log})
			if err != nil {
				t.Fatal(err)
			}
			inLog := strings.Contains(log.String(), "identical to its source")
			inCard := strings.Contains(strings.Join(card.Warnings, "\n"), "identical to its source")
			if inLog != tc.warn || inCard != tc.warn {
				t.Errorf("warned on the log %v, in the card %v; want %v:\n%s", inLog, inCard, tc.warn, log.String())
			}
			if tc.warn && !strings.Contains(log.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, log.String())
			}
		})
	}
}
