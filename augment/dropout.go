package augment

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
)

// CoarseDropout (cutout) fills rectangles with Value: their number is drawn
// from Holes (whole numbers), each one's height and width independently
// from Size as fractions of the image's height and width (at least one
// pixel), its place uniformly inside the image. Holes may overlap. Value is
// in 8-bit units (x257 for 16-bit; an RGB hole is grey and opaque, as every
// fill is). The record lists the boxes as [x, y, w, h] in pixels.
type CoarseDropout struct {
	Holes Range
	Size  Range
	Value float64
}

func (*CoarseDropout) Name() string { return "coarse_dropout" }

func (*CoarseDropout) about() string {
	return "cutout: fill random rectangles with a constant (Albumentations' CoarseDropout)"
}

func (t *CoarseDropout) fields() []field {
	return []field{
		{key: "holes", kind: kindIntRange, lo: 0, hi: maxHoles, rng: &t.Holes, unit: "rectangles, a whole number drawn uniformly"},
		{key: "size", kind: kindRange, lo: 0, hi: 1, rng: &t.Size, unit: "fraction of height and of width, each drawn"},
		{key: "value", kind: kindFloat, lo: 0, hi: 255, num: &t.Value, unit: "8-bit level (x257 for 16-bit; opaque grey on colour)"},
	}
}

// maxHoles bounds the rectangles of one step (and of a record replayed).
const maxHoles = 1000

func (t *CoarseDropout) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	img := clone(src)
	return img, t.ApplyInPlace(img, r)
}

func (t *CoarseDropout) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	lo := int(math.Max(t.Holes.Min, 0))
	hi := int(math.Min(math.Max(t.Holes.Max, float64(lo)), maxHoles))
	n := lo + r.IntN(hi-lo+1)
	boxes := make([][4]int, 0, n)
	for range n {
		h := min(max(int(math.Round(t.Size.draw(r)*float64(H))), 1), H)
		w := min(max(int(math.Round(t.Size.draw(r)*float64(W))), 1), W)
		if w < 1 || h < 1 { // an empty image
			continue
		}
		boxes = append(boxes, [4]int{r.IntN(W - w + 1), r.IntN(H - h + 1), w, h})
	}
	dropout(img, boxes, t.Value)
	return map[string]any{"boxes": boxes, "value": t.Value}
}

func (t *CoarseDropout) Replay(src image.Image, m map[string]any) (image.Image, error) {
	p := params(m)
	boxes, err := p.boxes("boxes")
	if err != nil {
		return nil, err
	}
	v, err := p.num("value")
	if err != nil {
		return nil, err
	}
	if v < 0 || v > 255 {
		return nil, paramError("value", "want 0 to 255")
	}
	b := src.Bounds()
	for i, x := range boxes {
		if x[0] < 0 || x[1] < 0 || x[2] < 1 || x[3] < 1 || x[0]+x[2] > b.Dx() || x[1]+x[3] > b.Dy() {
			return nil, paramError("boxes", fmt.Sprintf("box %d %v is outside the %dx%d image", i, x, b.Dx(), b.Dy()))
		}
	}
	img := clone(src)
	dropout(img, boxes, v)
	return img, nil
}

// dropout fills boxes (inside img, which is at (0,0)) with value.
func dropout(img image.Image, boxes [][4]int, value float64) {
	modify(img,
		func(p plane[uint8]) { fillBoxes(p, boxes, value) },
		func(p plane[uint16]) { fillBoxes(p, boxes, value) })
}

func fillBoxes[T pixel](p plane[T], boxes [][4]int, value float64) {
	fill := fillFor[T](p.c, value) // opaque for colour
	for _, bx := range boxes {
		for y := bx[1]; y < bx[1]+bx[3]; y++ {
			row := p.row(y)
			for x := bx[0]; x < bx[0]+bx[2]; x++ {
				for k := range p.c {
					row[x*p.c+k] = T(fill[k])
				}
			}
		}
	}
}

// boxes reads a list of [x, y, w, h] as Apply records it or as JSON
// decodes it.
func (p params) boxes(key string) ([][4]int, error) {
	switch v := p[key].(type) {
	case [][4]int:
		return v, nil
	case []any:
		if len(v) > maxHoles {
			return nil, paramError(key, fmt.Sprintf("%d boxes: at most %d", len(v), maxHoles))
		}
		out := make([][4]int, len(v))
		for i, e := range v {
			box, ok := e.([]any)
			if !ok || len(box) != 4 {
				return nil, paramError(key, fmt.Sprintf("box %d: want [x, y, w, h]", i))
			}
			for j, n := range box {
				f, ok := n.(float64)
				if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<30 {
					return nil, paramError(key, fmt.Sprintf("box %d: want whole numbers", i))
				}
				out[i][j] = int(f)
			}
		}
		return out, nil
	case nil:
		return nil, paramError(key, "missing")
	}
	return nil, paramError(key, "want a list of [x, y, w, h]")
}
