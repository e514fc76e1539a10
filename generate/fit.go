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
