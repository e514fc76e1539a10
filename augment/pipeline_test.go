package augment

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// allTransforms is one configured instance of every built-in transform,
// with ranges wide enough to do something visible.
func allTransforms() []Transform {
	return []Transform{
		&Rotate{Degrees: Range{0, 360}},
		&HFlip{},
		&VFlip{},
		&Rot90{},
		&Affine{Scale: Range{0.8, 1.2}, Translate: Range{-0.1, 0.1}, Shear: Range{-15, 15}},
		&Elastic{Grid: 3, Sigma: Range{2, 4}},
		&GaussianNoise{Sigma: Range{4, 8}},
		&SaltPepper{Amount: Range{0.02, 0.05}},
		&ShotNoise{Scale: Range{0.01, 0.05}},
		&Brightness{Factor: Range{0.7, 1.3}},
		&Contrast{Factor: Range{0.6, 1.4}},
		&Gamma{Gamma: Range{0.6, 1.4}},
		&GaussianBlur{Sigma: Range{0.8, 1.5}},
		&RandomResizedCrop{Scale: Range{0.3, 0.7}, Ratio: Range{0.75, 1.3333}},
		&ColorJitter{Brightness: Range{0.7, 1.3}, Contrast: Range{0.7, 1.3}, Saturation: Range{0.3, 1.7}, Hue: Range{-40, 40}},
		&CoarseDropout{Holes: Range{2, 5}, Size: Range{0.1, 0.3}, Value: 40},
		&Perspective{Scale: Range{0.05, 0.2}},
	}
}

func TestAllTransformsCovered(t *testing.T) {
	var got []string
	for _, tr := range allTransforms() {
		got = append(got, tr.Name())
	}
	slices.Sort(got)
	if want := builtinNames(); !slices.Equal(got, want) {
		t.Errorf("tested transforms %v, want every built-in one %v", got, want)
	}
}

func pixBytes(img image.Image) []byte {
	switch m := img.(type) {
	case *image.Gray:
		return m.Pix
	case *image.Gray16:
		return m.Pix
	case *image.NRGBA:
		return m.Pix
	}
	panic("unexpected image type")
}

func TestDeterminism(t *testing.T) {
	src := synthetic(48)
	p := &Pipeline{}
	for _, tr := range allTransforms() {
		p.Steps = append(p.Steps, Step{T: tr, P: 0.7})
	}
	run := func(variant int) ([]byte, []byte) {
		img, applied := p.Apply(src, NewRand(42, "deadbeef", variant))
		js, err := json.Marshal(applied)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Clone(pixBytes(img)), js
	}
	a, aj := run(7)
	b, bj := run(7)
	if !bytes.Equal(a, b) || !bytes.Equal(aj, bj) {
		t.Fatal("same (seed, source, variant) gave different output")
	}
	c, cj := run(8)
	if bytes.Equal(a, c) || bytes.Equal(aj, cj) {
		t.Error("variants 7 and 8 gave the same output")
	}
	// Concurrent use of one pipeline must not change anything.
	done := make(chan []byte)
	for range 4 {
		go func() {
			img, _ := p.Apply(src, NewRand(42, "deadbeef", 7))
			done <- bytes.Clone(pixBytes(img))
		}()
	}
	for range 4 {
		if got := <-done; !bytes.Equal(got, a) {
			t.Error("concurrent Apply gave different pixels")
		}
	}
}

func TestNewRandKeys(t *testing.T) {
	first := func(r *rand.Rand) uint64 { return r.Uint64() }
	base := first(NewRand(1, "abc", 0))
	for _, r := range []*rand.Rand{NewRand(2, "abc", 0), NewRand(1, "abd", 0), NewRand(1, "abc", 1), NewRand(1, "ab", 0)} {
		if first(r) == base {
			t.Error("a different key gave the same stream")
		}
	}
	if first(NewRand(1, "abc", 0)) != base {
		t.Error("the same key gave a different stream")
	}
}

func TestPipelineProbability(t *testing.T) {
	src := synthetic(8)
	for _, p := range []float64{0, 1} {
		pl := &Pipeline{Steps: []Step{{T: &HFlip{}, P: p}, {T: &GaussianNoise{Sigma: Range{1, 1}}, P: p}}}
		for v := range 100 {
			_, applied := pl.Apply(src, NewRand(1, "x", v))
			if want := int(p) * 2; len(applied) != want {
				t.Fatalf("p=%v variant %d: %d steps applied, want %d", p, v, len(applied), want)
			}
		}
	}
	// p = 0.5 applies sometimes and skips sometimes.
	pl := &Pipeline{Steps: []Step{{T: &HFlip{}, P: 0.5}}}
	n := 0
	for v := range 200 {
		_, applied := pl.Apply(src, NewRand(1, "x", v))
		n += len(applied)
	}
	if n < 70 || n > 130 {
		t.Errorf("p=0.5 applied %d times in 200, want about 100", n)
	}
}

// TestCoinAlwaysDrawn: a step skipped or applied must leave the stream of
// later steps the same (hflip draws nothing itself).
func TestCoinAlwaysDrawn(t *testing.T) {
	src := synthetic(8)
	noise := func(p float64) map[string]any {
		pl := &Pipeline{Steps: []Step{{T: &HFlip{}, P: p}, {T: &GaussianNoise{Sigma: Range{0, 8}}, P: 1}}}
		_, applied := pl.Apply(src, NewRand(9, "y", 3))
		return applied[len(applied)-1].Params
	}
	if a, b := noise(0), noise(1); !reflect.DeepEqual(a, b) {
		t.Errorf("noise params depend on whether hflip ran: %v vs %v", a, b)
	}
}

func TestApplyLeavesSourceAlone(t *testing.T) {
	src := synthetic(24)
	before := bytes.Clone(src.Pix)
	for _, tr := range allTransforms() {
		tr.Apply(src, rand.New(rand.NewPCG(1, 2)))
		if !bytes.Equal(src.Pix, before) {
			t.Fatalf("%s modified its source", tr.Name())
		}
	}
	p := &Pipeline{Steps: []Step{{T: &HFlip{}, P: 1}, {T: &GaussianNoise{Sigma: Range{5, 5}}, P: 1}}}
	p.Apply(src, NewRand(1, "z", 1))
	if !bytes.Equal(src.Pix, before) {
		t.Fatal("pipeline of in-place steps modified its source")
	}
}

// TestFormats runs every transform on Gray16, NRGBA and an unsupported type,
// all with bounds away from (0,0), checking the type contract and spot
// pixels of exact transforms.
func TestFormats(t *testing.T) {
	rect := image.Rect(5, 7, 5+12, 7+12)
	g16 := image.NewGray16(rect)
	rgb := image.NewNRGBA(rect)
	rgba := image.NewRGBA(rect)
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			v := uint8(x*20 + y)
			g16.SetGray16(x, y, color.Gray16{uint16(v)*257 + 1})
			rgb.SetNRGBA(x, y, color.NRGBA{v, 255 - v, v / 2, 200})
			rgba.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	for _, tc := range []struct {
		src  image.Image
		want string
	}{{g16, "*image.Gray16"}, {rgb, "*image.NRGBA"}, {rgba, "*image.NRGBA"}} {
		for _, tr := range allTransforms() {
			got, _ := tr.Apply(tc.src, rand.New(rand.NewPCG(1, 2)))
			if typ := reflect.TypeOf(got).String(); typ != tc.want {
				t.Errorf("%s on %T: got %s, want %s", tr.Name(), tc.src, typ, tc.want)
			}
			if got.Bounds() != image.Rect(0, 0, 12, 12) {
				t.Errorf("%s on %T: bounds %v, want (0,0)-(12,12)", tr.Name(), tc.src, got.Bounds())
			}
		}
	}

	// Spot checks: a quarter turn moves source (x, y) to (y, W-1-x).
	r := rand.New(rand.NewPCG(1, 2))
	rot := &Rotate{Degrees: Range{90, 90}}
	got16, _ := rot.Apply(g16, r)
	if got, want := got16.(*image.Gray16).Gray16At(3, 11-2), g16.Gray16At(5+2, 7+3); got != want {
		t.Errorf("gray16 rotate: got %v, want %v", got, want)
	}
	gotRGB, _ := rot.Apply(rgb, r)
	if got, want := gotRGB.(*image.NRGBA).NRGBAAt(3, 11-2), rgb.NRGBAAt(5+2, 7+3); got != want {
		t.Errorf("nrgba rotate: got %v, want %v", got, want)
	}
	flip, _ := (&HFlip{}).Apply(rgb, r)
	if got, want := flip.(*image.NRGBA).NRGBAAt(0, 4), rgb.NRGBAAt(5+11, 7+4); got != want {
		t.Errorf("nrgba hflip: got %v, want %v", got, want)
	}
	// Brightness leaves alpha alone and scales 16-bit in full precision.
	br, _ := (&Brightness{Factor: Range{0.5, 0.5}}).Apply(rgb, r)
	if got := br.(*image.NRGBA).NRGBAAt(1, 1); got.A != 200 || got.R != uint8((int(rgb.NRGBAAt(6, 8).R)+1)/2) {
		t.Errorf("nrgba brightness: got %v from %v", got, rgb.NRGBAAt(6, 8))
	}
	br16, _ := (&Brightness{Factor: Range{0.5, 0.5}}).Apply(g16, r)
	if got, want := br16.(*image.Gray16).Gray16At(1, 1).Y, (g16.Gray16At(6, 8).Y+1)/2; got != want {
		t.Errorf("gray16 brightness: got %d, want %d", got, want)
	}
	// Constant border is in 8-bit units, x257 for 16-bit, opaque for NRGBA.
	c16 := rotateImage(g16, 45, BorderConstant, 10).(*image.Gray16).Gray16At(0, 0).Y
	if c16 != 2570 {
		t.Errorf("gray16 constant corner: got %d, want 2570", c16)
	}
	cRGB := rotateImage(rgb, 45, BorderConstant, 10).(*image.NRGBA).NRGBAAt(0, 0)
	if cRGB != (color.NRGBA{10, 10, 10, 255}) {
		t.Errorf("nrgba constant corner: got %v, want {10 10 10 255}", cRGB)
	}
	// Noise on 16-bit is scaled x257: sigma 4 gives about 1028.
	flat := image.NewGray16(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(flat.Pix); i += 2 {
		flat.Pix[i] = 0x80
	}
	n16, _ := (&GaussianNoise{Sigma: Range{4, 4}}).Apply(flat, r)
	var sum, sq float64
	for i := 0; i < len(flat.Pix); i += 2 {
		v := float64(int(n16.(*image.Gray16).Pix[i])<<8|int(n16.(*image.Gray16).Pix[i+1])) - 0x8000
		sum += v
		sq += v * v
	}
	if sd := math.Sqrt(sq/4096 - (sum/4096)*(sum/4096)); sd < 950 || sd > 1100 {
		t.Errorf("gray16 noise sd %.0f, want about 1028", sd)
	}
}

func TestReplay(t *testing.T) {
	for _, src := range []image.Image{synthetic(20), toNRGBA(synthetic(20))} {
		for _, tr := range allTransforms() {
			t.Run(tr.Name(), func(t *testing.T) {
				want, p := tr.Apply(src, rand.New(rand.NewPCG(11, 12)))
				// Through JSON, as a manifest stores it.
				js, err := json.Marshal([]Applied{{Name: tr.Name(), Params: p}})
				if err != nil {
					t.Fatal(err)
				}
				var applied []Applied
				if err := json.Unmarshal(js, &applied); err != nil {
					t.Fatal(err)
				}
				got, err := Replay(src, applied)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(pixBytes(got), pixBytes(want)) {
					t.Errorf("replay of %s differs from the original", js)
				}
			})
		}
	}
	if _, err := Replay(synthetic(4), []Applied{{Name: "spin"}}); err == nil {
		t.Error("replay of an unknown transform: no error")
	}
	if _, err := Replay(synthetic(4), []Applied{{Name: "rotate", Params: map[string]any{"angle": "x"}}}); err == nil {
		t.Error("replay with a bad parameter: no error")
	}
}

func toNRGBA(g *image.Gray) *image.NRGBA {
	out := image.NewNRGBA(g.Rect)
	for i, v := range g.Pix {
		copy(out.Pix[4*i:], []uint8{v, 255 - v, v / 3, 255})
	}
	return out
}

func TestParamsJSONReadable(t *testing.T) {
	_, applied := DefaultPipeline().Apply(synthetic(16), NewRand(1, "s", 1))
	js, err := json.Marshal(applied)
	if err != nil {
		t.Fatal(err)
	}
	var back []Applied
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	angle := back[0].Params["angle"].(float64)
	if angle != round4(angle) || angle < 0 || angle > 360 {
		t.Errorf("angle %v: want 0..360 with at most 4 decimals", angle)
	}
	if back[0].Name != "rotate" || back[len(back)-1].Name != "gaussian_noise" {
		t.Errorf("applied %s: want rotate first and gaussian_noise last", js)
	}
}
