package augment

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
)

// pixel is the sample type of a plane: 8-bit (Gray, NRGBA) or 16-bit (Gray16).
type pixel interface{ ~uint8 | ~uint16 }

// plane is an interleaved view of pixel samples. Kernels are written once as
// generic functions over plane; Go stencils uint8 and uint16 separately, so the
// inner loops index plain slices with no interface calls.
type plane[T pixel] struct {
	pix    []T
	w, h   int
	c      int // samples per pixel: 1 (grey) or 4 (NRGBA, the last one alpha)
	stride int // in samples
}

// colour returns how many samples per pixel carry colour: point operations
// leave alpha alone.
func (p plane[T]) colour() int {
	if p.c == 4 {
		return 3
	}
	return p.c
}

func (p plane[T]) row(y int) []T {
	return p.pix[y*p.stride : y*p.stride+p.w*p.c]
}

func maxval[T pixel]() int { return int(^T(0)) }

// normalize returns img when it is one of the supported types and otherwise
// a copy in the closest of them, so that callers may hand in anything the
// image package decodes.
func normalize(img image.Image) image.Image {
	switch img.(type) {
	case *image.Gray, *image.Gray16, *image.NRGBA:
		return img
	}
	b := img.Bounds()
	r := image.Rect(0, 0, b.Dx(), b.Dy())
	var dst draw.Image
	switch img.ColorModel() {
	case color.GrayModel:
		dst = image.NewGray(r)
	case color.Gray16Model:
		dst = image.NewGray16(r)
	default:
		dst = image.NewNRGBA(r)
	}
	draw.Draw(dst, r, img, b.Min, draw.Src)
	return dst
}

func view8(pix []uint8, stride int, b image.Rectangle, off, c int) plane[uint8] {
	return plane[uint8]{pix: pix[off:], w: b.Dx(), h: b.Dy(), c: c, stride: stride}
}

// gray16Plane copies a Gray16 (big-endian bytes) into native uint16 samples;
// 16-bit is not the hot path, and one copy keeps every kernel generic.
func gray16Plane(img *image.Gray16) plane[uint16] {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	p := plane[uint16]{pix: make([]uint16, w*h), w: w, h: h, c: 1, stride: w}
	for y := 0; y < h; y++ {
		src := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		dst := p.pix[y*w : y*w+w]
		for x := range dst {
			dst[x] = uint16(src[2*x])<<8 | uint16(src[2*x+1])
		}
	}
	return p
}

// storeGray16 writes p into img, which has bounds at (0,0) and p's size.
func storeGray16(img *image.Gray16, p plane[uint16]) {
	for y := 0; y < p.h; y++ {
		dst := img.Pix[y*img.Stride : y*img.Stride+2*p.w]
		for x, v := range p.row(y) {
			dst[2*x] = uint8(v >> 8)
			dst[2*x+1] = uint8(v)
		}
	}
}

// render allocates a w x h image of src's concrete type with bounds at (0,0)
// and fills it with the kernel instantiation for src's sample type. Go cannot
// pass an uninstantiated generic function, hence the pair.
func render(src image.Image, w, h int, k8 func(dst, src plane[uint8]), k16 func(dst, src plane[uint16])) image.Image {
	r := image.Rect(0, 0, w, h)
	switch s := src.(type) {
	case *image.Gray:
		d := image.NewGray(r)
		k8(view8(d.Pix, d.Stride, r, 0, 1), view8(s.Pix, s.Stride, s.Rect, s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y), 1))
		return d
	case *image.NRGBA:
		d := image.NewNRGBA(r)
		k8(view8(d.Pix, d.Stride, r, 0, 4), view8(s.Pix, s.Stride, s.Rect, s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y), 4))
		return d
	case *image.Gray16:
		d := image.NewGray16(r)
		dp := plane[uint16]{pix: make([]uint16, w*h), w: w, h: h, c: 1, stride: w}
		k16(dp, gray16Plane(s))
		storeGray16(d, dp)
		return d
	}
	return render(normalize(src), w, h, k8, k16)
}

// modify runs an in-place kernel on img, which must be a supported type that
// the caller owns.
func modify(img image.Image, k8 func(plane[uint8]), k16 func(plane[uint16])) {
	switch s := img.(type) {
	case *image.Gray:
		k8(view8(s.Pix, s.Stride, s.Rect, s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y), 1))
	case *image.NRGBA:
		k8(view8(s.Pix, s.Stride, s.Rect, s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y), 4))
	case *image.Gray16:
		p := gray16Plane(s)
		k16(p)
		b := s.Rect
		for y := 0; y < p.h; y++ {
			dst := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			for x, v := range p.row(y) {
				dst[2*x] = uint8(v >> 8)
				dst[2*x+1] = uint8(v)
			}
		}
	default:
		// Only ApplyInPlace called outside the pipeline gets here.
		panic(fmt.Sprintf("augment: ApplyInPlace needs *image.Gray, *image.Gray16 or *image.NRGBA, got %T", img))
	}
}

// clone copies img (any type) into a supported type with bounds at (0,0).
func clone(img image.Image) image.Image {
	img = normalize(img)
	b := img.Bounds()
	return render(img, b.Dx(), b.Dy(), copyPlane[uint8], copyPlane[uint16])
}

func copyPlane[T pixel](dst, src plane[T]) {
	for y := 0; y < dst.h; y++ {
		copy(dst.row(y), src.row(y))
	}
}

// fillFor returns the constant border sample per channel: value is in 8-bit
// units (scaled x257 for 16-bit) and an NRGBA fill is opaque.
func fillFor[T pixel](c int, value float64) []int {
	mx := maxval[T]()
	v := int(float64(value*float64(mx)/255) + 0.5)
	v = min(max(v, 0), mx)
	f := make([]int, c)
	for i := range f {
		f[i] = v
	}
	if c == 4 {
		f[3] = mx
	}
	return f
}

func atOrigin(img image.Image) bool {
	return img.Bounds().Min == image.Point{}
}
