package pngenc

import (
	"image"
	"math"
	"math/rand/v2"

	"github.com/augsplit/augsplit/internal/cells"
)

// cellImage is what `augsplit generate` writes by default: a synthetic
// microscopy cell rotated by deg with reflect-101 borders (bilinear), plus
// Gaussian noise of the given sigma, all deterministic.
func cellImage(class string, n int, deg, sigma float64, seed uint64) *image.Gray {
	src := cells.Draw(class, n, n, seed)
	return addNoise(rotate(src, deg), sigma, seed)
}

// blobImage is a clean, smooth image: a few wide Gaussian blobs on a dark
// ramp, with no noise at all; the best case for every filter.
func blobImage(n int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, n, n))
	type blob struct{ x, y, r, v float64 }
	blobs := []blob{{0.3, 0.4, 0.15, 150}, {0.7, 0.6, 0.2, 110}, {0.5, 0.2, 0.08, 90}}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			u, v := float64(x)/float64(n), float64(y)/float64(n)
			s := 20 + 20*u
			for _, b := range blobs {
				d2 := ((u-b.x)*(u-b.x) + (v-b.y)*(v-b.y)) / (b.r * b.r)
				s += b.v * math.Exp(-d2)
			}
			img.Pix[y*img.Stride+x] = clamp8(s)
		}
	}
	return img
}

func clamp8(v float64) uint8 {
	return uint8(math.Max(0, math.Min(255, math.Round(v))))
}

// rotate turns src by deg about its centre, sampling bilinearly and
// reflecting (reflect-101) outside the image, like augment's default rotate.
func rotate(src *image.Gray, deg float64) *image.Gray {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	sin, cos := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w-1)/2, float64(h-1)/2
	at := func(x, y int) float64 {
		return float64(src.Pix[reflect101(y, h)*src.Stride+reflect101(x, w)])
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := cos*dx+sin*dy+cx, -sin*dx+cos*dy+cy
			x0, y0 := math.Floor(sx), math.Floor(sy)
			fx, fy := sx-x0, sy-y0
			ix, iy := int(x0), int(y0)
			top := at(ix, iy)*(1-fx) + at(ix+1, iy)*fx
			bot := at(ix, iy+1)*(1-fx) + at(ix+1, iy+1)*fx
			dst.Pix[y*dst.Stride+x] = clamp8(top*(1-fy) + bot*fy)
		}
	}
	return dst
}

func reflect101(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i
}

func addNoise(img *image.Gray, sigma float64, seed uint64) *image.Gray {
	if sigma == 0 {
		return img
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i, v := range img.Pix {
		img.Pix[i] = clamp8(float64(v) + sigma*r.NormFloat64())
	}
	return img
}

// randomPix fills p with deterministic pseudo-random bytes.
func randomPix(p []byte, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range p {
		p[i] = byte(r.Uint32())
	}
}

// toGray16 widens a grey image, keeping some low-byte detail so both bytes
// of every sample vary.
func toGray16(g *image.Gray) *image.Gray16 {
	b := g.Bounds()
	m := image.NewGray16(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := uint16(g.GrayAt(x, y).Y)
			o := m.PixOffset(x, y)
			m.Pix[o], m.Pix[o+1] = byte(v), byte(v*37+uint16(x))
		}
	}
	return m
}

// toNRGBA spreads a grey image over three channels; alpha is 255 when
// opaque, else a pattern that includes 0 and 255.
func toNRGBA(g *image.Gray, opaque bool) *image.NRGBA {
	b := g.Bounds()
	m := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := g.GrayAt(x, y).Y
			o := m.PixOffset(x, y)
			a := byte(255)
			if !opaque {
				a = byte(x*51 + y*17)
			}
			m.Pix[o], m.Pix[o+1], m.Pix[o+2], m.Pix[o+3] = v, 255-v, v/2+byte(y), a
		}
	}
	return m
}
