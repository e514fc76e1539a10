package generate

import (
	"fmt"
	"image"
	"math"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/resize"
)

// How --size treats a source whose aspect ratio is not the target's (see
// internal/resize.Fit).
const (
	// FitSquash resizes the whole source to the size, changing its aspect
	// ratio (what --size always did, and the default).
	FitSquash = resize.Squash
	// FitPad resizes the whole source to fit inside the size, keeping its
	// aspect ratio, centred on black (opaque for RGB).
	FitPad = resize.Pad
	// FitCrop resizes the source to cover the size, keeping its aspect
	// ratio, and keeps the centre.
	FitCrop = resize.Crop
)

// fitModes are the values of --fit.
var fitModes = resize.FitModes

// fitImage brings img to the size w x h (ParseSize bounds it) as mode
// says, with the Lanczos filter of --size. Squash is dataset.Resize's
// resize, byte for byte.
func fitImage(img image.Image, w, h int, mode string) image.Image {
	return resize.Fit(dataset.Normalize(img), w, h, mode, resize.Lanczos)
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

// Depth16To8 is how --bit-depth 8 maps a 16-bit grey value v to 8 bits:
// the nearest 8-bit value, whose 16-bit form is v8*257 (the scaling image
// decoders use the other way), so 0 stays 0, 65535 becomes 255 and an
// 8-bit value widened to 16 bits comes back exactly. Recorded in the card.
const Depth16To8 = "round(v/257)"

// to8Bit maps a 16-bit grey image to 8 bits by Depth16To8; other images
// are returned as they are (they are 8-bit already).
func to8Bit(img image.Image) image.Image {
	g, ok := img.(*image.Gray16)
	if !ok {
		return img
	}
	b := g.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		src := g.Pix[(y+b.Min.Y-g.Rect.Min.Y)*g.Stride+(b.Min.X-g.Rect.Min.X)*2:]
		dst := out.Pix[y*out.Stride : y*out.Stride+b.Dx()]
		for x := range dst {
			v := uint32(src[2*x])<<8 | uint32(src[2*x+1])
			dst[x] = uint8((v + 128) / 257)
		}
	}
	return out
}
