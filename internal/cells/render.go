package cells

import (
	"image"
	"math"
	"math/rand/v2"
)

// All geometry is expressed in "design units": the image's shorter side is
// 128 units, so a class looks the same at any output size.
const designSize = 128.0

// mul and the other helpers round every product explicitly (see doc.go):
// float64(a*b) may not be fused with a following addition.
func mul(a, b float64) float64 { return float64(a * b) }

// lerp returns a + t*(b-a) with the product rounded on its own.
func lerp(a, b, t float64) float64 { return a + mul(t, b-a) }

func clamp01(t float64) float64 { return math.Max(0, math.Min(1, t)) }

// smoothstep is 3t^2 - 2t^3 on [0,1]: used for soft, blur-like edges.
func smoothstep(t float64) float64 {
	t = clamp01(t)
	return mul(mul(t, t), 3-mul(2, t))
}

// length is |(x,y)| without math.Hypot, which has an amd64 assembly version.
func length(x, y float64) float64 { return math.Sqrt(mul(x, x) + mul(y, y)) }

// frame is a rotated coordinate system centred at (cx, cy); (c, s) is a unit
// vector drawn from the RNG. It is built without trigonometry so that no
// platform-dependent math function enters the pixels.
type frame struct{ cx, cy, c, s float64 }

// local maps design coordinates into the frame.
func (f frame) local(x, y float64) (float64, float64) {
	dx, dy := x-f.cx, y-f.cy
	return mul(f.c, dx) + mul(f.s, dy), mul(f.c, dy) - mul(f.s, dx)
}

// world maps frame coordinates back to design coordinates.
func (f frame) world(u, v float64) (float64, float64) {
	return f.cx + mul(f.c, u) - mul(f.s, v), f.cy + mul(f.s, u) + mul(f.c, v)
}

// direction draws a uniformly distributed unit vector by rejection sampling
// in the unit disc, avoiding sin/cos.
func direction(r *rand.Rand) (c, s float64) {
	for {
		x, y := mul(2, unit(r))-1, mul(2, unit(r))-1
		n := length(x, y)
		if n > 0.05 && n <= 1 {
			return x / n, y / n
		}
	}
}

// unit draws from [0, 1) like rand.Float64, but with the scaling product
// explicitly rounded: inlined rand.Float64 lets the compiler fuse its
// multiply into a following addition on FMA machines (harmless there, as it
// is a power of two, but this keeps the "no fused ops" rule simple to check:
// GOARCH=arm64 go build -gcflags=-S ./internal/cells | grep FMADD finds none).
func unit(r *rand.Rand) float64 { return float64(float64(r.Uint64()>>11) * 0x1p-53) }

// uniform draws from [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + mul(unit(r), hi-lo) }

// sdf is a signed distance in design units: negative inside the shape.
type sdf func(x, y float64) float64

func circle(cx, cy, rad float64) sdf {
	return func(x, y float64) float64 { return length(x-cx, y-cy) - rad }
}

// ellipse with semi-axes a (along the frame's u axis) and b. The distance is
// Inigo Quilez's first-order approximation, close enough for soft edges.
func ellipse(f frame, a, b float64) sdf {
	return func(x, y float64) float64 {
		u, v := f.local(x, y)
		k1 := length(u/mul(a, a), v/mul(b, b))
		if k1 < 1e-9 {
			return -math.Min(a, b)
		}
		k0 := length(u/a, v/b)
		return mul(k0, k0-1) / k1
	}
}

// capsule is a rod of half-length half (between the cap centres) and radius rad.
func capsule(f frame, half, rad float64) sdf {
	return func(x, y float64) float64 {
		u, v := f.local(x, y)
		u = math.Max(math.Abs(u)-half, 0)
		return length(u, v) - rad
	}
}

// smoothUnion blends two shapes with a neck of size k (polynomial smooth min).
func smoothUnion(a, b sdf, k float64) sdf {
	return func(x, y float64) float64 {
		da, db := a(x, y), b(x, y)
		h := clamp01(0.5 + mul(0.5, db-da)/k)
		return lerp(db, da, h) - mul(k, mul(h, 1-h))
	}
}

func union(a, b sdf) sdf {
	return func(x, y float64) float64 { return math.Min(a(x, y), b(x, y)) }
}

// subtract removes b from a.
func subtract(a, b sdf) sdf {
	return func(x, y float64) float64 { return math.Max(a(x, y), -b(x, y)) }
}

// chebyshev returns T_n(c) = cos(n*theta) and U_{n-1}(c) = sin(n*theta)/sin(theta)
// for c = cos(theta), by the three-term recurrences: polar shapes with n
// lobes without calling math.Cos.
func chebyshev(n int, c float64) (t, u float64) {
	t0, t1 := 1.0, c
	u0, u1 := 0.0, 1.0 // U_{-1}, U_0
	for i := 1; i < n; i++ {
		t0, t1 = t1, mul(mul(2, c), t1)-t0
		u0, u1 = u1, mul(mul(2, c), u1)-u0
	}
	if n == 0 {
		return 1, 0
	}
	return t1, u1
}

// star is a body of base radius r0 with n spikes of height amp; sharp
// controls how narrow the spikes are (the lobe profile is raised to 2^sharp).
// The radial difference is divided by the slope of the outline so that the
// flanks of the spikes get a distance, and so an anti-aliased edge, of the
// same width as the rest.
func star(f frame, n int, r0, amp float64, sharp int) sdf {
	return func(x, y float64) float64 {
		u, v := f.local(x, y)
		rad := length(u, v)
		if rad < 1e-9 {
			return -r0
		}
		c, s := u/rad, v/rad
		tn, un := chebyshev(n, c)
		p := mul(0.5, 1+tn) // (1+cos n*theta)/2, in [0,1]
		dp := mul(-0.5, mul(float64(n), mul(s, un)))
		// p^(2^sharp) and its derivative by repeated squaring.
		q, dq := p, dp
		for range sharp {
			q, dq = mul(q, q), mul(mul(2, q), dq)
		}
		outline := r0 + mul(amp, q)
		slope := mul(amp, dq) / rad
		return (rad - outline) / math.Sqrt(1+mul(slope, slope))
	}
}

// lobed is a circle whose radius wobbles by amp2*cos(2a) + amp3*cos(3a)
// around two independent axes: an irregular but convex-ish outline.
func lobed(cx, cy, rad float64, f2, f3 frame, amp2, amp3 float64) sdf {
	return func(x, y float64) float64 {
		dx, dy := x-cx, y-cy
		r := length(dx, dy)
		if r < 1e-9 {
			return -rad
		}
		c2 := (mul(f2.c, dx) + mul(f2.s, dy)) / r
		c3 := (mul(f3.c, dx) + mul(f3.s, dy)) / r
		t2, _ := chebyshev(2, c2)
		t3, _ := chebyshev(3, c3)
		return r - (rad + mul(amp2, t2) + mul(amp3, t3))
	}
}

// noise is smooth value noise: random lattice values in [-1, 1], blended
// with smoothstep weights. cell is the lattice spacing in design units.
type noise struct {
	cols, rows int
	cell       float64
	v          []float64
}

func newNoise(r *rand.Rand, cell, width, height float64) *noise {
	n := &noise{cell: cell}
	n.cols = int(math.Floor(width/cell)) + 2
	n.rows = int(math.Floor(height/cell)) + 2
	n.v = make([]float64, n.cols*n.rows)
	for i := range n.v {
		n.v[i] = mul(2, unit(r)) - 1
	}
	return n
}

// at samples the noise; coordinates outside the lattice are clamped.
func (n *noise) at(x, y float64) float64 {
	gx, gy := math.Max(x/n.cell, 0), math.Max(y/n.cell, 0)
	fx, fy := math.Floor(gx), math.Floor(gy)
	ix := min(int(fx), n.cols-2)
	iy := min(int(fy), n.rows-2)
	tx, ty := smoothstep(gx-float64(ix)), smoothstep(gy-float64(iy))
	i := iy*n.cols + ix
	top := lerp(n.v[i], n.v[i+1], tx)
	bot := lerp(n.v[i+n.cols], n.v[i+n.cols+1], tx)
	return lerp(top, bot, ty)
}

// layer is one piece of the specimen, composited over what lies below it.
type layer struct {
	shape  sdf
	level  float64 // mean grey level inside (0..255)
	tex    *noise  // optional texture
	texAmp float64 // grey levels of texture at full noise amplitude
	soft   float64 // width of the edge ramp in design units (focus blur)
	rim    float64 // grey levels added in a band just inside the edge (membrane)
}

// scene is a whole image: background plus layers, painted in order.
type scene struct {
	bgLevel  float64
	bgCoarse *noise
	bgFine   *noise
	vignette float64 // fractional illumination loss at the corners
	grain    float64 // amplitude of per-pixel noise in grey levels
	layers   []layer
}

func (sc *scene) add(l layer) { sc.layers = append(sc.layers, l) }

// rimBand is 1 at 1.5 units inside the edge, falling to 0 at the edge and at
// 3 units inside: a thin membrane line.
func rimBand(d float64) float64 {
	return clamp01(1 - math.Abs(d+1.5)/1.5)
}

// render paints the scene into a w x h grey image. The per-pixel grain is
// drawn from r in row-major order, so it too depends only on the seed.
func (sc *scene) render(w, h int, r *rand.Rand) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	scale := float64(min(w, h)) / designSize
	// Centre of the image in design units; for non-square images the
	// specimen stays centred and the extra room is background.
	halfW, halfH := float64(float64(w)/scale/2), float64(float64(h)/scale/2)
	ox, oy := halfW-designSize/2, halfH-designSize/2
	cornerSq := mul(halfW, halfW) + mul(halfH, halfH)
	for py := range h {
		for px := range w {
			// Pixel centre in design units, (0,0) at the top-left of the
			// centred 128x128 design square.
			gx := (float64(px) + 0.5) / scale
			gy := (float64(py) + 0.5) / scale
			x, y := gx-ox, gy-oy
			val := sc.bgLevel + mul(7, sc.bgCoarse.at(gx, gy)) + mul(3, sc.bgFine.at(gx, gy))
			for _, l := range sc.layers {
				d := l.shape(x, y)
				cov := smoothstep(0.5 - d/l.soft)
				if cov == 0 {
					continue
				}
				in := l.level + mul(l.rim, rimBand(d))
				if l.tex != nil {
					in += mul(l.texAmp, l.tex.at(gx, gy))
				}
				val = lerp(val, in, cov)
			}
			// Illumination falls off towards the corners (vignetting).
			dx, dy := gx-halfW, gy-halfH
			rr := (mul(dx, dx) + mul(dy, dy)) / cornerSq
			val = mul(val, 1-mul(sc.vignette, rr))
			val += mul(sc.grain, mul(2, unit(r))-1)
			img.Pix[py*img.Stride+px] = uint8(math.Max(0, math.Min(255, math.Floor(val+0.5))))
		}
	}
	return img
}
