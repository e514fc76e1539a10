package augment

import (
	"fmt"
	"math"
	"strings"
)

// Border says what a geometric transform samples outside the source image.
// The names and meanings follow OpenCV (and so Albumentations).
type Border int

const (
	BorderReflect101 Border = iota // gfedcb|abcdefgh|gfedcba (the zero value)
	BorderReflect                  // fedcba|abcdefgh|hgfedcb
	BorderReplicate                // aaaaaa|abcdefgh|hhhhhhh
	BorderWrap                     // cdefgh|abcdefgh|abcdefg
	BorderConstant                 // vvvvvv|abcdefgh|vvvvvvv
)

var borderNames = []string{"reflect101", "reflect", "replicate", "wrap", "constant"}

func (b Border) String() string {
	if b >= 0 && int(b) < len(borderNames) {
		return borderNames[b]
	}
	return fmt.Sprintf("Border(%d)", int(b))
}

// ParseBorder reads a border name as written in a config.
func ParseBorder(s string) (Border, error) {
	for i, n := range borderNames {
		if s == n {
			return Border(i), nil
		}
	}
	return 0, fmt.Errorf("unknown border %q; valid borders: %s", s, strings.Join(borderNames, ", "))
}

// index maps a coordinate i on an axis of n samples into [0, n), or -1 when
// the border is constant and i is outside.
func (b Border) index(i, n int) int {
	if uint(i) < uint(n) {
		return i
	}
	switch b {
	case BorderReplicate:
		if i < 0 {
			return 0
		}
		return n - 1
	case BorderWrap:
		i %= n
		if i < 0 {
			i += n
		}
		return i
	case BorderReflect:
		if i < 0 && i >= -n {
			return -1 - i
		}
		if i >= n && i < 2*n {
			return 2*n - 1 - i
		}
		p := 2 * n
		i %= p
		if i < 0 {
			i += p
		}
		if i >= n {
			i = p - 1 - i
		}
		return i
	case BorderConstant:
		return -1
	default: // reflect101
		if n == 1 {
			return 0
		}
		// One reflection covers the taps of a warp; skip the divisions.
		if i < 0 && i > -n {
			return -i
		}
		if i >= n && i < 2*n-1 {
			return 2*n - 2 - i
		}
		p := 2*n - 2
		i %= p
		if i < 0 {
			i += p
		}
		if i >= n {
			i = p - i
		}
		return i
	}
}

// Source positions are 32.32 fixed point and bilinear weights 15-bit: with
// integer arithmetic the result cannot depend on whether a CPU fuses
// multiply-add, and an affine row becomes one addition per pixel.
const (
	fracBits = 32
	wBits    = 15
	wOne     = 1 << wBits
	wHalf    = 1 << (fracBits - wBits - 1)
	// coordLimit keeps fixed-point positions far from overflow; anything
	// beyond is border anyway.
	coordLimit = 1 << 29
)

// toFixed converts a source position to fixed point, clamped to coordLimit.
func toFixed(v float64) int64 {
	if !(v > -coordLimit) { // also NaN
		v = -coordLimit
	} else if v > coordLimit {
		v = coordLimit
	}
	return int64(math.Floor(v * (1 << fracBits)))
}

// split returns the integer part and the rounded 15-bit fraction of a
// fixed-point position. The fraction may round up to wOne; the tap to the
// right then takes all the weight.
func split(v int64) (int, int) {
	return int(v >> fracBits), int((uint64(uint32(v)) + wHalf) >> (fracBits - wBits))
}

func lerp2(p00, p01, p10, p11, wx, wy int) int {
	top := p00<<wBits + (p01-p00)*wx
	bot := p10<<wBits + (p11-p10)*wx
	return (top<<wBits + (bot-top)*wy + 1<<(2*wBits-1)) >> (2 * wBits)
}

// sampleRow fills one output row by bilinear sampling of src at the
// fixed-point positions (xs[i], ys[i]).
func sampleRow[T pixel](dst []T, src plane[T], xs, ys []int64, b Border, fill []int) {
	c, st, sp := src.c, src.stride, src.pix
	wl, hl := uint(src.w-1), uint(src.h-1)
	ys = ys[:len(xs)]
	if c == 1 {
		dst = dst[:len(xs)]
		for x, fx := range xs {
			x0, wx := split(fx)
			y0, wy := split(ys[x])
			if uint(x0) < wl && uint(y0) < hl {
				i := y0*st + x0
				r0, r1 := sp[i:i+2], sp[i+st:i+st+2]
				dst[x] = T(lerp2(int(r0[0]), int(r0[1]), int(r1[0]), int(r1[1]), wx, wy))
				continue
			}
			dst[x] = T(sampleBorder(src, x0, y0, wx, wy, 0, b, fill))
		}
		return
	}
	for x, fx := range xs {
		x0, wx := split(fx)
		y0, wy := split(ys[x])
		o := x * c
		if uint(x0) < wl && uint(y0) < hl {
			i := y0*st + x0*c
			for k := 0; k < c; k++ {
				dst[o+k] = T(lerp2(int(sp[i+k]), int(sp[i+c+k]), int(sp[i+st+k]), int(sp[i+st+c+k]), wx, wy))
			}
			continue
		}
		for k := 0; k < c; k++ {
			dst[o+k] = T(sampleBorder(src, x0, y0, wx, wy, k, b, fill))
		}
	}
}

// sampleBorder is the slow path for positions whose taps leave the image.
func sampleBorder[T pixel](src plane[T], x0, y0, wx, wy, k int, b Border, fill []int) int {
	c, st, sp := src.c, src.stride, src.pix
	xa, xb := b.index(x0, src.w), b.index(x0+1, src.w)
	ya, yb := b.index(y0, src.h), b.index(y0+1, src.h)
	p00, p01, p10, p11 := fill[k], fill[k], fill[k], fill[k]
	if ya >= 0 {
		if xa >= 0 {
			p00 = int(sp[ya*st+xa*c+k])
		}
		if xb >= 0 {
			p01 = int(sp[ya*st+xb*c+k])
		}
	}
	if yb >= 0 {
		if xa >= 0 {
			p10 = int(sp[yb*st+xa*c+k])
		}
		if xb >= 0 {
			p11 = int(sp[yb*st+xb*c+k])
		}
	}
	return lerp2(p00, p01, p10, p11, wx, wy)
}

// affine2 maps an output pixel (x, y) to a source position:
// sx = a*x + b*y + c, sy = d*x + e*y + f.
type affine2 [6]float64

// warpAffine renders dst by inverse mapping through m. Each row is a line in
// the source, walked with a fixed-point step. On that line the pixels whose
// 2x2 taps all lie inside src form one run (the positions are linear in x),
// which sampleInner renders without border handling; the pixels either side
// go through sampleEdge. Both give exactly sampleRow's samples.
func warpAffine[T pixel](dst, src plane[T], m affine2, b Border, value float64) {
	fill := fillFor[T](src.c, value)
	buf := make([]int64, 2*dst.w)
	xs, ys := buf[:dst.w], buf[dst.w:]
	last := float64(dst.w - 1)
	dx, dy := toFixed(m[0]), toFixed(m[3])
	c := src.c
	lx, ly := newBorderLUT(b, src.w), newBorderLUT(b, src.h)
	for y := 0; y < dst.h; y++ {
		fy := float64(y)
		bx := float64(m[1]*fy) + m[2]
		by := float64(m[4]*fy) + m[5]
		ex := float64(m[0]*last) + bx
		ey := float64(m[3]*last) + by
		row := dst.row(y)
		if math.Abs(bx) < coordLimit/2 && math.Abs(by) < coordLimit/2 && math.Abs(ex) < coordLimit/2 && math.Abs(ey) < coordLimit/2 {
			// Every position is sx + x*dx exactly: integer sums, far from
			// overflow.
			sx, sy := toFixed(bx), toFixed(by)
			lo, hi := innerSpan(sx, dx, src.w, dst.w)
			if lo < hi {
				lo2, hi2 := innerSpan(sy, dy, src.h, dst.w)
				lo, hi = max(lo, lo2), min(hi, hi2)
			}
			if lo >= hi {
				lo, hi = 0, 0
			}
			for x := 0; x < lo; x++ {
				xs[x], ys[x] = sx+int64(x)*dx, sy+int64(x)*dy
			}
			for x := hi; x < dst.w; x++ {
				xs[x], ys[x] = sx+int64(x)*dx, sy+int64(x)*dy
			}
			if lo > 0 {
				sampleEdge(row[:lo*c], src, xs[:lo], ys[:lo], &lx, &ly, fill)
			}
			if lo < hi {
				sampleInner(row[lo*c:hi*c], src, sx+int64(lo)*dx, sy+int64(lo)*dy, dx, dy)
			}
			if hi < dst.w {
				sampleEdge(row[hi*c:], src, xs[hi:], ys[hi:], &lx, &ly, fill)
			}
			continue
		}
		for x := range xs {
			fx := float64(x)
			xs[x] = toFixed(float64(m[0]*fx) + bx)
			ys[x] = toFixed(float64(m[3]*fx) + by)
		}
		sampleRow(row, src, xs, ys, b, fill)
	}
}

// borderLUT is Border.index for one axis of n samples as a table over
// [-n-1, 2n+1), which holds every tap of a position within one image size of
// the source; taps further out fall back to Border.index.
type borderLUT struct {
	t   []int32
	off int
	b   Border
	n   int
}

func newBorderLUT(b Border, n int) borderLUT {
	if n <= 0 { // an empty image: nothing to tabulate
		return borderLUT{b: b, n: n}
	}
	t := make([]int32, 3*n+2)
	off := n + 1
	for j := range t {
		t[j] = int32(b.index(j-off, n))
	}
	return borderLUT{t: t, off: off, b: b, n: n}
}

// far returns the indices of samples i and i+1 beyond the table.
func (l *borderLUT) far(i int) (int, int) { return l.b.index(i, l.n), l.b.index(i+1, l.n) }

// sampleEdge is sampleRow for pixels whose taps may leave the image, with
// the border resolved through tables; the samples are sampleBorder's.
func sampleEdge[T pixel](dst []T, src plane[T], xs, ys []int64, lx, ly *borderLUT, fill []int) {
	c, st, sp := src.c, src.stride, src.pix
	tx, ty, ox, oy := lx.t, ly.t, lx.off, ly.off
	ys = ys[:len(xs)]
	if c == 1 && lx.b != BorderConstant {
		sampleEdge1(dst, sp, st, xs, ys, lx, ly)
		return
	}
	for x, fx := range xs {
		x0, wx := split(fx)
		y0, wy := split(ys[x])
		var xa, xb, ya, yb int
		if j := x0 + ox; uint(j) < uint(len(tx)-1) {
			xa, xb = int(tx[j]), int(tx[j+1])
		} else {
			xa, xb = lx.far(x0)
		}
		if j := y0 + oy; uint(j) < uint(len(ty)-1) {
			ya, yb = int(ty[j]), int(ty[j+1])
		} else {
			ya, yb = ly.far(y0)
		}
		o := x * c
		for k := 0; k < c; k++ {
			p00, p01, p10, p11 := fill[k], fill[k], fill[k], fill[k]
			if ya >= 0 {
				if xa >= 0 {
					p00 = int(sp[ya*st+xa*c+k])
				}
				if xb >= 0 {
					p01 = int(sp[ya*st+xb*c+k])
				}
			}
			if yb >= 0 {
				if xa >= 0 {
					p10 = int(sp[yb*st+xa*c+k])
				}
				if xb >= 0 {
					p11 = int(sp[yb*st+xb*c+k])
				}
			}
			dst[o+k] = T(lerp2(p00, p01, p10, p11, wx, wy))
		}
	}
}

// sampleEdge1 is sampleEdge for one sample per pixel and a border that
// always lands inside the image.
func sampleEdge1[T pixel](dst, sp []T, st int, xs, ys []int64, lx, ly *borderLUT) {
	tx, ty, ox, oy := lx.t, ly.t, lx.off, ly.off
	ys = ys[:len(xs)]
	dst = dst[:len(xs)]
	for x, fx := range xs {
		x0, wx := split(fx)
		y0, wy := split(ys[x])
		var xa, xb, ya, yb int
		if j := x0 + ox; uint(j) < uint(len(tx)-1) {
			xa, xb = int(tx[j]), int(tx[j+1])
		} else {
			xa, xb = lx.far(x0)
		}
		if j := y0 + oy; uint(j) < uint(len(ty)-1) {
			ya, yb = int(ty[j])*st, int(ty[j+1])*st
		} else {
			ya, yb = ly.far(y0)
			ya, yb = ya*st, yb*st
		}
		dst[x] = T(lerp2(int(sp[ya+xa]), int(sp[ya+xb]), int(sp[yb+xa]), int(sp[yb+xb]), wx, wy))
	}
}

// innerSpan returns the run [lo, hi) of x in [0, w) for which the fixed-point
// position s + x*d has its integer part in [0, n-2], so that both taps on
// this axis lie inside n samples. The caller guarantees s + x*d stays far
// from overflow for x in [0, w).
func innerSpan(s, d int64, n, w int) (int, int) {
	u := int64(n-1) << fracBits // positions must lie in [0, u)
	if u <= 0 || w <= 0 {
		return 0, 0
	}
	var lo, hi int64 // x in [lo, hi)
	switch {
	case d == 0:
		if s < 0 || s >= u {
			return 0, 0
		}
		return 0, w
	case d > 0:
		lo = -floorDiv(s, d)        // ceil(-s/d): s + x*d >= 0
		hi = floorDiv(u-1-s, d) + 1 // s + x*d <= u-1
	default:
		lo = floorDiv(s-u, -d) + 1 // s + x*d < u
		hi = floorDiv(s, -d) + 1   // s + x*d >= 0
	}
	lo = max(lo, 0)
	hi = min(hi, int64(w))
	if lo >= hi {
		return 0, 0
	}
	return int(lo), int(hi)
}

// sampleInner1 is sampleInner for one sample per pixel, kept apart so that
// its loop has the registers to itself.
func sampleInner1[T pixel](dst, sp []T, st int, fx, fy, dx, dy int64) {
	for x := range dst {
		x0, y0 := int(fx>>fracBits), int(fy>>fracBits)
		wx := int((uint64(uint32(fx)) + wHalf) >> (fracBits - wBits))
		wy := int((uint64(uint32(fy)) + wHalf) >> (fracBits - wBits))
		i := y0*st + x0
		j := i + st
		p00, p01, p10, p11 := int(sp[i]), int(sp[i+1]), int(sp[j]), int(sp[j+1])
		top := p00<<wBits + (p01-p00)*wx
		bot := p10<<wBits + (p11-p10)*wx
		dst[x] = T((top<<wBits + (bot-top)*wy + 1<<(2*wBits-1)) >> (2 * wBits))
		fx += dx
		fy += dy
	}
}

// floorDiv is a/b rounded towards minus infinity, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// sampleInner fills dst by bilinear sampling of src from the fixed-point
// position (fx, fy), stepping by (dx, dy) per pixel; every 2x2 neighbourhood
// must lie inside src. The arithmetic is sampleRow's.
func sampleInner[T pixel](dst []T, src plane[T], fx, fy, dx, dy int64) {
	c, st, sp := src.c, src.stride, src.pix
	if c == 1 {
		sampleInner1(dst, sp, st, fx, fy, dx, dy)
		return
	}
	for o := 0; o+c <= len(dst); o += c {
		x0, wx := split(fx)
		y0, wy := split(fy)
		i := y0*st + x0*c
		r0, r1 := sp[i:i+2*c], sp[i+st:i+st+2*c]
		d := dst[o : o+c]
		for k := range d {
			d[k] = T(lerp2(int(r0[k]), int(r0[c+k]), int(r1[k]), int(r1[c+k]), wx, wy))
		}
		fx += dx
		fy += dy
	}
}

// flipPlane writes src mirrored into dst; dst and src may be the same plane.
func flipPlane[T pixel](dst, src plane[T], horizontal bool) {
	c := src.c
	if horizontal {
		for y := 0; y < src.h; y++ {
			s, d := src.row(y), dst.row(y)
			for i, j := 0, (src.w-1)*c; i <= j; i, j = i+c, j-c {
				for k := 0; k < c; k++ {
					d[i+k], d[j+k] = s[j+k], s[i+k]
				}
			}
		}
		return
	}
	for y, z := 0, src.h-1; y <= z; y, z = y+1, z-1 {
		a, b := src.row(y), src.row(z)
		da, db := dst.row(y), dst.row(z)
		for i := range a {
			da[i], db[i] = b[i], a[i]
		}
	}
}

// d4Ops are the eight symmetries of the square; rot90 is counter-clockwise,
// as for Rotate.
var d4Ops = []string{"identity", "rot90", "rot180", "rot270", "hflip", "vflip", "transpose", "transverse"}

// d4Sizeless are the symmetries that keep a non-square image's size.
var d4Sizeless = []int{0, 2, 4, 5}

func d4Swaps(op int) bool { return op == 1 || op == 3 || op == 6 || op == 7 }

// d4Plane writes src transformed by d4Ops[op] into dst, whose size is src's
// (transposed when d4Swaps(op)).
func d4Plane[T pixel](dst, src plane[T], op int) {
	W, H := src.w, src.h
	// Source position for output (x, y): sx = ax*x + bx*y + cx, likewise sy.
	var ax, bx, cx, ay, by, cy int
	switch op {
	case 0:
		ax, by = 1, 1
	case 1:
		bx, cx, ay = -1, W-1, 1
	case 2:
		ax, cx, by, cy = -1, W-1, -1, H-1
	case 3:
		bx, ay, cy = 1, -1, H-1
	case 4:
		ax, cx, by = -1, W-1, 1
	case 5:
		ax, by, cy = 1, -1, H-1
	case 6:
		bx, ay = 1, 1
	case 7:
		bx, cx, ay, cy = -1, W-1, -1, H-1
	}
	c, st := src.c, src.stride
	step := ax*c + ay*st
	for y := 0; y < dst.h; y++ {
		d := dst.row(y)
		i := (bx*y+cx)*c + (by*y+cy)*st
		if c == 1 {
			for x := range d {
				d[x] = src.pix[i]
				i += step
			}
			continue
		}
		for x := 0; x < len(d); x += c {
			copy(d[x:x+c], src.pix[i:i+c])
			i += step
		}
	}
}
