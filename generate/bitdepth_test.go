package generate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

// deepSource writes one 16-bit grey source per class, with values that
// use the whole range and the low byte, so a lost bit shows.
func deepSource(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for ci, class := range []string{"a", "b"} {
		g := image.NewGray16(image.Rect(0, 0, 16, 16))
		for i := 0; i < len(g.Pix); i += 2 {
			v := uint16((i/2)*257 + ci*1000 + i%7)
			g.Pix[i], g.Pix[i+1] = uint8(v>>8), uint8(v)
		}
		filetest.WritePNG(t, filepath.Join(dir, class, "s.png"), g)
	}
	return dir
}

// pngBitDepth is the bit depth byte of a PNG's IHDR.
func pngBitDepth(t *testing.T, data []byte) int {
	t.Helper()
	if len(data) < 25 || string(data[12:16]) != "IHDR" {
		t.Fatalf("not a PNG with IHDR first (%d bytes)", len(data))
	}
	return int(data[24])
}

func decodePNGFile(t *testing.T, p string) (image.Image, []byte) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return img, data
}

// By default a 16-bit source gives 8-bit PNGs, each value round(v/257) of
// what --bit-depth 16 writes; --bit-depth 16 keeps every bit of the
// source. Bit depth is in the manifest, the .json members and the
// Examples; the card records the mapping.
func TestBitDepth(t *testing.T) {
	in := deepSource(t)
	run := func(depth int) (Config, *schema.Card) {
		cfg := small(t, in, 2)
		cfg.Size = Size{}
		cfg.PerSource = 2
		cfg.Val = 0.34
		cfg.Pipeline = &augment.Pipeline{} // no transform: the source's pixels
		cfg.Formats = []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}
		if depth != 0 {
			cfg.BitDepth = depth
		}
		card, err := Run(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return cfg, card
	}
	def, defCard := run(0)
	deep, deepCard := run(16)

	var rec struct {
		BitDepth   int    `json:"bit_depth"`
		Depth16To8 string `json:"depth_16_to_8"`
	}
	if err := json.Unmarshal(defCard.Config, &rec); err != nil || rec.BitDepth != 8 || rec.Depth16To8 != "round(v/257)" {
		t.Errorf("default card config: bit_depth %d, depth_16_to_8 %q (%v); want 8, round(v/257)", rec.BitDepth, rec.Depth16To8, err)
	}
	rec.Depth16To8 = ""
	if err := json.Unmarshal(deepCard.Config, &rec); err != nil || rec.BitDepth != 16 || rec.Depth16To8 != "" {
		t.Errorf("--bit-depth 16 card config: bit_depth %d, depth_16_to_8 %q (%v); want 16 and no mapping", rec.BitDepth, rec.Depth16To8, err)
	}

	srcs := map[string]*image.Gray16{}
	for _, class := range []string{"a", "b"} {
		img, _ := decodePNGFile(t, filepath.Join(in, class, "s.png"))
		srcs[class] = img.(*image.Gray16)
	}
	deepRecs := map[string]schema.Record{}
	for _, r := range readManifest(t, deep.Out) {
		deepRecs[r.ID] = r
	}
	recs := readManifest(t, def.Out)
	if len(recs) == 0 || len(recs) != len(deepRecs) {
		t.Fatalf("%d samples by default, %d with --bit-depth 16", len(recs), len(deepRecs))
	}
	for _, r := range recs {
		d := deepRecs[r.ID]
		if r.BitDepth != 8 || d.BitDepth != 16 {
			t.Errorf("%s: manifest bit depth %d by default and %d with --bit-depth 16, want 8 and 16", r.ID, r.BitDepth, d.BitDepth)
		}
		img8, data8 := decodePNGFile(t, filepath.Join(def.Out, filepath.FromSlash(r.Path)))
		img16, data16 := decodePNGFile(t, filepath.Join(deep.Out, filepath.FromSlash(d.Path)))
		if got := pngBitDepth(t, data8); got != 8 {
			t.Errorf("%s: PNG bit depth %d by default, want 8", r.ID, got)
		}
		if got := pngBitDepth(t, data16); got != 16 {
			t.Errorf("%s: PNG bit depth %d with --bit-depth 16, want 16", r.ID, got)
		}
		g8, ok8 := img8.(*image.Gray)
		g16, ok16 := img16.(*image.Gray16)
		if !ok8 || !ok16 {
			t.Fatalf("%s: decoded %T and %T, want *image.Gray and *image.Gray16", r.ID, img8, img16)
		}
		src := srcs[r.Class]
		if !bytes.Equal(g16.Pix, src.Pix) {
			t.Errorf("%s: --bit-depth 16 changed the source's 16-bit values", r.ID)
		}
		for i, v8 := range g8.Pix {
			v := uint32(src.Pix[2*i])<<8 | uint32(src.Pix[2*i+1])
			// round(v/257), computed in floating point apart from the code's integers.
			want := uint8(float64(v)/257 + 0.5)
			if v8 != want {
				t.Fatalf("%s: pixel %d is %d from 16-bit %d, want round(v/257) = %d", r.ID, i, v8, v, want)
			}
		}
	}

	for _, tc := range []struct {
		cfg  Config
		card *schema.Card
		want int
	}{{def, defCard, 8}, {deep, deepCard, 16}} {
		for _, sh := range tc.card.Shards {
			f, err := os.Open(filepath.Join(tc.cfg.Out, filepath.FromSlash(sh.Path)))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			if sh.Format == schema.FormatWebDataset {
				r := wds.NewReader(f)
				for {
					s, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", sh.Path, err)
					}
					js, _ := s.Data("json")
					var m struct {
						BitDepth int `json:"bit_depth"`
					}
					if err := json.Unmarshal(js, &m); err != nil || m.BitDepth != tc.want {
						t.Errorf("%s: %s.json bit_depth %d (%v), want %d", sh.Path, s.Key, m.BitDepth, err, tc.want)
					}
					n++
				}
			} else {
				r := tfrecord.NewReader(f)
				for {
					data, _, err := r.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", sh.Path, err)
					}
					ex, err := tfrecord.ParseExample(data)
					if err != nil {
						t.Fatal(err)
					}
					if got := ex["image/bit_depth"].Int64; len(got) != 1 || got[0] != int64(tc.want) {
						t.Errorf("%s: image/bit_depth %v, want [%d]", sh.Path, got, tc.want)
					}
					n++
				}
			}
			f.Close()
			if n != sh.Samples {
				t.Errorf("%s: read %d samples, card says %d", sh.Path, n, sh.Samples)
			}
		}
	}
}

// pillowPython is an interpreter that has Pillow, or "" (the python3 on
// PATH may be a shim without it; the system one often has python3-pil).
func pillowPython() string {
	cands := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	for _, p := range cands {
		if exec.Command(p, "-c", "import PIL.Image").Run() == nil {
			return p
		}
	}
	return ""
}

// What the standard loaders see: by default the PNGs of a 16-bit grey
// source open in Pillow (which torchvision's ImageFolder, Keras and
// WebDataset decode with) as mode L, not I.
func TestBitDepthPillowMode(t *testing.T) {
	py := pillowPython()
	if py == "" {
		t.Skip("no python3 with Pillow (apt-get install python3-pil): skipping the check that default PNGs open as mode L")
	}
	cfg := small(t, deepSource(t), 2)
	cfg.Size = Size{}
	cfg.PerSource = 3
	cfg.Val = 0.34
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(py, filepath.Join("testdata", "pillow_modes.py"), cfg.Out)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", py, err, stderr.String())
	}
	var modes map[string]string
	if err := json.Unmarshal(out, &modes); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := len(readManifest(t, cfg.Out)); len(modes) != want {
		t.Errorf("Pillow opened %d PNGs, the manifest lists %d", len(modes), want)
	}
	for p, m := range modes {
		if m != "L" {
			t.Errorf("%s opens in Pillow as mode %q, want L", p, m)
		}
	}
}
