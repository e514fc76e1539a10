package augment

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func parseOne(t *testing.T, yamlText string) Transform {
	t.Helper()
	p, err := ParsePipelineYAML([]byte(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	return p.Steps[0].T
}

func paramKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// TestPartsOnlyWhatIsListed: a step that lists some parts of affine or
// color_jitter draws and records only those; one that lists none gets the
// documented defaults, as before.
func TestPartsOnlyWhatIsListed(t *testing.T) {
	src := toNRGBA(synthetic(16))
	for _, tc := range []struct {
		yaml string
		keys []string
	}{
		{"- {name: affine, scale: [0.9, 1.1]}", []string{"border", "scale"}},
		{"- {name: affine, translate: 0.1, border: constant}", []string{"border", "translate_x", "translate_y", "value"}},
		{"- {name: affine}", []string{"border", "scale", "shear_x", "shear_y", "translate_x", "translate_y"}},
		{"- {name: color_jitter, hue: [-20, 20]}", []string{"hue"}},
		{"- {name: color_jitter, saturation: 0.5, contrast: 1.5}", []string{"contrast", "saturation"}},
		{"- {name: color_jitter}", []string{"brightness", "contrast", "hue", "saturation"}},
	} {
		tr := parseOne(t, tc.yaml)
		_, p := tr.Apply(src, rand.New(rand.NewPCG(1, 2)))
		if got := paramKeys(p); !slices.Equal(got, tc.keys) {
			t.Errorf("%s recorded %v, want %v", tc.yaml, got, tc.keys)
		}
		// Printed and read back, the step is the same.
		text := dump(t, &Pipeline{Steps: []Step{{T: tr, P: 1}}})
		if back := parseOne(t, text); !reflect.DeepEqual(back, tr) {
			t.Errorf("%s printed as %s reads back as %#v, want %#v", tc.yaml, text, back, tr)
		}
	}
	if text := dump(t, &Pipeline{Steps: []Step{{T: parseOne(t, "- {name: affine, scale: 1.2}"), P: 1}}}); strings.Contains(text, "shear") {
		t.Errorf("an affine without shear prints %q", text)
	}
	// Every part off: prints so that it reads back off, not as the defaults.
	for _, tr := range []Transform{&Affine{}, &ColorJitter{}} {
		text := dump(t, &Pipeline{Steps: []Step{{T: tr, P: 1}}})
		if back := parseOne(t, text); !reflect.DeepEqual(back, tr) {
			t.Errorf("%s with every part off prints %s, reads back as %#v", tr.Name(), text, back)
		}
		got, p := tr.Apply(src, rand.New(rand.NewPCG(1, 2)))
		if !bytes.Equal(pixBytes(got), src.Pix) || len(p) > 1 {
			t.Errorf("%s with every part off changed the image or recorded %v", tr.Name(), p)
		}
	}
}

// TestAffineAllPartsKeepsItsStream: an affine with every part draws in the
// order it always did, so its records (and pixels) are unchanged.
func TestAffineAllPartsKeepsItsStream(t *testing.T) {
	tr := &Affine{Scale: Range{0.9, 1.1}, Translate: Range{-0.05, 0.05}, Shear: Range{-10, 10}}
	r, q := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
	_, p := tr.Apply(synthetic(8), r)
	want := map[string]any{"border": "reflect101", "scale": tr.Scale.draw(q), "translate_x": tr.Translate.draw(q),
		"translate_y": tr.Translate.draw(q), "shear_x": tr.Shear.draw(q), "shear_y": tr.Shear.draw(q)}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("recorded %v, want %v", p, want)
	}
}

func TestColorJitter(t *testing.T) {
	// Grey: brightness and contrast only.
	_, p := (&ColorJitter{Brightness: Range{0.9, 1.1}, Contrast: Range{0.9, 1.1}, Saturation: Range{0, 2}, Hue: Range{-90, 90}}).
		Apply(synthetic(8), rand.New(rand.NewPCG(1, 1)))
	if got := paramKeys(p); !slices.Equal(got, []string{"brightness", "contrast"}) {
		t.Errorf("on grey recorded %v, want brightness and contrast only", got)
	}

	src := toNRGBA(synthetic(12))
	grey, _ := (&ColorJitter{Saturation: Range{0, 0}}).Apply(src, nil) // off: nothing drawn
	if !bytes.Equal(pixBytes(grey), src.Pix) {
		t.Error("saturation [0, 0] is off, but the image changed")
	}
	img := clone(src)
	jitter(img, params{"saturation": 0.0})
	for i := 0; i < len(src.Pix); i += 4 {
		r, g, b := int(src.Pix[i]), int(src.Pix[i+1]), int(src.Pix[i+2])
		l := uint8((299*r + 587*g + 114*b + 500) / 1000)
		if got := img.(*image.NRGBA).Pix[i : i+4]; got[0] != l || got[1] != l || got[2] != l || got[3] != src.Pix[i+3] {
			t.Fatalf("saturation 0 at %d: got %v, want grey %d with alpha %d", i/4, got, l, src.Pix[i+3])
		}
	}

	hue := func(deg float64, c color.NRGBA) color.NRGBA {
		m := image.NewNRGBA(image.Rect(0, 0, 1, 1))
		m.SetNRGBA(0, 0, c)
		jitter(m, params{"hue": deg})
		return m.NRGBAAt(0, 0)
	}
	red := color.NRGBA{255, 0, 0, 77}
	for _, tc := range []struct {
		deg  float64
		in   color.NRGBA
		want color.NRGBA
	}{
		{120, red, color.NRGBA{0, 255, 0, 77}},
		{-120, red, color.NRGBA{0, 0, 255, 77}},
		{60, red, color.NRGBA{255, 255, 0, 77}},
		{360, color.NRGBA{200, 100, 50, 255}, color.NRGBA{200, 100, 50, 255}},
		{180, color.NRGBA{200, 100, 50, 255}, color.NRGBA{50, 150, 200, 255}}, // the complement keeps value and saturation
		{45, color.NRGBA{90, 90, 90, 255}, color.NRGBA{90, 90, 90, 255}},      // grey has no hue
	} {
		if got := hue(tc.deg, tc.in); got != tc.want {
			t.Errorf("hue %v of %v: got %v, want %v", tc.deg, tc.in, got, tc.want)
		}
	}
}

func TestCoarseDropout(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range src.Pix {
		src.Pix[i] = 200
	}
	tr := &CoarseDropout{Holes: Range{3, 3}, Size: Range{0.25, 0.25}, Value: 7}
	got, p := tr.Apply(src, rand.New(rand.NewPCG(5, 6)))
	boxes := p["boxes"].([][4]int)
	if len(boxes) != 3 {
		t.Fatalf("boxes %v, want 3", boxes)
	}
	in := map[image.Point]bool{}
	for _, b := range boxes {
		if b[2] != 4 || b[3] != 4 {
			t.Errorf("box %v: want 4x4 (a quarter of 16)", b)
		}
		for y := b[1]; y < b[1]+b[3]; y++ {
			for x := b[0]; x < b[0]+b[2]; x++ {
				in[image.Pt(x, y)] = true
			}
		}
	}
	g := asGray(t, got)
	for y := range 16 {
		for x := range 16 {
			want := uint8(200)
			if in[image.Pt(x, y)] {
				want = 7
			}
			if v := g.GrayAt(x, y).Y; v != want {
				t.Fatalf("(%d,%d) = %d, want %d", x, y, v, want)
			}
		}
	}
	// 16-bit: value x257; colour: grey and opaque, as every fill.
	g16 := image.NewGray16(image.Rect(0, 0, 4, 4))
	whole := &CoarseDropout{Holes: Range{1, 1}, Size: Range{1, 1}, Value: 10}
	out16, _ := whole.Apply(g16, rand.New(rand.NewPCG(1, 1)))
	if v := out16.(*image.Gray16).Gray16At(2, 2).Y; v != 2570 {
		t.Errorf("16-bit fill %d, want 2570", v)
	}
	rgb := toNRGBA(synthetic(4))
	rgb.Pix[3] = 9
	outRGB, _ := whole.Apply(rgb, rand.New(rand.NewPCG(1, 1)))
	if c := outRGB.(*image.NRGBA).NRGBAAt(0, 0); c != (color.NRGBA{10, 10, 10, 255}) {
		t.Errorf("RGB fill %v, want opaque {10 10 10 255}", c)
	}
	// A replayed box outside the image is an error, not a panic.
	js := `[{"name": "coarse_dropout", "params": {"boxes": [[14, 0, 4, 4]], "value": 0}}]`
	var applied []Applied
	if err := json.Unmarshal([]byte(js), &applied); err != nil {
		t.Fatal(err)
	}
	if _, err := Replay(src, applied); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("replay of a box outside the image: %v", err)
	}
}

func TestPerspective(t *testing.T) {
	src := synthetic(20)
	same, p := (&Perspective{}).Apply(src, rand.New(rand.NewPCG(1, 1)))
	if !bytes.Equal(asGray(t, same).Pix, src.Pix) || len(p["corners"].([]float64)) != 8 {
		t.Errorf("scale [0, 0] changed the image or recorded %v", p)
	}
	// Every corner a quarter inwards is a parallelogram: a 2x zoom about
	// the centre, which affine renders too.
	zoom := perspectiveImage(src, [8]float64{0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25})
	want := affineImage(src, affineParams{scale: 2}, BorderReplicate, 0)
	if !bytes.Equal(asGray(t, zoom).Pix, asGray(t, want).Pix) {
		t.Errorf("quarter corners:\n%v\nwant the 2x zoom\n%v", rowsOf(asGray(t, zoom)), rowsOf(asGray(t, want)))
	}
	_, p = (&Perspective{Scale: Range{0.1, 0.3}}).Apply(src, rand.New(rand.NewPCG(2, 2)))
	for _, c := range p["corners"].([]float64) {
		if c < 0.1 || c > 0.3 {
			t.Errorf("corner fraction %v outside [0.1, 0.3]", c)
		}
	}
	if _, err := Replay(src, []Applied{{Name: "perspective", Params: map[string]any{"corners": []any{0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}}); err == nil {
		t.Error("replay of a corner beyond 0.3: no error")
	}
}

// TestDescribe: the table `augsplit transforms` prints comes from the
// parser's own fields: every transform and key is there with a unit, and
// the defaults are what an empty step parses to.
func TestDescribe(t *testing.T) {
	infos := Describe()
	var names []string
	for _, info := range infos {
		names = append(names, info.Name)
		if info.About == "" {
			t.Errorf("%s has no description", info.Name)
		}
		step := "- {name: " + info.Name + "}"
		text := dump(t, &Pipeline{Steps: []Step{{T: parseOne(t, step), P: 1}}})
		for _, k := range info.Keys {
			if k.Unit == "" {
				t.Errorf("%s.%s has no unit", info.Name, k.Key)
			}
			if want := k.Key + ": " + k.Default; !strings.Contains(text, want) {
				t.Errorf("%s.%s: default %q, but %s prints %s", info.Name, k.Key, k.Default, step, text)
			}
		}
	}
	if !slices.Equal(names, builtinNames()) {
		t.Errorf("described %v, want every built-in transform %v", names, builtinNames())
	}
}
