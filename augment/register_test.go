package augment_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/conf"
	"gopkg.in/yaml.v3"
)

// posterize is a user's own transform, written against the exported API
// only: it keeps the top bits of every grey level, the number of bits
// drawn from [MinBits, MaxBits].
type posterize struct {
	MinBits int `yaml:"min_bits"`
	MaxBits int `yaml:"max_bits"`
}

func (*posterize) Name() string { return "posterize" }

func (t *posterize) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	bits := t.MinBits + r.IntN(t.MaxBits-t.MinBits+1)
	return posterizeGray(src, bits), map[string]any{"bits": bits}
}

func (*posterize) Replay(src image.Image, params map[string]any) (image.Image, error) {
	var bits int
	switch v := params["bits"].(type) {
	case int:
		bits = v
	case float64: // after JSON
		bits = int(v)
	default:
		return nil, fmt.Errorf("parameter \"bits\": want a number, got %T", params["bits"])
	}
	if bits < 1 || bits > 8 {
		return nil, fmt.Errorf("parameter \"bits\": %d is not 1 to 8", bits)
	}
	return posterizeGray(src, bits), nil
}

func posterizeGray(src image.Image, bits int) *image.Gray {
	b := src.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	mask := uint8(0xff << (8 - bits))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Pix[y*out.Stride+x] = src.(*image.Gray).GrayAt(b.Min.X+x, b.Min.Y+y).Y & mask
		}
	}
	return out
}

func newPosterize(settings *yaml.Node) (augment.Replayer, error) {
	t := &posterize{MinBits: 2, MaxBits: 4}
	if err := settings.Decode(t); err != nil {
		return nil, err
	}
	if t.MinBits < 1 || t.MaxBits > 8 || t.MinBits > t.MaxBits {
		return nil, &conf.Error{Key: "min_bits", Msg: "want 1 <= min_bits <= max_bits <= 8"}
	}
	return t, nil
}

// liar reports a name other than the one it is registered under.
type liar struct{ posterize }

func (*liar) Name() string { return "someone_else" }

func init() {
	augment.Register("posterize", newPosterize)
	augment.Register("liar", func(*yaml.Node) (augment.Replayer, error) { return &liar{}, nil })
}

func greyRamp(n int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, n, n))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	return img
}

// TestRegisteredTransform: a user's transform is named in YAML like a
// built-in, records its parameters, prints and reads back, and replays
// from a manifest's JSON to the same pixels.
func TestRegisteredTransform(t *testing.T) {
	p, err := augment.ParsePipelineYAML([]byte(`
- {name: rot90}
- {name: posterize, p: 1, min_bits: 3, max_bits: 5}
- {name: gaussian_noise, sigma: 4}
`))
	if err != nil {
		t.Fatal(err)
	}
	src := greyRamp(16)
	img, applied := p.Apply(src, augment.NewRand(7, "source-sha", 2))
	if len(applied) != 3 || applied[1].Name != "posterize" {
		t.Fatalf("applied = %v, want rot90, posterize, gaussian_noise", applied)
	}
	bits, ok := applied[1].Params["bits"].(int)
	if !ok || bits < 3 || bits > 5 {
		t.Errorf("posterize recorded %v, want bits in [3, 5]", applied[1].Params)
	}

	// The manifest holds the applied list as JSON; replay reads it back.
	js, err := json.Marshal(applied)
	if err != nil {
		t.Fatal(err)
	}
	var fromManifest []augment.Applied
	if err := json.Unmarshal(js, &fromManifest); err != nil {
		t.Fatal(err)
	}
	again, err := augment.Replay(src, fromManifest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.(*image.Gray).Pix, img.(*image.Gray).Pix) {
		t.Error("replay from the manifest's JSON gives other pixels than Apply")
	}

	// The printed pipeline (what --print-config shows and the card records)
	// names the transform with its settings and reads back the same.
	out, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "- {name: posterize, p: 1, min_bits: 3, max_bits: 5}\n"; !strings.Contains(string(out), want) {
		t.Errorf("printed pipeline\n%s\nlacks %q", out, want)
	}
	q, err := augment.ParsePipelineYAML(out)
	if err != nil {
		t.Fatalf("printed pipeline does not read back: %v\n%s", err, out)
	}
	if out2, _ := yaml.Marshal(q); !bytes.Equal(out2, out) {
		t.Errorf("round trip changed the pipeline:\n%s\nthen\n%s", out, out2)
	}
}

func TestRegisteredTransformErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		key        string
		words      []string
	}{
		{"unregistered", "- {name: rotate}\n- {name: posterise}\n", 2, "name",
			[]string{`unknown transform "posterise"`, "(valid: ", "posterize", "rotate", "gaussian_noise"}},
		{"constructor config error", "- {name: posterize,\n   max_bits: 9}\n", 1, "min_bits",
			[]string{"min_bits <= max_bits <= 8"}},
		{"constructor decode error", "- name: hflip\n- name: posterize\n  min_bits: lots\n", 3, "",
			[]string{"posterize", "lots"}},
		{"wrong name", "- {name: liar}\n", 1, "",
			[]string{`"liar"`, `"someone_else"`, "Replay"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := augment.ParsePipelineYAML([]byte(tt.yaml))
			var ce *conf.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want a *conf.Error", err, err)
			}
			if ce.Line != tt.line || ce.Key != tt.key {
				t.Errorf("line %d key %q, want line %d key %q (%v)", ce.Line, ce.Key, tt.line, tt.key, err)
			}
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := augment.Replay(greyRamp(4), []augment.Applied{{Name: "posterise"}}); err == nil || !strings.Contains(err.Error(), "posterize") {
		t.Errorf("replaying an unregistered name: %v, want an error listing valid names", err)
	}
}

func TestRegisterRefusesMistakes(t *testing.T) {
	ok := func(*yaml.Node) (augment.Replayer, error) { return &posterize{1, 1}, nil }
	for _, c := range []struct {
		name string
		ctor augment.Constructor
		want string
	}{
		{"rotate", ok, "twice"},
		{"posterize", ok, "twice"},
		{"", ok, "invalid"},
		{"two words", ok, "invalid"},
		{"fine", nil, "nil"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), c.want) {
					t.Errorf("Register(%q): panic %v, want one saying %q", c.name, r, c.want)
				}
			}()
			augment.Register(c.name, c.ctor)
		}()
	}
	names := augment.Names()
	if !slices.Contains(names, "posterize") || slices.Contains(names, "fine") || slices.Contains(names, "two words") {
		t.Errorf("Names() = %v: want posterize registered and nothing from the refused calls", names)
	}
}
