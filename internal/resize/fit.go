package resize

import (
	"image"
	"image/draw"
)

// How Fit brings an image of another aspect ratio to a size (generate's
// --fit).
const (
	// Squash scales the whole image to the size, changing its aspect ratio
	// (what generate --size always did, and its default).
	Squash = "squash"
	// Pad scales the whole image to fit inside the size, keeping its aspect
	// ratio, centred on black (opaque for colour).
	Pad = "pad"
	// Crop scales the image to cover the size, keeping its aspect ratio, and
	// keeps the centre.
	Crop = "crop"
)

// FitModes are the values of --fit, the default first.
var FitModes = []string{Squash, Pad, Crop}

// Box says how Fit brings an image to a size: the part Crop of the image
// (all of it unless cropped) is scaled to Size and drawn at At on a canvas
// of the target size (Pad leaves the rest black).
type Box struct {
	Crop image.Rectangle
	Size image.Point
	At   image.Point
}

// FitBox is the arithmetic of Fit for an sw x sh image and a tw x th
// target, in integers (halves rounded up) so every machine agrees; an
// unknown mode squashes.
func FitBox(sw, sh, tw, th int, mode string) Box {
	full := image.Rect(0, 0, sw, sh)
	target := image.Pt(tw, th)
	wider := sw*th > tw*sh // the image is wider than the target, relatively
	switch mode {
	case Pad:
		w, h := tw, th
		if wider {
			h = min(max((2*sh*tw+sw)/(2*sw), 1), th)
		} else {
			w = min(max((2*sw*th+sh)/(2*sh), 1), tw)
		}
		return Box{Crop: full, Size: image.Pt(w, h), At: image.Pt((tw-w)/2, (th-h)/2)}
	case Crop:
		cw, ch := sw, sh
		if wider {
			cw = min(max((2*sh*tw+th)/(2*th), 1), sw)
		} else {
			ch = min(max((2*sw*th+tw)/(2*tw), 1), sh)
		}
		x, y := (sw-cw)/2, (sh-ch)/2
		return Box{Crop: image.Rect(x, y, x+cw, y+ch), Size: target}
	}
	return Box{Crop: full, Size: target}
}

// Fit returns src brought to w x h as mode says (FitBox), scaled with f;
// the result's type is To's. An image already w x h is returned as it is;
// Squash is To itself, so its bytes are those of a plain resize.
func Fit(src image.Image, w, h int, mode string, f Filter) image.Image {
	b := src.Bounds()
	if b.Dx() == w && b.Dy() == h {
		return src
	}
	box := FitBox(b.Dx(), b.Dy(), w, h, mode)
	if box.Crop != image.Rect(0, 0, b.Dx(), b.Dy()) {
		if sub, ok := src.(interface {
			SubImage(image.Rectangle) image.Image
		}); ok {
			src = sub.SubImage(box.Crop.Add(b.Min))
		}
	}
	if box.Size == image.Pt(w, h) {
		return To(src, w, h, f)
	}
	r := image.Rect(0, 0, w, h)
	var canvas draw.Image
	switch src.(type) {
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
	at := image.Rectangle{Min: box.At, Max: box.At.Add(box.Size)}
	Into(canvas.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(at).(draw.Image), src, f)
	return canvas
}
