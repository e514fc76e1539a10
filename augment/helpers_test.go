package augment

import (
	"image"
	"slices"
)

// synthetic is the fixed test picture: a gradient, a bright disc off centre
// and a dark bar, so that every transform visibly changes something.
func synthetic(n int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, n, n))
	cx, cy, r := float64(n)*0.4, float64(n)*0.35, float64(n)*0.22
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			v := 40 + 120*x/n + 40*y/n
			dx, dy := float64(x)-cx, float64(y)-cy
			if dx*dx+dy*dy < r*r {
				v = 230
			}
			if x > n*3/4 && y > n/5 && y < n*4/5 {
				v = 15
			}
			img.Pix[y*img.Stride+x] = uint8(v)
		}
	}
	return img
}

// builtinNames lists the built-in transforms, sorted (Names also lists the
// ones tests register).
func builtinNames() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
