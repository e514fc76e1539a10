package preview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// pattern draws a deterministic grey test image: a gradient with a bright
// off-centre square, so flips and rotations are visible.
func pattern(seed, w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := (x*255/w + y*seed*7) % 200
			if x > w/5 && x < w/2 && y > h/6 && y < h/2 {
				v = 250
			}
			img.SetGray(x, y, color.Gray{Y: uint8(v)})
		}
	}
	return img
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

const params = `[{"name":"rotate","params":{"angle":%g,"border":"reflect101"}},%s{"name":"gaussian_noise","params":{"sigma":%g,"seed":7}}]`

// buildOut writes a small augsplit OUT: class "alpha" keeps its original
// (variant 0) in OUT, class "beta" has its source in the --in folder named
// by the card, class "gamma_long_name" has no source to show and only one
// variant, fewer than K.
func buildOut(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	out, in := filepath.Join(root, "out"), filepath.Join(root, "in")
	filetest.WritePNG(t, filepath.Join(in, "beta", "b.png"), pattern(2, 200, 150))

	type spec struct {
		class, split, source string
		variant, seed, w, h  int
	}
	specs := []spec{
		{"beta", "train", "beta/b.png", 1, 2, 200, 150},
		{"alpha", "train", "alpha/a.png", 1, 1, 40, 30},
		{"gamma_long_name", "val", "gamma_long_name/g.png", 1, 3, 64, 64},
		{"alpha", "val", "alpha/a.png", 0, 1, 40, 30},
		{"beta", "val", "beta/b.png", 2, 2, 200, 150},
		{"alpha", "train", "alpha/a.png", 2, 1, 40, 30},
		{"beta", "train", "beta/b.png", 3, 2, 200, 150},
		{"alpha", "train", "alpha/a.png", 3, 1, 40, 30},
		{"alpha", "train", "alpha/a.png", 4, 1, 40, 30},
	}
	var manifest bytes.Buffer
	card := schema.Card{Tool: "augsplit", Classes: []string{"alpha", "beta", "gamma_long_name"},
		Splits: []string{"train", "val"}, Counts: map[string]map[string]int{}}
	cfg, _ := json.Marshal(map[string]string{"in": in})
	card.Config = cfg
	for i, s := range specs {
		img := pattern(s.seed+s.variant, s.w, s.h)
		id := fmt.Sprintf("%s_%d", s.class, s.variant)
		rel := fmt.Sprintf("%s/%s/%s.png", s.split, s.class, id)
		data := filetest.WritePNG(t, filepath.Join(out, filepath.FromSlash(rel)), img)
		p := "[]"
		if s.variant > 0 {
			flips := ""
			if i%2 == 0 {
				flips = `{"name":"hflip","params":{}},{"name":"vflip","params":{}},`
			}
			p = fmt.Sprintf(params, 37.5*float64(s.variant), flips, 0.5*float64(s.variant))
		}
		rec := schema.Record{ID: id, Split: s.split, Class: s.class, Source: s.source,
			SourceSHA256: hexSHA([]byte(s.source)), Variant: s.variant, Params: json.RawMessage(p),
			Width: s.w, Height: s.h, Channels: 1, BitDepth: 8, Path: rel, SHA256: hexSHA(data)}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		manifest.Write(append(line, '\n'))
		if card.Counts[s.class] == nil {
			card.Counts[s.class] = map[string]int{}
		}
		card.Counts[s.class][s.split]++
	}
	if err := os.WriteFile(filepath.Join(out, schema.ManifestFile), manifest.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(card)
	if err := os.WriteFile(filepath.Join(out, schema.CardFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSheetSize(t *testing.T) {
	tests := []struct {
		k, classes int
		want       image.Point
	}{
		{0, 1, image.Pt(240, 176)},
		{3, 3, image.Pt(600, 528)},
		{6, 10, image.Pt(960, 1760)},
	}
	for _, tt := range tests {
		if got := SheetSize(tt.k, tt.classes); got != tt.want {
			t.Errorf("SheetSize(%d, %d) = %v, want %v", tt.k, tt.classes, got, tt.want)
		}
	}
}

func decodeSize(t *testing.T, path string) image.Point {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return image.Pt(cfg.Width, cfg.Height)
}

func TestWrite(t *testing.T) {
	for _, k := range []int{0, 2, 5} {
		t.Run(fmt.Sprintf("K=%d", k), func(t *testing.T) {
			out := buildOut(t)
			if err := Write(context.Background(), out, k); err != nil {
				t.Fatal(err)
			}
			if got, want := decodeSize(t, filepath.Join(out, SheetFile)), SheetSize(k, 3); got != want {
				t.Errorf("preview.png is %v, want %v", got, want)
			}
			if got, want := decodeSize(t, filepath.Join(out, ChartFile)), ChartSize(3, 2); got != want {
				t.Errorf("splits.png is %v, want %v", got, want)
			}
			ents, _ := os.ReadDir(out)
			for _, e := range ents {
				if filepath.Ext(e.Name()) != ".png" && filepath.Ext(e.Name()) != ".jsonl" && filepath.Ext(e.Name()) != ".json" && !e.IsDir() {
					t.Errorf("left behind %s", e.Name())
				}
			}
		})
	}
}

func TestChartSize(t *testing.T) {
	tests := []struct {
		classes, splits int
		want            image.Point
	}{
		{3, 2, image.Pt(480, 360)},
		{10, 2, image.Pt(620, 360)},
		{10, 3, image.Pt(760, 360)},
	}
	for _, tt := range tests {
		card := schema.Card{Counts: map[string]map[string]int{}}
		for i := range tt.classes {
			c := fmt.Sprintf("class_%d", i)
			card.Classes = append(card.Classes, c)
			card.Counts[c] = map[string]int{"train": 10 + i, "val": 3, "test": 1}
		}
		card.Splits = []string{"train", "val", "test"}[:tt.splits]
		img, err := RenderChart(card)
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != tt.want || ChartSize(tt.classes, tt.splits) != tt.want {
			t.Errorf("chart for %d classes, %d splits is %v (ChartSize %v), want %v",
				tt.classes, tt.splits, got, ChartSize(tt.classes, tt.splits), tt.want)
		}
	}
}

// TestSheetGolden guards the contact sheet layout pixel for pixel; run
// with -update after a deliberate change and look at the new golden.
func TestSheetGolden(t *testing.T) {
	out := buildOut(t)
	g, err := dataset.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := RenderSheet(context.Background(), g, 3)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sheet.golden.png")
	if *update {
		filetest.WritePNG(t, golden, got)
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("sheet is %v, golden %v", got.Bounds(), want.Bounds())
	}
	diff := 0
	for y := range got.Bounds().Dy() {
		for x := range got.Bounds().Dx() {
			r1, g1, b1, _ := got.At(x, y).RGBA()
			r2, g2, b2, _ := want.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("%d pixels differ from %s", diff, golden)
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		params string
		want   []string
	}{
		{`[]`, []string{"original"}},
		{fmt.Sprintf(params, 123.456, `{"name":"hflip","params":{}},`, 3.0), []string{"rot 123.5", "noise 3.00", "flip h"}},
		{fmt.Sprintf(params, 5.0, `{"name":"hflip","params":{}},{"name":"vflip","params":{}},`, 0.25), []string{"rot 5.0", "noise 0.25", "flip hv"}},
		{`[{"name":"gamma","params":{"gamma":1.1}},{"name":"elastic","params":{}},{"name":"brightness","params":{}},{"name":"contrast","params":{}},{"name":"gaussian_blur","params":{}}]`,
			[]string{"gamma elastic", "brightness", "contrast +1"}},
		{`not json`, []string{"params unreadable"}},
	}
	for _, tt := range tests {
		if got := summarize(json.RawMessage(tt.params)); !slices.Equal(got, tt.want) {
			t.Errorf("summarize(%s) = %q, want %q", tt.params, got, tt.want)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	if err := Write(context.Background(), dir, 3); err == nil {
		t.Error("Write on a folder without a card: no error")
	}
	out := buildOut(t)
	if err := Write(context.Background(), out, -1); err == nil {
		t.Error("Write with per-class -1: no error")
	}
}
