package augment

import (
	"image"
	"math"
	"math/rand/v2"
)

// Rotate turns the image by an angle drawn from Degrees (counter-clockwise,
// about the centre), keeping its size; corners come from Border (Value is the
// constant, in 8-bit units). Bilinear.
type Rotate struct {
	Degrees Range
	Border  Border
	Value   float64
}

func (*Rotate) Name() string { return "rotate" }

func (*Rotate) about() string {
	return "turn by an angle about the centre, keeping the size (bilinear)"
}

func (t *Rotate) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	a := t.Degrees.draw(r)
	return rotateImage(src, a, t.Border, t.Value), borderParams(map[string]any{"angle": a}, t.Border, t.Value)
}

func (t *Rotate) Replay(src image.Image, m map[string]any) (image.Image, error) {
	p := params(m)
	a, err := p.num("angle")
	if err != nil {
		return nil, err
	}
	b, v, err := p.border()
	if err != nil {
		return nil, err
	}
	return rotateImage(src, a, b, v), nil
}

func rotateImage(src image.Image, deg float64, b Border, value float64) image.Image {
	src = normalize(src)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	sin, cos := sincosDeg(deg)
	cx, cy := float64(w-1)/2, float64(h-1)/2
	m := affine2{
		cos, -sin, cx - float64(cos*cx) + float64(sin*cy),
		sin, cos, cy - float64(sin*cx) - float64(cos*cy),
	}
	return warp(src, w, h, m, b, value)
}

// sincosDeg is exact at multiples of 90 degrees, so that quarter turns move
// whole pixels.
func sincosDeg(deg float64) (sin, cos float64) {
	d := math.Mod(deg, 360)
	if d < 0 {
		d += 360
	}
	switch d {
	case 0:
		return 0, 1
	case 90:
		return 1, 0
	case 180:
		return 0, -1
	case 270:
		return -1, 0
	}
	return math.Sincos(d * math.Pi / 180)
}

func warp(src image.Image, w, h int, m affine2, b Border, value float64) image.Image {
	return render(src, w, h,
		func(d, s plane[uint8]) { warpAffine(d, s, m, b, value) },
		func(d, s plane[uint16]) { warpAffine(d, s, m, b, value) })
}

func borderParams(m map[string]any, b Border, value float64) map[string]any {
	m["border"] = b.String()
	if b == BorderConstant {
		m["value"] = value
	}
	return m
}

// HFlip mirrors the image left to right.
type HFlip struct{}

func (*HFlip) Name() string { return "hflip" }

func (*HFlip) about() string { return "mirror left to right" }

func (*HFlip) Apply(src image.Image, _ *rand.Rand) (image.Image, map[string]any) {
	return flipImage(src, true), map[string]any{}
}

func (*HFlip) ApplyInPlace(img image.Image, _ *rand.Rand) map[string]any {
	modify(img, func(p plane[uint8]) { flipPlane(p, p, true) }, func(p plane[uint16]) { flipPlane(p, p, true) })
	return map[string]any{}
}

func (*HFlip) Replay(src image.Image, _ map[string]any) (image.Image, error) {
	return flipImage(src, true), nil
}

// VFlip mirrors the image top to bottom.
type VFlip struct{}

func (*VFlip) Name() string { return "vflip" }

func (*VFlip) about() string { return "mirror top to bottom" }

func (*VFlip) Apply(src image.Image, _ *rand.Rand) (image.Image, map[string]any) {
	return flipImage(src, false), map[string]any{}
}

func (*VFlip) ApplyInPlace(img image.Image, _ *rand.Rand) map[string]any {
	modify(img, func(p plane[uint8]) { flipPlane(p, p, false) }, func(p plane[uint16]) { flipPlane(p, p, false) })
	return map[string]any{}
}

func (*VFlip) Replay(src image.Image, _ map[string]any) (image.Image, error) {
	return flipImage(src, false), nil
}

func flipImage(src image.Image, horizontal bool) image.Image {
	src = normalize(src)
	b := src.Bounds()
	return render(src, b.Dx(), b.Dy(),
		func(d, s plane[uint8]) { flipPlane(d, s, horizontal) },
		func(d, s plane[uint16]) { flipPlane(d, s, horizontal) })
}

// Rot90 applies one of the eight symmetries of the square (identity, quarter
// turns, flips, transposes), each equally likely. A non-square image only
// gets the four that keep its size (identity, rot180, hflip, vflip), so that
// every output of a pipeline has the size of its input.
type Rot90 struct{}

func (*Rot90) Name() string { return "rot90" }

func (*Rot90) about() string {
	return "one of the eight symmetries of the square (the four that keep the size when not square)"
}

func (*Rot90) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	b := src.Bounds()
	var op int
	if b.Dx() == b.Dy() {
		op = r.IntN(len(d4Ops))
	} else {
		op = d4Sizeless[r.IntN(len(d4Sizeless))]
	}
	return d4Image(src, op), map[string]any{"op": d4Ops[op]}
}

func (*Rot90) Replay(src image.Image, m map[string]any) (image.Image, error) {
	p := params(m)
	op, err := p.choice("op", d4Ops)
	if err != nil {
		return nil, err
	}
	return d4Image(src, op), nil
}

func d4Image(src image.Image, op int) image.Image {
	src = normalize(src)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	if d4Swaps(op) {
		w, h = h, w
	}
	return render(src, w, h,
		func(d, s plane[uint8]) { d4Plane(d, s, op) },
		func(d, s plane[uint16]) { d4Plane(d, s, op) })
}

// Affine scales about the centre, shears (horizontally by an angle drawn
// from Shear, then vertically by another) and translates by fractions of the
// size drawn from Translate (x and y independently), keeping the size.
// Bilinear, with Border and Value as for Rotate.
//
// Scale, Translate and Shear are parts: one left at its zero Range is off,
// drawing nothing and recording nothing (no scaling, no shift, no shear).
// A config step that lists some of them leaves the others off; one that
// lists none gets every default.
type Affine struct {
	Scale     Range
	Translate Range
	Shear     Range // degrees
	Border    Border
	Value     float64
}

func (*Affine) Name() string { return "affine" }

func (*Affine) about() string {
	return "scale about the centre, shear, translate; keeps the size; the parts a step lists are the only ones applied"
}

type affineParams struct{ scale, tx, ty, shx, shy float64 }

func (t *Affine) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	// Draws in a fixed order (scale, x, y, shear x, shear y), skipping only
	// the parts that are off, so an affine with every part keeps the stream
	// and the pixels it always had.
	a := affineParams{scale: 1}
	m := map[string]any{}
	if t.Scale != (Range{}) {
		a.scale = t.Scale.draw(r)
		m["scale"] = a.scale
	}
	if t.Translate != (Range{}) {
		a.tx, a.ty = t.Translate.draw(r), t.Translate.draw(r)
		m["translate_x"], m["translate_y"] = a.tx, a.ty
	}
	if t.Shear != (Range{}) {
		a.shx, a.shy = t.Shear.draw(r), t.Shear.draw(r)
		m["shear_x"], m["shear_y"] = a.shx, a.shy
	}
	return affineImage(src, a, t.Border, t.Value), borderParams(m, t.Border, t.Value)
}

func (t *Affine) Replay(src image.Image, m map[string]any) (image.Image, error) {
	p := params(m)
	a := affineParams{scale: 1} // a part not recorded was off
	for _, f := range []struct {
		k string
		v *float64
	}{{"scale", &a.scale}, {"translate_x", &a.tx}, {"translate_y", &a.ty}, {"shear_x", &a.shx}, {"shear_y", &a.shy}} {
		if _, ok := p[f.k]; !ok {
			continue
		}
		v, err := p.num(f.k)
		if err != nil {
			return nil, err
		}
		*f.v = v
	}
	if !(a.scale > 0) {
		return nil, paramError("scale", "must be positive")
	}
	b, v, err := p.border()
	if err != nil {
		return nil, err
	}
	return affineImage(src, a, b, v), nil
}

func tanDeg(deg float64) float64 {
	if deg == 0 {
		return 0
	}
	return math.Tan(deg * math.Pi / 180)
}

func affineImage(src image.Image, a affineParams, b Border, value float64) image.Image {
	src = normalize(src)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	// Forward map: p' = o + s*[[1, u], [v, 1+uv]]*(p - c), a shear in x then
	// in y; its determinant is s*s whatever the shears, so it always inverts.
	u, v := tanDeg(a.shx), tanDeg(a.shy)
	cx, cy := float64(w-1)/2, float64(h-1)/2
	ox := cx + float64(a.tx*float64(w))
	oy := cy + float64(a.ty*float64(h))
	i00 := (1 + float64(u*v)) / a.scale
	i01 := -u / a.scale
	i10 := -v / a.scale
	i11 := 1 / a.scale
	m := affine2{
		i00, i01, cx - float64(i00*ox) - float64(i01*oy),
		i10, i11, cy - float64(i10*ox) - float64(i11*oy),
	}
	return warp(src, w, h, m, b, value)
}

// RandomResizedCrop crops a region whose area is a fraction of the image
// drawn from Scale and whose aspect ratio (w/h) is drawn log-uniformly from
// Ratio, and resizes it back to the input size (bilinear), as torchvision's
// RandomResizedCrop does.
type RandomResizedCrop struct {
	Scale Range
	Ratio Range
}

func (*RandomResizedCrop) Name() string { return "random_resized_crop" }

func (*RandomResizedCrop) about() string {
	return "crop a random window and resize it back to the input size (torchvision's RandomResizedCrop)"
}

func (t *RandomResizedCrop) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	b := src.Bounds()
	W, H := b.Dx(), b.Dy()
	x, y, cw, ch := t.window(W, H, r)
	return cropImage(src, x, y, cw, ch), map[string]any{"x": x, "y": y, "w": cw, "h": ch}
}

// window follows torchvision: ten tries at a random window, then a centre
// crop clamped to the ratio range.
func (t *RandomResizedCrop) window(W, H int, r *rand.Rand) (x, y, cw, ch int) {
	area := float64(W * H)
	lo, hi := math.Log(t.Ratio.Min), math.Log(t.Ratio.Max)
	for range 10 {
		target := float64(area * (float64((t.Scale.Max-t.Scale.Min)*r.Float64()) + t.Scale.Min))
		ar := math.Exp(float64((hi-lo)*r.Float64()) + lo)
		cw = int(math.Round(math.Sqrt(target * ar)))
		ch = int(math.Round(math.Sqrt(target / ar)))
		if cw > 0 && cw <= W && ch > 0 && ch <= H {
			return r.IntN(W - cw + 1), r.IntN(H - ch + 1), cw, ch
		}
	}
	in := float64(W) / float64(H)
	switch {
	case in < t.Ratio.Min:
		cw = W
		ch = int(math.Round(float64(cw) / t.Ratio.Min))
	case in > t.Ratio.Max:
		ch = H
		cw = int(math.Round(float64(ch) * t.Ratio.Max))
	default:
		cw, ch = W, H
	}
	cw, ch = min(max(cw, 1), W), min(max(ch, 1), H)
	return (W - cw) / 2, (H - ch) / 2, cw, ch
}

func (t *RandomResizedCrop) Replay(src image.Image, m map[string]any) (image.Image, error) {
	p := params(m)
	var v [4]int
	for i, k := range []string{"x", "y", "w", "h"} {
		n, err := p.integer(k)
		if err != nil {
			return nil, err
		}
		v[i] = n
	}
	b := src.Bounds()
	if v[2] < 1 || v[3] < 1 || v[0] < 0 || v[1] < 0 || v[0]+v[2] > b.Dx() || v[1]+v[3] > b.Dy() {
		return nil, paramError("w", "crop window outside the image")
	}
	return cropImage(src, v[0], v[1], v[2], v[3]), nil
}

func cropImage(src image.Image, x, y, cw, ch int) image.Image {
	src = normalize(src)
	W, H := src.Bounds().Dx(), src.Bounds().Dy()
	// Pixel centres of the output land evenly inside the window.
	kx, ky := float64(cw)/float64(W), float64(ch)/float64(H)
	m := affine2{
		kx, 0, float64(x) + float64(0.5*kx) - 0.5,
		0, ky, float64(y) + float64(0.5*ky) - 0.5,
	}
	return warp(src, W, H, m, BorderReplicate, 0)
}

// Elastic displaces pixels by a smooth random field: the nodes of a
// Grid x Grid lattice spanning the image get Gaussian displacements with a
// standard deviation (in pixels) drawn from Sigma, and Catmull-Rom splines
// interpolate between them (the U-Net recipe: 3x3, sigma 10). Bilinear, with
// Border and Value as for Rotate.
type Elastic struct {
	Grid   int
	Sigma  Range
	Border Border
	Value  float64
}

func (*Elastic) Name() string { return "elastic" }

func (*Elastic) about() string {
	return "displace pixels by a smooth random field: Gaussian nodes on a grid, spline-interpolated"
}

func (t *Elastic) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	sigma := t.Sigma.draw(r)
	seed := subSeed(r)
	grid := max(t.Grid, 2)
	m := map[string]any{"grid": grid, "sigma": sigma, "seed": seed}
	return elasticImage(src, grid, sigma, seed, t.Border, t.Value), borderParams(m, t.Border, t.Value)
}

func (t *Elastic) Replay(src image.Image, m map[string]any) (image.Image, error) {
	p := params(m)
	grid, err := p.integer("grid")
	if err != nil {
		return nil, err
	}
	if grid < 2 || grid > maxGrid {
		return nil, paramError("grid", "out of range")
	}
	sigma, err := p.num("sigma")
	if err != nil {
		return nil, err
	}
	seed, err := p.seed()
	if err != nil {
		return nil, err
	}
	b, v, err := p.border()
	if err != nil {
		return nil, err
	}
	return elasticImage(src, grid, sigma, seed, b, v), nil
}

const maxGrid = 64

// splineTaps returns, for each of n positions along an axis, the first of
// four lattice nodes (g nodes spanning the axis) and their Catmull-Rom
// weights.
func splineTaps(n, g int) ([]int, [][4]float64) {
	first := make([]int, n)
	wts := make([][4]float64, n)
	span := float64(max(n-1, 1))
	for i := range n {
		t := float64(float64(i)*float64(g-1)) / span
		j := int(t)
		if j > g-2 {
			j = g - 2
		}
		u := t - float64(j)
		u2 := float64(u * u)
		u3 := float64(u2 * u)
		first[i] = j - 1
		wts[i] = [4]float64{
			(-u3 + float64(2*u2) - u) / 2,
			(float64(3*u3) - float64(5*u2) + 2) / 2,
			(float64(-3*u3) + float64(4*u2) + u) / 2,
			(u3 - u2) / 2,
		}
	}
	return first, wts
}

func elasticImage(src image.Image, g int, sigma float64, seed uint64, b Border, value float64) image.Image {
	src = normalize(src)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	rng := noiseRand(seed)
	node := make([]float64, 2*g*g) // dx then dy per node, row-major
	for i := range node {
		node[i] = float64(sigma * rng.NormFloat64())
	}
	fx, wx := splineTaps(w, g)
	fy, wy := splineTaps(h, g)
	at := func(j int) int { return min(max(j, 0), g-1) }
	// Interpolate along x once per lattice row; rows of the field then need
	// only four taps along y.
	cols := make([]float64, 2*g*w)
	for j := range g {
		for x := range w {
			var dx, dy float64
			for k := range 4 {
				n := j*g + at(fx[x]+k)
				dx += float64(wx[x][k] * node[2*n])
				dy += float64(wx[x][k] * node[2*n+1])
			}
			cols[(2*j)*w+x] = dx
			cols[(2*j+1)*w+x] = dy
		}
	}
	field := func(y int, xs, ys []int64) {
		var rows [4]int
		for k := range 4 {
			rows[k] = at(fy[y] + k)
		}
		for x := range xs {
			var dx, dy float64
			for k := range 4 {
				dx += float64(wy[y][k] * cols[(2*rows[k])*w+x])
				dy += float64(wy[y][k] * cols[(2*rows[k]+1)*w+x])
			}
			xs[x] = toFixed(float64(x) + dx)
			ys[x] = toFixed(float64(y) + dy)
		}
	}
	return render(src, w, h,
		func(d, s plane[uint8]) { warpField(d, s, field, b, value) },
		func(d, s plane[uint16]) { warpField(d, s, field, b, value) })
}

// warpField renders dst by sampling src where field says, row by row.
func warpField[T pixel](dst, src plane[T], field func(y int, xs, ys []int64), b Border, value float64) {
	fill := fillFor[T](src.c, value)
	buf := make([]int64, 2*dst.w)
	xs, ys := buf[:dst.w], buf[dst.w:]
	for y := 0; y < dst.h; y++ {
		field(y, xs, ys)
		sampleRow(dst.row(y), src, xs, ys, b, fill)
	}
}
