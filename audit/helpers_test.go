package audit

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

// blobs draws a deterministic cell-like grey image: a few Gaussian blobs
// at places drawn from seed, so different seeds give unrelated images and
// none is symmetric.
func blobs(seed uint64, w, h int) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 7))
	type blob struct{ x, y, s, a float64 }
	bs := make([]blob, 5)
	for i := range bs {
		bs[i] = blob{r.Float64() * float64(w), r.Float64() * float64(h), 3 + r.Float64()*float64(w)/5, 60 + r.Float64()*140}
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 20.0
			for _, b := range bs {
				dx, dy := float64(x)-b.x, float64(y)-b.y
				v += b.a * math.Exp(-(dx*dx+dy*dy)/(2*b.s*b.s))
			}
			img.SetGray(x, y, color.Gray{uint8(min(255, v))})
		}
	}
	return img
}

// d4 applies symmetry s of the square's group to img: bit 0 mirrors x,
// bit 1 mirrors y, bit 2 transposes (after the mirrors).
func d4(img *image.Gray, s int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := w, h
	if s&4 != 0 {
		ow, oh = h, w
	}
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for y := range h {
		for x := range w {
			sx, sy := x, y
			if s&1 != 0 {
				sx = w - 1 - x
			}
			if s&2 != 0 {
				sy = h - 1 - y
			}
			v := img.GrayAt(b.Min.X+sx, b.Min.Y+sy)
			if s&4 != 0 {
				out.SetGray(y, x, v)
			} else {
				out.SetGray(x, y, v)
			}
		}
	}
	return out
}

// noisy adds seeded Gaussian noise of sigma grey levels.
func noisy(img *image.Gray, sigma float64, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 11))
	out := image.NewGray(img.Bounds())
	for i, p := range img.Pix {
		out.Pix[i] = uint8(math.Round(min(255, max(0, float64(p)+r.NormFloat64()*sigma))))
	}
	return out
}

// folder writes files rel -> image under a new temp dir.
func folder(t *testing.T, files map[string]image.Image) string {
	t.Helper()
	dir := t.TempDir()
	for rel, img := range files {
		filetest.WritePNG(t, filepath.Join(dir, filepath.FromSlash(rel)), img)
	}
	return dir
}

// outSample is one sample of a hand-built augsplit OUT.
type outSample struct {
	split, class string
	source       uint64 // seed of the source image
	variant      int
}

// buildOut writes a tiny augsplit-style OUT: PNGs, manifest.jsonl in the
// given order, dataset.json with the split levels given. Variant v of a
// source is symmetry v%8 of it plus light noise (what generate's rotate
// and noise do, within reach of a perceptual hash).
func buildOut(t *testing.T, samples []outSample, levels map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var manifest bytes.Buffer
	classes := map[string]bool{}
	counts := map[string]map[string]int{}
	splits := map[string]bool{}
	for i, s := range samples {
		src := blobs(s.source, 48, 40)
		img := noisy(d4(src, s.variant%8), 2, uint64(i))
		data := filetest.PNG(t, img)
		id := s.class + "_" + strconv.Itoa(int(s.source)) + "_" + strconv.Itoa(s.variant)
		rel := s.split + "/" + s.class + "/" + id + ".png"
		filetest.Write(t, filepath.Join(dir, filepath.FromSlash(rel)), data)
		rec := schema.Record{
			ID: id, Split: s.split, Class: s.class, Source: s.class + "/src" + strconv.Itoa(int(s.source)) + ".png",
			SourceSHA256: "sha-of-source-" + strconv.Itoa(int(s.source)), Variant: s.variant,
			Params: json.RawMessage(`[]`), Width: img.Bounds().Dx(), Height: img.Bounds().Dy(),
			Channels: 1, BitDepth: 8, Path: rel, SHA256: filetest.SHA256(data),
		}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		manifest.Write(append(line, '\n'))
		classes[s.class] = true
		splits[s.split] = true
		if counts[s.class] == nil {
			counts[s.class] = map[string]int{}
		}
		counts[s.class][s.split]++
	}
	filetest.Write(t, filepath.Join(dir, schema.ManifestFile), manifest.Bytes())
	card := schema.Card{Tool: "augsplit", Command: "generate", Counts: counts, SplitLevel: levels}
	for c := range classes {
		card.Classes = append(card.Classes, c)
	}
	for _, s := range []string{"train", "val", "test"} {
		if splits[s] {
			card.Splits = append(card.Splits, s)
		}
	}
	data, err := json.Marshal(card)
	if err != nil {
		t.Fatal(err)
	}
	filetest.Write(t, filepath.Join(dir, schema.CardFile), data)
	return dir
}
