package augment

import (
	"image"
	"math"
	"math/rand/v2"
)

// ColorJitter changes, in this order, brightness (a gain, as Brightness),
// contrast (a factor about the image mean, as Contrast), saturation (a
// blend with the pixel's luma, 0.299R + 0.587G + 0.114B: 0 is grey, 1
// unchanged) and hue (a turn on the HSV colour wheel, in degrees), each
// drawn from its range, as Albumentations' and torchvision's ColorJitter
// do (but in a fixed order). Grey images have no saturation or hue: they
// get brightness and contrast only, and only those are drawn and recorded.
//
// The four are parts, as for Affine: one left at its zero Range is off,
// and a config step that lists some of them leaves the others off.
type ColorJitter struct {
	Brightness Range
	Contrast   Range
	Saturation Range
	Hue        Range // degrees
}

func (*ColorJitter) Name() string { return "color_jitter" }

func (*ColorJitter) about() string {
	return "brightness, contrast, saturation and hue, in that order; grey images get brightness and contrast only"
}

func (t *ColorJitter) fields() []field {
	return []field{
		{key: "brightness", kind: kindRange, lo: 0, hi: 10, rng: &t.Brightness, part: true, unit: "gain"},
		{key: "contrast", kind: kindRange, lo: 0, hi: 10, rng: &t.Contrast, part: true, unit: "factor about the image mean"},
		{key: "saturation", kind: kindRange, lo: 0, hi: 10, rng: &t.Saturation, part: true, unit: "factor: 0 grey, 1 unchanged (RGB only)"},
		{key: "hue", kind: kindRange, lo: -180, hi: 180, rng: &t.Hue, part: true, unit: "degrees on the HSV wheel (RGB only)"},
	}
}

// jitterKeys are ColorJitter's parts in the order they are drawn and
// rendered; the first two apply to grey images too.
var jitterKeys = [4]string{"brightness", "contrast", "saturation", "hue"}

func (t *ColorJitter) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	img := clone(src)
	return img, t.ApplyInPlace(img, r)
}

func (t *ColorJitter) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	ranges := [4]Range{t.Brightness, t.Contrast, t.Saturation, t.Hue}
	n := 4
	if !isColour(img) {
		n = 2
	}
	rec := map[string]any{}
	for i := range n {
		if ranges[i] != (Range{}) {
			rec[jitterKeys[i]] = ranges[i].draw(r)
		}
	}
	jitter(img, params(rec))
	return rec
}

func (t *ColorJitter) Replay(src image.Image, m map[string]any) (image.Image, error) {
	p := params(m)
	for _, k := range jitterKeys {
		if _, ok := p[k]; !ok {
			continue
		}
		v, err := p.num(k)
		if err != nil {
			return nil, err
		}
		if k != "hue" && v < 0 {
			return nil, paramError(k, "must not be negative")
		}
	}
	img := clone(src)
	jitter(img, p)
	return img, nil
}

func isColour(img image.Image) bool {
	_, ok := img.(*image.NRGBA)
	return ok
}

// jitter renders the recorded parts over img (checked numbers).
func jitter(img image.Image, p params) {
	if v, err := p.num("brightness"); err == nil {
		brightness(img, v, 0)
	}
	if v, err := p.num("contrast"); err == nil {
		contrast(img, v, 0)
	}
	m, ok := img.(*image.NRGBA)
	if !ok {
		return
	}
	sat, errS := p.num("saturation")
	hue, errH := p.num("hue")
	if errS != nil && errH != nil {
		return
	}
	s16 := -1 // saturation as a 16.16 factor; -1: leave alone
	if errS == nil {
		s16 = int(math.Round(sat * 65536))
	}
	var sextants float64 // the hue turn in sixths of the wheel
	if errH == nil {
		sextants = hue / 60
	}
	b := m.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]
		for i := 0; i+3 < len(row); i += 4 {
			px := row[i : i+3 : i+3]
			if s16 >= 0 {
				saturate(px, s16)
			}
			if sextants != 0 {
				turnHue(px, sextants)
			}
		}
	}
}

// saturate blends an RGB pixel with its luma by the 16.16 factor s16, in
// integers so that every machine gets the same bytes.
func saturate(px []uint8, s16 int) {
	l := (299*int(px[0]) + 587*int(px[1]) + 114*int(px[2]) + 500) / 1000
	for k, c := range px {
		v := l + ((int(c)-l)*s16+1<<15)>>16
		px[k] = uint8(min(max(v, 0), 255))
	}
}

// turnHue turns an RGB pixel's hue by sextants sixths of the wheel,
// keeping its HSV value and saturation. Every product is converted
// explicitly, so no multiply-add is fused and the bytes are the same
// everywhere.
func turnHue(px []uint8, sextants float64) {
	r, g, b := int(px[0]), int(px[1]), int(px[2])
	hi, lo := max(r, g, b), min(r, g, b)
	d := hi - lo
	if d == 0 {
		return // grey has no hue
	}
	var h float64 // in sextants, [0, 6)
	fd := float64(d)
	switch hi {
	case r:
		h = float64(g-b) / fd
	case g:
		h = 2 + float64(b-r)/fd
	default:
		h = 4 + float64(r-g)/fd
	}
	h = math.Mod(h+sextants, 6)
	if h < 0 {
		h += 6
	}
	i := int(h)
	if i > 5 { // h just below 6 can round to it
		i = 5
	}
	f := h - float64(i)
	fl := float64(lo)
	up := fl + float64(fd*f)       // rising edge of the sextant
	down := fl + float64(fd*(1-f)) // falling edge
	v, m := float64(hi), fl
	var o [3]float64
	switch i {
	case 0:
		o = [3]float64{v, up, m}
	case 1:
		o = [3]float64{down, v, m}
	case 2:
		o = [3]float64{m, v, up}
	case 3:
		o = [3]float64{m, down, v}
	case 4:
		o = [3]float64{up, m, v}
	default:
		o = [3]float64{v, m, down}
	}
	for k, x := range o {
		px[k] = uint8(min(max(x+0.5, 0), 255))
	}
}
