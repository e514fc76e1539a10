package train

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strconv"

	"github.com/augsplit/augsplit/internal/resize"
	"gorgonia.org/tensor"
)

// Set is a labelled set of images kept as uint8 (NCHW, N*C*H*W bytes):
// float32 copies of 3000 images at 512 px would take 3 GB, so samples are
// converted per batch.
type Set struct {
	Images  []uint8
	Labels  []int
	N       int
	C, H, W int
	Classes []string // class names; Labels index into it
	// Sources names each sample's source (an augsplit manifest's source
	// path), the unit validation evidence is counted in: the variants of a
	// source are near-duplicates. nil, or "" for a sample, means the sample
	// is its own source (a plain folder of independent images).
	Sources []string
}

// NewSet returns an empty set of c-channel h x w images.
func NewSet(c, h, w int, classes []string) *Set {
	return &Set{C: c, H: h, W: w, Classes: append([]string(nil), classes...)}
}

// Add converts img to the set's channels and size (resizing with bilinear
// interpolation when it differs) and appends it with its label.
func (s *Set) Add(img image.Image, label int) error {
	if label < 0 || label >= len(s.Classes) {
		return fmt.Errorf("add image: label %d out of range for %d classes", label, len(s.Classes))
	}
	s.Images = AppendPixels(s.Images, img, s.C, s.H, s.W)
	s.Labels = append(s.Labels, label)
	if s.Sources != nil {
		s.Sources = append(s.Sources, "")
	}
	s.N++
	return nil
}

// AddFrom is Add for a sample of a named source ("" : its own source).
func (s *Set) AddFrom(img image.Image, label int, source string) error {
	if err := s.Add(img, label); err != nil {
		return err
	}
	if s.Sources == nil && source != "" {
		s.Sources = make([]string, s.N)
	}
	if s.Sources != nil {
		s.Sources[s.N-1] = source
	}
	return nil
}

// SourceID names sample i's source: its Sources entry, or for a sample
// that is its own source "#i" (which no source path can be mistaken for,
// as manifest paths are relative and never start with '#').
func (s *Set) SourceID(i int) string {
	if i < len(s.Sources) && s.Sources[i] != "" {
		return s.Sources[i]
	}
	return "#" + strconv.Itoa(i)
}

// Append adds every sample of o (same channels, size and classes) to s.
func (s *Set) Append(o *Set) error {
	if o.C != s.C || o.H != s.H || o.W != s.W || !equalStrings(o.Classes, s.Classes) {
		return fmt.Errorf("append: sets differ in shape (%dx%dx%d vs %dx%dx%d) or classes", o.C, o.H, o.W, s.C, s.H, s.W)
	}
	if s.Sources != nil || o.Sources != nil {
		if s.Sources == nil {
			s.Sources = make([]string, s.N)
		}
		for i := range o.N {
			src := ""
			if i < len(o.Sources) {
				src = o.Sources[i]
			}
			if src == "" {
				// Keep an own-source sample distinct from s's "#i".
				src = "#" + strconv.Itoa(s.N+i)
			}
			s.Sources = append(s.Sources, src)
		}
	}
	s.Images = append(s.Images, o.Images...)
	s.Labels = append(s.Labels, o.Labels...)
	s.N += o.N
	return nil
}

// Subset returns the samples at idx, in that order (shares nothing with s).
func (s *Set) Subset(idx []int) *Set {
	out := NewSet(s.C, s.H, s.W, s.Classes)
	sz := s.C * s.H * s.W
	out.Images = make([]uint8, 0, len(idx)*sz)
	for _, i := range idx {
		out.Images = append(out.Images, s.Images[i*sz:(i+1)*sz]...)
		out.Labels = append(out.Labels, s.Labels[i])
	}
	if s.Sources != nil {
		// Named by SourceID, so own-source samples keep their identity.
		out.Sources = make([]string, len(idx))
		for k, i := range idx {
			out.Sources[k] = s.SourceID(i)
		}
	}
	out.N = len(idx)
	return out
}

func (s *Set) check(name string) error {
	if s == nil || s.N == 0 {
		return fmt.Errorf("%s set is empty", name)
	}
	if s.C < 1 || s.H < 1 || s.W < 1 {
		return fmt.Errorf("%s set: bad dimensions %dx%dx%d", name, s.C, s.H, s.W)
	}
	if len(s.Images) != s.N*s.C*s.H*s.W || len(s.Labels) != s.N {
		return fmt.Errorf("%s set: %d bytes and %d labels for %d images of %dx%dx%d", name, len(s.Images), len(s.Labels), s.N, s.C, s.H, s.W)
	}
	if s.Sources != nil && len(s.Sources) != s.N {
		return fmt.Errorf("%s set: %d source names for %d images", name, len(s.Sources), s.N)
	}
	for i, l := range s.Labels {
		if l < 0 || l >= len(s.Classes) {
			return fmt.Errorf("%s set: sample %d has label %d, outside %d classes", name, i, l, len(s.Classes))
		}
	}
	return nil
}

// AppendPixels appends img as c planes of h x w bytes (c = 1: luminance,
// c = 3: RGB). 16-bit images keep their high byte; other sizes are resized
// bilinearly (internal/resize): the filter trained models have seen, so
// metrics stay comparable across runs.
func AppendPixels(dst []uint8, img image.Image, c, h, w int) []uint8 {
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		// Interpolated straight into 16 bits per channel, so the
		// conversion below rounds once.
		var dstImg draw.Image
		if c == 1 {
			dstImg = image.NewGray16(image.Rect(0, 0, w, h))
		} else {
			dstImg = image.NewNRGBA64(image.Rect(0, 0, w, h))
		}
		resize.Into(dstImg, img, resize.Bilinear)
		img, b = dstImg, dstImg.Bounds()
	}
	n := len(dst)
	dst = append(dst, make([]uint8, c*h*w)...)
	out := dst[n:]
	plane := h * w
	// Fast paths for what dataset decodes to: no per-pixel interface
	// conversions (an allocation each) when loading thousands of images.
	switch im := img.(type) {
	case *image.Gray:
		if c == 1 {
			for y := range h {
				copy(out[y*w:(y+1)*w], im.Pix[im.PixOffset(b.Min.X, b.Min.Y+y):])
			}
			return dst
		}
	case *image.Gray16:
		if c == 1 {
			for y := range h {
				row := im.Pix[im.PixOffset(b.Min.X, b.Min.Y+y):]
				for x := range w {
					out[y*w+x] = row[2*x] // high byte (big-endian)
				}
			}
			return dst
		}
	}
	for y := range h {
		for x := range w {
			i := y*w + x
			px := img.At(b.Min.X+x, b.Min.Y+y)
			if c == 1 {
				out[i] = uint8(color.Gray16Model.Convert(px).(color.Gray16).Y >> 8)
				continue
			}
			nc := color.NRGBA64Model.Convert(px).(color.NRGBA64)
			out[i] = uint8(nc.R >> 8)
			out[plane+i] = uint8(nc.G >> 8)
			if c > 2 {
				out[2*plane+i] = uint8(nc.B >> 8)
			}
		}
	}
	return dst
}

// fillBatch writes samples idx of s into the input tensor (scaled to
// [0,1]) and, when y is non-nil, one-hot labels mapped through labelMap (nil:
// identity). Slots past len(idx) are zeroed: padding that callers mask out.
func fillBatch(s *Set, idx []int, x, y *tensor.Dense, labelMap []int) {
	switch xs := x.Data().(type) {
	case []float32:
		var ys []float32
		if y != nil {
			ys = y.Data().([]float32)
		}
		fillTyped(s, idx, xs, ys, labelMap)
	case []float64:
		var ys []float64
		if y != nil {
			ys = y.Data().([]float64)
		}
		fillTyped(s, idx, xs, ys, labelMap)
	}
}

func fillTyped[T float32 | float64](s *Set, idx []int, xs, ys []T, labelMap []int) {
	sz := s.C * s.H * s.W
	clear(xs)
	clear(ys)
	k := 0
	if ys != nil {
		k = len(ys) / (len(xs) / sz)
	}
	scale := pixelScale[T]()
	for slot, i := range idx {
		src := s.Images[i*sz : (i+1)*sz]
		dst := xs[slot*sz : (slot+1)*sz]
		for j, v := range src {
			dst[j] = scale[v]
		}
		if ys != nil {
			l := s.Labels[i]
			if labelMap != nil {
				l = labelMap[l]
			}
			ys[slot*k+l] = 1
		}
	}
}

// pixelScale returns v/255 for every byte v, in T: the same values as
// dividing, without a division per pixel of every batch.
func pixelScale[T float32 | float64]() *[256]T {
	if t, ok := any(&pixelScale32).(*[256]T); ok {
		return t
	}
	return any(&pixelScale64).(*[256]T)
}

var pixelScale32, pixelScale64 = func() (a [256]float32, b [256]float64) {
	for v := range 256 {
		a[v], b[v] = float32(v)/255, float64(v)/255
	}
	return a, b
}()

// rows returns the first n rows of a (B,K) tensor as float64.
func rows(v any, n, k int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, k)
		switch d := v.(type) {
		case []float32:
			for j := range k {
				out[i][j] = float64(d[i*k+j])
			}
		case []float64:
			copy(out[i], d[i*k:(i+1)*k])
		}
	}
	return out
}
