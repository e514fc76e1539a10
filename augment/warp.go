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
// the source, walked with a fixed-point step.
func warpAffine[T pixel](dst, src plane[T], m affine2, b Border, value float64) {
	fill := fillFor[T](src.c, value)
	buf := make([]int64, 2*dst.w)
	xs, ys := buf[:dst.w], buf[dst.w:]
	last := float64(dst.w - 1)
	dx, dy := toFixed(m[0]), toFixed(m[3])
	for y := 0; y < dst.h; y++ {
		fy := float64(y)
		bx := float64(m[1]*fy) + m[2]
		by := float64(m[4]*fy) + m[5]
		ex := float64(m[0]*last) + bx
		ey := float64(m[3]*last) + by
		if math.Abs(bx) < coordLimit/2 && math.Abs(by) < coordLimit/2 && math.Abs(ex) < coordLimit/2 && math.Abs(ey) < coordLimit/2 {
			sx, sy := toFixed(bx), toFixed(by)
			for x := range xs {
				xs[x], ys[x] = sx, sy
				sx += dx
				sy += dy
			}
		} else {
			for x := range xs {
				fx := float64(x)
				xs[x] = toFixed(float64(m[0]*fx) + bx)
				ys[x] = toFixed(float64(m[3]*fx) + by)
			}
		}
		sampleRow(dst.row(y), src, xs, ys, b, fill)
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
