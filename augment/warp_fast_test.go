package augment

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// refIndex is Border.index as it was before its division-free shortcuts.
func refIndex(b Border, i, n int) int {
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
	default:
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

// refWarp is the general path alone: every pixel through the per-pixel
// border test and refIndex, exactly as warpAffine rendered before the
// interior fast path.
func refWarp[T pixel](dst, src plane[T], m affine2, b Border, value float64) {
	fill := fillFor[T](src.c, value)
	xs, ys := make([]int64, dst.w), make([]int64, dst.w)
	last := float64(dst.w - 1)
	dx, dy := toFixed(m[0]), toFixed(m[3])
	c, st, sp := src.c, src.stride, src.pix
	at := func(x, y, k int) int {
		if x < 0 || y < 0 {
			return fill[k]
		}
		return int(sp[y*st+x*c+k])
	}
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
		row := dst.row(y)
		for x := range xs {
			x0, wx := split(xs[x])
			y0, wy := split(ys[x])
			xa, xb := refIndex(b, x0, src.w), refIndex(b, x0+1, src.w)
			ya, yb := refIndex(b, y0, src.h), refIndex(b, y0+1, src.h)
			for k := 0; k < c; k++ {
				p00, p01, p10, p11 := at(xa, ya, k), at(xb, ya, k), at(xa, yb, k), at(xb, yb, k)
				if ya < 0 {
					p00, p01 = fill[k], fill[k]
				}
				if yb < 0 {
					p10, p11 = fill[k], fill[k]
				}
				row[x*c+k] = T(lerp2(p00, p01, p10, p11, wx, wy))
			}
		}
	}
}

func TestBorderIndexShortcuts(t *testing.T) {
	for b := BorderReflect101; b <= BorderConstant; b++ {
		for n := 1; n <= 9; n++ {
			for i := -5*n - 3; i <= 5*n+3; i++ {
				if got, want := b.index(i, n), refIndex(b, i, n); got != want {
					t.Fatalf("%v.index(%d, %d) = %d, want %d", b, i, n, got, want)
				}
			}
		}
	}
}

func TestInnerSpan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for it := 0; it < 20000; it++ {
		n := 1 + r.IntN(12)
		w := r.IntN(15)
		var s, d int64
		switch r.IntN(4) {
		case 0:
			d = 0
		case 1:
			d = int64(r.IntN(5)-2) << fracBits
		default:
			d = int64(r.Uint64()>>30) - 1<<33 // within about two pixels a step
		}
		s = int64(r.Uint64()>>28) - 1<<35 + int64(n)<<(fracBits-1)
		if r.IntN(3) == 0 {
			s &^= 1<<fracBits - 1 // on a pixel exactly
		}
		lo, hi := innerSpan(s, d, n, w)
		for x := 0; x < w; x++ {
			i := (s + int64(x)*d) >> fracBits
			in := i >= 0 && i < int64(n-1)
			if got := x >= lo && x < hi; got != in {
				t.Fatalf("innerSpan(%d, %d, %d, %d) = [%d, %d): x=%d inside=%v", s, d, n, w, lo, hi, x, in)
			}
		}
	}
}

// randAffine returns a map from a w x h output into a sw x sh source: random
// rotations about the centre with scale, shear and shift, exact quarter turns
// and flips, integer and half-pixel shifts, degenerate and huge maps.
func randAffine(r *rand.Rand, w, h, sw, sh int) affine2 {
	switch r.IntN(10) {
	case 0: // axis-aligned, possibly flipped, integer or half-pixel offsets
		a, e := float64(1-2*r.IntN(2)), float64(1-2*r.IntN(2))
		return affine2{a, 0, float64(r.IntN(2*sw+1)-sw) / 2, 0, e, float64(r.IntN(2*sh+1)-sh) / 2}
	case 1: // degenerate: all pixels from one line or point
		return affine2{0, r.Float64() - 0.5, r.Float64()*float64(sw+2) - 1, 0, 0, r.Float64()*float64(sh+2) - 1}
	case 2: // far outside or enormous
		k := math.Pow(10, float64(r.IntN(12)))
		return affine2{k * (r.Float64() - 0.5), k * (r.Float64() - 0.5), k * (r.Float64() - 0.5), k * (r.Float64() - 0.5), k * (r.Float64() - 0.5), k * (r.Float64() - 0.5)}
	case 3:
		return affine2{0, 1, 0, 1, 0, 0} // transpose
	}
	th := r.Float64() * 2 * math.Pi
	if r.IntN(4) == 0 {
		th = float64(r.IntN(8)) * math.Pi / 4
	}
	sc := 0.5 + r.Float64()*1.5
	sh0 := (r.Float64() - 0.5) * 0.6
	sin, cos := math.Sincos(th)
	a, b := cos/sc, -sin/sc+sh0
	d, e := sin/sc, cos/sc
	cx, cy := float64(w-1)/2, float64(h-1)/2
	scx, scy := float64(sw-1)/2+(r.Float64()-0.5)*3, float64(sh-1)/2+(r.Float64()-0.5)*3
	return affine2{a, b, scx - a*cx - b*cy, d, e, scy - d*cx - e*cy}
}

// TestWarpFastMatchesGeneral renders many random maps with warpAffine (with
// its interior fast path) and with refWarp (the general path for every
// pixel) on Gray, Gray16 and NRGBA sources, including sub-images whose bounds
// do not start at (0, 0), and wants the same samples.
func TestWarpFastMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64}
	iters := 3000
	if testing.Short() {
		iters = 300
	}
	for it := 0; it < iters; it++ {
		sw, sh := sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))]
		w, h := sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))]
		if r.IntN(2) == 0 {
			w, h = sw, sh
		}
		m := randAffine(r, w, h, sw, sh)
		b := Border(r.IntN(5))
		value := float64(r.IntN(256))
		ox, oy := r.IntN(4), r.IntN(4)
		full := image.Rect(0, 0, sw+ox+r.IntN(3), sh+oy+r.IntN(3))
		sub := image.Rect(ox, oy, ox+sw, oy+sh)
		name := fmt.Sprintf("it %d: %dx%d <- %dx%d at %v, %v, value %v, m %v", it, w, h, sw, sh, sub.Min, b, value, m)

		g := image.NewGray(full)
		g16 := image.NewGray16(full)
		rgba := image.NewNRGBA(full)
		for i := range g.Pix {
			g.Pix[i] = uint8(r.Uint32())
		}
		for i := range g16.Pix {
			g16.Pix[i] = uint8(r.Uint32())
		}
		for i := range rgba.Pix {
			rgba.Pix[i] = uint8(r.Uint32())
		}
		gs := g.SubImage(sub).(*image.Gray)
		g16s := g16.SubImage(sub).(*image.Gray16)
		rgbas := rgba.SubImage(sub).(*image.NRGBA)

		dr := image.Rect(0, 0, w, h)
		// Gray and NRGBA: 8-bit planes straight on the (sub-)image.
		for _, c := range []struct {
			pix    []uint8
			stride int
			off    int
			ch     int
		}{
			{gs.Pix, gs.Stride, gs.PixOffset(sub.Min.X, sub.Min.Y), 1},
			{rgbas.Pix, rgbas.Stride, rgbas.PixOffset(sub.Min.X, sub.Min.Y), 4},
		} {
			src := view8(c.pix, c.stride, sub, c.off, c.ch)
			got := plane[uint8]{pix: make([]uint8, w*h*c.ch), w: w, h: h, c: c.ch, stride: w * c.ch}
			want := plane[uint8]{pix: make([]uint8, w*h*c.ch), w: w, h: h, c: c.ch, stride: w * c.ch}
			warpAffine(got, src, m, b, value)
			refWarp(want, src, m, b, value)
			for i := range got.pix {
				if got.pix[i] != want.pix[i] {
					t.Fatalf("%s, %d channels: sample %d (x=%d y=%d) = %d, want %d", name, c.ch, i, i%(w*c.ch)/c.ch, i/(w*c.ch), got.pix[i], want.pix[i])
				}
			}
		}
		src16 := gray16Plane(g16s)
		got := plane[uint16]{pix: make([]uint16, w*h), w: w, h: h, c: 1, stride: w}
		want := plane[uint16]{pix: make([]uint16, w*h), w: w, h: h, c: 1, stride: w}
		warpAffine(got, src16, m, b, value)
		refWarp(want, src16, m, b, value)
		for i := range got.pix {
			if got.pix[i] != want.pix[i] {
				t.Fatalf("%s, gray16: sample %d (x=%d y=%d) = %d, want %d", name, i, i%w, i/w, got.pix[i], want.pix[i])
			}
		}
		// And through the public path, for the Gray image with offset bounds.
		img := warp(gs, w, h, m, b, value).(*image.Gray)
		ref := plane[uint8]{pix: make([]uint8, w*h), w: w, h: h, c: 1, stride: w}
		refWarp(ref, view8(gs.Pix, gs.Stride, sub, gs.PixOffset(sub.Min.X, sub.Min.Y), 1), m, b, value)
		if img.Rect != dr {
			t.Fatalf("%s: bounds %v", name, img.Rect)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if img.Pix[y*img.Stride+x] != ref.pix[y*w+x] {
					t.Fatalf("%s: warp at (%d,%d) = %d, want %d", name, x, y, img.Pix[y*img.Stride+x], ref.pix[y*w+x])
				}
			}
		}
	}
}

// TestWarpFastMatchesGeneralLarge covers rotations of a 512x512 grey image,
// the shape of the default pipeline, at many angles and every border.
func TestWarpFastMatchesGeneralLarge(t *testing.T) {
	src := benchGray(512)
	sp := view8(src.Pix, src.Stride, src.Rect, 0, 1)
	got := plane[uint8]{pix: make([]uint8, 512*512), w: 512, h: 512, c: 1, stride: 512}
	want := plane[uint8]{pix: make([]uint8, 512*512), w: 512, h: 512, c: 1, stride: 512}
	n := 24
	if testing.Short() {
		n = 4
	}
	for i := 0; i < n; i++ {
		deg := float64(i)*15 + 0.37*float64(i%3)
		sin, cos := sincosDeg(deg)
		cx, cy := 255.5, 255.5
		m := affine2{cos, -sin, cx - float64(cos*cx) + float64(sin*cy), sin, cos, cy - float64(sin*cx) - float64(cos*cy)}
		b := Border(i % 5)
		warpAffine(got, sp, m, b, 77)
		refWarp(want, sp, m, b, 77)
		for j := range got.pix {
			if got.pix[j] != want.pix[j] {
				t.Fatalf("%v degrees, %v: (%d,%d) = %d, want %d", deg, b, j%512, j/512, got.pix[j], want.pix[j])
			}
		}
	}
}

// TestWarpEmpty: warping an empty image to an empty one is a no-op for every
// border (the border tables of an empty axis are empty).
func TestWarpEmpty(t *testing.T) {
	for b := BorderReflect101; b <= BorderConstant; b++ {
		for _, r := range []image.Rectangle{image.Rect(0, 0, 0, 0), image.Rect(2, 3, 2, 7), image.Rect(1, 1, 6, 1)} {
			img := warp(image.NewGray(r), r.Dx(), r.Dy(), affine2{1, 0, 0, 0, 1, 0}, b, 0)
			if img.Bounds().Dx() != r.Dx() || img.Bounds().Dy() != r.Dy() {
				t.Errorf("%v %v: bounds %v", b, r, img.Bounds())
			}
		}
	}
}
