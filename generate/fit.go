package generate

import (
	"fmt"
	"image"
	"image/draw"
	"math"

	"github.com/augsplit/augsplit/dataset"
)

// How --size treats a source whose aspect ratio is not the target's.
const (
	// FitSquash resizes the whole source to the size, changing its aspect
	// ratio (what --size always did, and the default).
	FitSquash = "squash"
	// FitPad resizes the whole source to fit inside the size, keeping its
	// aspect ratio, centred on black (opaque for RGB).
	FitPad = "pad"
	// FitCrop resizes the source to cover the size, keeping its aspect
	// ratio, and keeps the centre.
	FitCrop = "crop"
)

// fitModes are the values of --fit.
var fitModes = []string{FitSquash, FitPad, FitCrop}

// fitBox says how a source becomes the target size: the part of the source
// kept (all of it unless cropped) is resized to Size and drawn at At on a
// canvas of the target size (pad leaves the rest black).
type fitBox struct {
	Crop image.Rectangle
	Size image.Point
	At   image.Point
}

// fitGeometry is the arithmetic of --fit for an sw x sh source and a
// tw x th target, in integers (rounded halves up) so every machine agrees.
// It knows nothing of pixels, so it can move to internal/resize unchanged.
func fitGeometry(sw, sh, tw, th int, mode string) fitBox {
	full := image.Rect(0, 0, sw, sh)
	target := image.Pt(tw, th)
	wider := sw*th > tw*sh // the source is wider than the target, relatively
	switch mode {
	case FitPad:
		w, h := tw, th
		if wider {
			h = min(max((2*sh*tw+sw)/(2*sw), 1), th)
		} else {
			w = min(max((2*sw*th+sh)/(2*sh), 1), tw)
		}
		return fitBox{Crop: full, Size: image.Pt(w, h), At: image.Pt((tw-w)/2, (th-h)/2)}
	case FitCrop:
		cw, ch := sw, sh
		if wider {
			cw = min(max((2*sh*tw+th)/(2*th), 1), sw)
		} else {
			ch = min(max((2*sw*th+tw)/(2*tw), 1), sh)
		}
		x, y := (sw-cw)/2, (sh-ch)/2
		return fitBox{Crop: image.Rect(x, y, x+cw, y+ch), Size: target}
	}
	return fitBox{Crop: full, Size: target}
}

// fitImage brings img to the size w x h as mode says.
func fitImage(img image.Image, w, h int, mode string) (image.Image, error) {
	b := img.Bounds()
	if b.Dx() == w && b.Dy() == h {
		return img, nil
	}
	box := fitGeometry(b.Dx(), b.Dy(), w, h, mode)
	if box.Crop != image.Rect(0, 0, b.Dx(), b.Dy()) {
		img = dataset.Normalize(img)
		sub, ok := img.(interface {
			SubImage(image.Rectangle) image.Image
		})
		if !ok {
			return nil, fmt.Errorf("crop: %T cannot be cropped", img)
		}
		img = sub.SubImage(box.Crop)
	}
	out, err := dataset.Resize(img, box.Size.X, box.Size.Y)
	if err != nil || box.Size == image.Pt(w, h) {
		return out, err
	}
	var canvas draw.Image
	r := image.Rect(0, 0, w, h)
	switch out.(type) {
	case *image.Gray:
		canvas = image.NewGray(r)
	case *image.Gray16:
		canvas = image.NewGray16(r)
	default:
		c := image.NewNRGBA(r)
		for i := 3; i < len(c.Pix); i += 4 {
			c.Pix[i] = 0xff // opaque black, as the grey canvases
		}
		canvas = c
	}
	draw.Draw(canvas, image.Rectangle{Min: box.At, Max: box.At.Add(box.Size)}, out, out.Bounds().Min, draw.Src)
	return canvas, nil
}

// aspectTolerance is how far (as a ratio) squash may change a source's
// aspect ratio before generate warns.
const aspectTolerance = 0.05

// squashWarning names the sources whose aspect ratio --size squashes by
// more than aspectTolerance, or "" when none.
func squashWarning(tree *dataset.Tree, size Size) string {
	if size.W == 0 {
		return ""
	}
	target := float64(size.W) / float64(size.H)
	n, example := 0, ""
	for _, s := range tree.Sources {
		if s.Width == 0 || s.Height == 0 {
			continue
		}
		aspect := float64(s.Width) / float64(s.Height)
		if math.Abs(target/aspect-1) > aspectTolerance {
			if n == 0 {
				example = fmt.Sprintf("%s is %dx%d", s.Path, s.Width, s.Height)
			}
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("--size %s squashes %d of %d sources to its aspect ratio by more than %.0f%% (%s); --fit pad or --fit crop keeps their aspect ratio",
		size, n, len(tree.Sources), 100*aspectTolerance, example)
}
