// Package resize is augsplit's one place for scaling images. Each job picks
// a filter and keeps it, because changing a filter changes output bytes:
//
//   - generate --size (dataset.Resize): Lanczos, through
//     github.com/disintegration/imaging. Sources are resized once and then
//     augmented, so the sharpest filter that does not alias when shrinking
//     is worth its cost. imaging works in 8-bit NRGBA, so 16-bit grey goes
//     through a separable Lanczos-3 here instead, keeping its precision.
//   - train input (train.AppendPixels, Predict): Bilinear, through
//     golang.org/x/image/draw. Images are normally at the model's size
//     already; when not, bilinear is what models trained so far saw, and
//     switching would change their metrics.
//   - preview thumbnails: Lanczos when shrinking, Nearest when enlarging
//     (a smooth filter would invent detail in a small image).
//
// Two resamplers stay outside on purpose: augment's random_resized_crop
// samples through the transforms' own fixed-point bilinear warp (its pixels
// are pinned by golden files and replay), and audit's perceptual hash
// reduces to a float thumbnail by exact area averaging, which keeps the
// hash symmetric under flips and rotations.
package resize

import (
	"image"
	"image/draw"
	"math"

	"github.com/disintegration/imaging"
	xdraw "golang.org/x/image/draw"
)

// Filter is a resampling filter.
type Filter int

const (
	// Lanczos is imaging's Lanczos-3 (a separable Lanczos-3 here for 16-bit
	// grey into 16-bit grey).
	Lanczos Filter = iota
	// Bilinear is golang.org/x/image/draw.BiLinear, at 16 bits per channel
	// for every image type.
	Bilinear
	// Nearest is imaging's nearest neighbour (the same pixel choice here
	// for 16-bit grey into 16-bit grey).
	Nearest
)

func (f Filter) String() string {
	switch f {
	case Lanczos:
		return "lanczos"
	case Bilinear:
		return "bilinear"
	case Nearest:
		return "nearest"
	}
	return "unknown"
}

// To returns src scaled to w x h with f, with bounds at (0,0). Grey stays
// grey at its depth (*image.Gray, *image.Gray16); anything else becomes
// *image.NRGBA. src may have any bounds. A w or h below 1, or an empty
// src, gives an empty image of that type.
func To(src image.Image, w, h int, f Filter) image.Image {
	w, h = max(w, 0), max(h, 0)
	r := image.Rect(0, 0, w, h)
	switch src.(type) {
	case *image.Gray:
		dst := image.NewGray(r)
		Into(dst, src, f)
		return dst
	case *image.Gray16:
		dst := image.NewGray16(r)
		Into(dst, src, f)
		return dst
	}
	if f != Bilinear && !empty(r) && !empty(src.Bounds()) {
		return imaging.Resize(src, w, h, f.imaging()) // already NRGBA: no copy
	}
	dst := image.NewNRGBA(r)
	Into(dst, src, f)
	return dst
}

// Into scales all of src to fill all of dst with f; dst's type decides the
// colour model and depth of the result. Both may have any bounds.
//
// With Bilinear, x/image/draw interpolates and converts each pixel to dst's
// model in one step. With Lanczos and Nearest, src is resampled by imaging
// (8-bit NRGBA) and then converted to dst, except 16-bit grey into 16-bit
// grey, which is resampled here at full depth.
func Into(dst draw.Image, src image.Image, f Filter) {
	db, sb := dst.Bounds(), src.Bounds()
	if empty(db) || empty(sb) {
		return
	}
	if f == Bilinear {
		xdraw.BiLinear.Scale(dst, db, src, sb, xdraw.Src, nil)
		return
	}
	if d, ok := dst.(*image.Gray16); ok {
		if s, ok := src.(*image.Gray16); ok {
			gray16(d, s, f)
			return
		}
	}
	t := imaging.Resize(src, db.Dx(), db.Dy(), f.imaging())
	switch d := dst.(type) {
	case *image.NRGBA:
		for y := range db.Dy() {
			copy(d.Pix[d.PixOffset(db.Min.X, db.Min.Y+y):][:4*db.Dx()], t.Pix[y*t.Stride:])
		}
		return
	case *image.Gray:
		if _, ok := src.(*image.Gray); ok {
			// r == g == b for a grey source: take r, as the 8-bit grey
			// path has always done.
			for y := range db.Dy() {
				row := d.Pix[d.PixOffset(db.Min.X, db.Min.Y+y):][:db.Dx()]
				for x := range row {
					row[x] = t.Pix[y*t.Stride+4*x]
				}
			}
			return
		}
	}
	draw.Draw(dst, db, t, image.Point{}, draw.Src)
}

func empty(r image.Rectangle) bool { return r.Dx() < 1 || r.Dy() < 1 }

func (f Filter) imaging() imaging.ResampleFilter {
	if f == Nearest {
		return imaging.NearestNeighbor
	}
	return imaging.Lanczos
}

// gray16 resamples 16-bit grey at full depth.
func gray16(dst, src *image.Gray16, f Filter) {
	if f == Nearest {
		nearest16(dst, src)
		return
	}
	lanczos16(dst, src)
}

// nearest16 picks the source pixel imaging's nearest neighbour picks, with
// the same float expression, so 16-bit and 8-bit agree on the choice.
func nearest16(dst, src *image.Gray16) {
	db, sb := dst.Bounds(), src.Bounds()
	dx := float64(sb.Dx()) / float64(db.Dx())
	dy := float64(sb.Dy()) / float64(db.Dy())
	for y := range db.Dy() {
		sy := int((float64(y) + 0.5) * dy)
		srow := src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+sy):]
		drow := dst.Pix[dst.PixOffset(db.Min.X, db.Min.Y+y):]
		for x := range db.Dx() {
			sx := int((float64(x) + 0.5) * dx)
			drow[2*x], drow[2*x+1] = srow[2*sx], srow[2*sx+1]
		}
	}
}

func lanczos3(x float64) float64 {
	x = math.Abs(x)
	if x == 0 {
		return 1
	}
	if x >= 3 {
		return 0
	}
	px := math.Pi * x
	return float64(3*math.Sin(px)*math.Sin(px/3)) / float64(px*px)
}

// weights computes, for each output index, the input taps and normalised
// Lanczos-3 weights (widened when shrinking, as imaging does). Taps past
// the edge repeat the edge sample, where imaging drops them and
// renormalises: the two differ near the border, and this one is kept
// because 16-bit datasets generated so far depend on it.
func weights(in, out int) (starts []int, ws [][]float64) {
	scale := float64(in) / float64(out)
	support := 3.0
	if scale > 1 {
		support *= scale
	}
	starts = make([]int, out)
	ws = make([][]float64, out)
	for i := 0; i < out; i++ {
		center := (float64(i)+0.5)*scale - 0.5
		lo := int(math.Ceil(center - support))
		hi := int(math.Floor(center + support))
		var sum float64
		row := make([]float64, 0, hi-lo+1)
		for j := lo; j <= hi; j++ {
			d := float64(j) - center
			if scale > 1 {
				d /= scale
			}
			wt := lanczos3(d)
			row = append(row, wt)
			sum += wt
		}
		for k := range row {
			row[k] /= sum
		}
		starts[i], ws[i] = lo, row
	}
	return starts, ws
}

func clampIdx(i, n int) int {
	if i < 0 {
		return 0
	}
	if i >= n {
		return n - 1
	}
	return i
}

// lanczos16 is a separable Lanczos-3 in float64: a horizontal pass into a
// float buffer, then a vertical pass rounded to 16 bits.
func lanczos16(dst, src *image.Gray16) {
	db, sb := dst.Bounds(), src.Bounds()
	w, h := db.Dx(), db.Dy()
	sw, sh := sb.Dx(), sb.Dy()
	xs, xw := weights(sw, w)
	ys, yw := weights(sh, h)
	tmp := make([]float64, w*sh) // horizontal pass
	for y := 0; y < sh; y++ {
		row := src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+y):]
		for x := 0; x < w; x++ {
			var v float64
			for k, wt := range xw[x] {
				i := 2 * clampIdx(xs[x]+k, sw)
				v += wt * float64(uint16(row[i])<<8|uint16(row[i+1]))
			}
			tmp[y*w+x] = v
		}
	}
	for y := 0; y < h; y++ {
		row := dst.Pix[dst.PixOffset(db.Min.X, db.Min.Y+y):]
		for x := 0; x < w; x++ {
			var v float64
			for k, wt := range yw[y] {
				v += wt * tmp[clampIdx(ys[y]+k, sh)*w+x]
			}
			v = math.Round(math.Min(math.Max(v, 0), 65535))
			u := uint16(v)
			row[2*x], row[2*x+1] = uint8(u>>8), uint8(u)
		}
	}
}
