package train

import (
	"bytes"
	"image"
	"image/color"
	"testing"
)

// TestAppendPixels checks the fast paths against the generic conversion
// (through image.At) for grey images whose bounds do not start at 0.
func TestAppendPixels(t *testing.T) {
	r := image.Rect(3, 2, 8, 6)
	g8 := image.NewGray(r)
	g16 := image.NewGray16(r)
	rgb := image.NewNRGBA(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := uint8(x*37 + y*11)
			g8.SetGray(x, y, color.Gray{Y: v})
			g16.SetGray16(x, y, color.Gray16{Y: uint16(v)<<8 | 0x7f})
			rgb.SetNRGBA(x, y, color.NRGBA{R: v, G: v, B: v, A: 255})
		}
	}
	want := AppendPixels(nil, rgb, 1, 4, 5) // generic path
	for name, img := range map[string]image.Image{"gray": g8, "gray16": g16} {
		got := AppendPixels([]uint8{9}, img, 1, 4, 5)
		if got[0] != 9 || !bytes.Equal(got[1:], want) {
			t.Errorf("%s: got %v, want %v after the existing byte", name, got, want)
		}
	}
	three := AppendPixels(nil, g8, 3, 4, 5)
	for p := range 3 {
		if !bytes.Equal(three[p*20:(p+1)*20], want) {
			t.Errorf("grey as 3 channels: plane %d = %v, want %v", p, three[p*20:(p+1)*20], want)
		}
	}
}
