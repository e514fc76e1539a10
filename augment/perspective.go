package augment

import (
	"fmt"
	"image"
	"math/rand/v2"
)

// Perspective moves each corner of the image inwards, by a fraction of the
// width and one of the height each drawn from Scale, and stretches the
// quadrilateral they span back over the whole image (bilinear), as
// Albumentations' Perspective with keep_size does. Scale is at most 0.3, so
// the quadrilateral stays convex and inside the image. The record lists the
// eight fractions as corners: [top-left x, y, top-right x, y, bottom-right
// x, y, bottom-left x, y], each measured inwards from its own corner.
type Perspective struct {
	Scale Range
}

func (*Perspective) Name() string { return "perspective" }

func (*Perspective) about() string {
	return "move the four corners inwards at random and stretch that quadrilateral over the image"
}

// maxPerspective keeps the quadrilateral convex: with every corner moved
// by less than a third of the side, no corner can cross the line through
// its neighbours.
const maxPerspective = 0.3

func (t *Perspective) fields() []field {
	return []field{{key: "scale", kind: kindRange, lo: 0, hi: maxPerspective, rng: &t.Scale,
		unit: "fraction of width or height each corner moves inwards (8 draws)"}}
}

func (t *Perspective) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	var c [8]float64
	for i := range c {
		c[i] = t.Scale.draw(r)
	}
	return perspectiveImage(src, c), map[string]any{"corners": c[:]}
}

func (t *Perspective) Replay(src image.Image, m map[string]any) (image.Image, error) {
	p := params(m)
	var c [8]float64
	switch v := p["corners"].(type) {
	case []float64:
		if len(v) != 8 {
			return nil, paramError("corners", "want 8 numbers")
		}
		copy(c[:], v)
	case []any:
		if len(v) != 8 {
			return nil, paramError("corners", "want 8 numbers")
		}
		for i, x := range v {
			f, ok := x.(float64)
			if !ok {
				return nil, paramError("corners", fmt.Sprintf("item %d: want a number", i))
			}
			c[i] = f
		}
	default:
		return nil, paramError("corners", "want a list of 8 numbers")
	}
	for _, f := range c {
		if !(f >= 0 && f <= maxPerspective) {
			return nil, paramError("corners", fmt.Sprintf("want fractions 0 to %g", maxPerspective))
		}
	}
	return perspectiveImage(src, c), nil
}

// perspectiveImage maps the output's unit square onto the quadrilateral
// of the inward corner offsets c (Heckbert's square-to-quad projection)
// and samples the source there.
func perspectiveImage(src image.Image, c [8]float64) image.Image {
	src = normalize(src)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	W, H := float64(max(w-1, 0)), float64(max(h-1, 0))
	// Corners in source pixels: top-left, top-right, bottom-right, bottom-left.
	x0, y0 := float64(c[0]*W), float64(c[1]*H)
	x1, y1 := W-float64(c[2]*W), float64(c[3]*H)
	x2, y2 := W-float64(c[4]*W), H-float64(c[5]*H)
	x3, y3 := float64(c[6]*W), H-float64(c[7]*H)
	m := squareToQuad(x0, y0, x1, y1, x2, y2, x3, y3)
	du, dv := 0.0, 0.0
	if w > 1 {
		du = 1 / W
	}
	if h > 1 {
		dv = 1 / H
	}
	field := func(y int, xs, ys []int64) {
		v := float64(float64(y) * dv)
		for x := range xs {
			u := float64(float64(x) * du)
			sx, sy := m.apply(u, v)
			xs[x] = toFixed(sx)
			ys[x] = toFixed(sy)
		}
	}
	return render(src, w, h,
		func(d, s plane[uint8]) { warpField(d, s, field, BorderReplicate, 0) },
		func(d, s plane[uint16]) { warpField(d, s, field, BorderReplicate, 0) })
}

// projective maps (u, v) to ((a u + b v + c) / (g u + h v + 1),
// (d u + e v + f) / (g u + h v + 1)).
type projective struct{ a, b, c, d, e, f, g, h float64 }

func (m projective) apply(u, v float64) (float64, float64) {
	den := float64(m.g*u) + float64(m.h*v) + 1
	x := float64(m.a*u) + float64(m.b*v) + m.c
	y := float64(m.d*u) + float64(m.e*v) + m.f
	return x / den, y / den
}

// squareToQuad is the projection taking (0,0), (1,0), (1,1), (0,1) to the
// four points in that order (Heckbert, "Fundamentals of Texture Mapping",
// 1989). A convex quadrilateral keeps the denominator positive.
func squareToQuad(x0, y0, x1, y1, x2, y2, x3, y3 float64) projective {
	sx := x0 - x1 + x2 - x3
	sy := y0 - y1 + y2 - y3
	if sx == 0 && sy == 0 { // a parallelogram: affine
		return projective{a: x1 - x0, b: x3 - x0, c: x0, d: y1 - y0, e: y3 - y0, f: y0}
	}
	dx1, dx2 := x1-x2, x3-x2
	dy1, dy2 := y1-y2, y3-y2
	den := float64(dx1*dy2) - float64(dx2*dy1)
	g := (float64(sx*dy2) - float64(dx2*sy)) / den
	h := (float64(dx1*sy) - float64(sx*dy1)) / den
	return projective{
		a: x1 - x0 + float64(g*x1), b: x3 - x0 + float64(h*x3), c: x0,
		d: y1 - y0 + float64(g*y1), e: y3 - y0 + float64(h*y3), f: y0,
		g: g, h: h,
	}
}
