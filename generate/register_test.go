package generate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/dataset"
	"gopkg.in/yaml.v3"
)

// darken is a user transform registered with augment.Register: it
// subtracts a level drawn from [0, Max] from every grey sample.
type darken struct {
	Max int `yaml:"max"`
}

func (*darken) Name() string { return "test_darken" }

func (t *darken) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	d := r.IntN(t.Max + 1)
	return darkenGray(src.(*image.Gray), d), map[string]any{"by": d}
}

func (*darken) Replay(src image.Image, p map[string]any) (image.Image, error) {
	d, ok := p["by"].(float64)
	if !ok {
		return nil, fmt.Errorf("parameter \"by\": got %T, want a number", p["by"])
	}
	return darkenGray(src.(*image.Gray), int(d)), nil
}

func darkenGray(src *image.Gray, d int) *image.Gray {
	b := src.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Pix[y*out.Stride+x] = uint8(max(0, int(src.GrayAt(b.Min.X+x, b.Min.Y+y).Y)-d))
		}
	}
	return out
}

func init() {
	augment.Register("test_darken", func(n *yaml.Node) (augment.Replayer, error) {
		t := &darken{Max: 40}
		return t, n.Decode(t)
	})
}

// TestUserTransformRecordedAndReplayed: a transform a library user
// registers runs in generate like a built-in; the card records it in the
// pipeline and every sample's manifest line replays from its source to the
// written pixels.
func TestUserTransformRecordedAndReplayed(t *testing.T) {
	cfg := small(t, cells, 2)
	cfg.PerSource = 3
	if err := yaml.Unmarshal([]byte("- {name: rot90}\n- {name: test_darken, max: 90}\n"), &cfg.Pipeline); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	card, err := os.ReadFile(filepath.Join(cfg.Out, "dataset.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Config struct{ Pipeline []map[string]any }
	}
	if err := json.Unmarshal(card, &c); err != nil {
		t.Fatal(err)
	}
	if p := c.Config.Pipeline; len(p) != 2 || fmt.Sprint(p[1]) != "map[max:90 name:test_darken p:1]" {
		t.Errorf("the card records the pipeline as %v, want rot90 then test_darken with max 90", p)
	}
	f, err := os.Open(filepath.Join(cfg.Out, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	replayed := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var rec struct {
			Source, Path string
			Variant      int
			Params       []augment.Applied
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Variant == 0 {
			continue
		}
		if len(rec.Params) != 2 || rec.Params[1].Name != "test_darken" {
			t.Fatalf("%s: params %v, want rot90 then test_darken", rec.Path, rec.Params)
		}
		src := decodeFile(t, filepath.Join(cells, filepath.FromSlash(rec.Source)))
		if src, err = dataset.Resize(src, cfg.Size.W, cfg.Size.H); err != nil {
			t.Fatal(err)
		}
		want, err := augment.Replay(src, rec.Params)
		if err != nil {
			t.Fatalf("%s: %v", rec.Path, err)
		}
		got := decodeFile(t, filepath.Join(cfg.Out, filepath.FromSlash(rec.Path)))
		if !bytes.Equal(got.(*image.Gray).Pix, want.(*image.Gray).Pix) {
			t.Errorf("%s: replaying %v gives other pixels than were written", rec.Path, rec.Params)
		}
		replayed++
	}
	if replayed < 10 {
		t.Errorf("replayed %d samples, want every variant", replayed)
	}
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
