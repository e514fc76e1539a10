package augment_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"math/rand/v2"
	"os"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/conf"
	"gopkg.in/yaml.v3"
)

// Solarize inverts every grey level at or above a threshold drawn from
// [Min, Max]. Its exported fields are its YAML settings.
type Solarize struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
}

func (*Solarize) Name() string { return "solarize" }

// Apply draws the threshold from r and records it.
func (t *Solarize) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	th := t.Min + r.IntN(t.Max-t.Min+1)
	return solarize(src.(*image.Gray), th), map[string]any{"threshold": th}
}

// Replay renders from the recorded threshold (a float64 after JSON).
func (*Solarize) Replay(src image.Image, p map[string]any) (image.Image, error) {
	th, ok := p["threshold"].(float64)
	if n, isInt := p["threshold"].(int); isInt {
		th, ok = float64(n), true
	}
	if !ok {
		return nil, fmt.Errorf("parameter %q: want a number", "threshold")
	}
	return solarize(src.(*image.Gray), int(th)), nil
}

func solarize(src *image.Gray, th int) *image.Gray {
	b := src.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			v := src.GrayAt(b.Min.X+x, b.Min.Y+y).Y
			if int(v) >= th {
				v = 255 - v
			}
			out.Pix[y*out.Stride+x] = v
		}
	}
	return out
}

func init() {
	// Register once, at init, as database/sql drivers do. An empty
	// settings node gives the defaults (Replay relies on that).
	augment.Register("solarize", func(settings *yaml.Node) (augment.Replayer, error) {
		t := &Solarize{Min: 128, Max: 255}
		if err := settings.Decode(t); err != nil {
			return nil, err
		}
		if t.Min < 0 || t.Max > 256 || t.Min > t.Max {
			return nil, &conf.Error{Key: "min", Msg: "want 0 <= min <= max <= 256"}
		}
		return t, nil
	})
}

// A transform of your own, named in YAML, recorded and replayed like the
// built-ins.
func ExampleRegister() {
	p, err := augment.ParsePipelineYAML([]byte(`
- {name: hflip}
- {name: solarize, min: 100, max: 200}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	yaml.NewEncoder(os.Stdout).Encode(p)

	src := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 16)
	}
	img, applied := p.Apply(src, augment.NewRand(1, "9f86d081884c7d65", 0))
	record, _ := json.Marshal(applied) // what the manifest holds
	fmt.Println(string(record))

	var fromManifest []augment.Applied
	json.Unmarshal(record, &fromManifest)
	again, err := augment.Replay(src, fromManifest)
	fmt.Println(err, bytes.Equal(again.(*image.Gray).Pix, img.(*image.Gray).Pix))
	// Output:
	// - {name: hflip, p: 1}
	// - {name: solarize, p: 1, min: 100, max: 200}
	// [{"name":"hflip","params":{}},{"name":"solarize","params":{"threshold":148}}]
	// <nil> true
}
