package resize

import (
	"bytes"
	"image"
	"image/color"
	"testing"
)

func TestFitGeometry(t *testing.T) {
	for _, tc := range []struct {
		sw, sh, tw, th int
		mode           string
		want           Box
	}{
		{451, 300, 96, 96, Squash, Box{image.Rect(0, 0, 451, 300), image.Pt(96, 96), image.Pt(0, 0)}},
		// 451x300 fits 96 wide as 96x64 (63.9 rounded), centred.
		{451, 300, 96, 96, Pad, Box{image.Rect(0, 0, 451, 300), image.Pt(96, 64), image.Pt(0, 16)}},
		{300, 451, 96, 96, Pad, Box{image.Rect(0, 0, 300, 451), image.Pt(64, 96), image.Pt(16, 0)}},
		// Crop keeps the centre 300x300 of 451x300.
		{451, 300, 96, 96, Crop, Box{image.Rect(75, 0, 375, 300), image.Pt(96, 96), image.Pt(0, 0)}},
		{300, 451, 64, 32, Crop, Box{image.Rect(0, 150, 300, 300), image.Pt(64, 32), image.Pt(0, 0)}},
		// Same aspect: nothing to pad or crop.
		{200, 100, 64, 32, Pad, Box{image.Rect(0, 0, 200, 100), image.Pt(64, 32), image.Pt(0, 0)}},
		{200, 100, 64, 32, Crop, Box{image.Rect(0, 0, 200, 100), image.Pt(64, 32), image.Pt(0, 0)}},
		// A sliver still gets a pixel.
		{1000, 1, 10, 10, Pad, Box{image.Rect(0, 0, 1000, 1), image.Pt(10, 1), image.Pt(0, 4)}},
	} {
		if got := FitBox(tc.sw, tc.sh, tc.tw, tc.th, tc.mode); got != tc.want {
			t.Errorf("%dx%d to %dx%d %s: got %+v, want %+v", tc.sw, tc.sh, tc.tw, tc.th, tc.mode, got, tc.want)
		}
	}
}

// TestFitPixels: Squash is To; Pad centres the scaled image on black
// (opaque for colour); Crop keeps the centre. Sources may have any bounds.
func TestFitPixels(t *testing.T) {
	src := image.NewGray(image.Rect(3, 5, 3+40, 5+20))
	for y := 5; y < 25; y++ {
		for x := 3; x < 43; x++ {
			v := uint8(100)
			if x < 13 { // the left quarter is bright
				v = 250
			}
			src.SetGray(x, y, color.Gray{Y: v})
		}
	}
	if got, want := Fit(src, 16, 16, Squash, Lanczos).(*image.Gray), To(src, 16, 16, Lanczos).(*image.Gray); !bytes.Equal(got.Pix, want.Pix) {
		t.Error("Squash differs from To")
	}
	pad := Fit(src, 16, 16, Pad, Nearest).(*image.Gray)
	// 40x20 in 16x16 is 16x8 from row 4.
	for _, tc := range []struct {
		x, y int
		want uint8
	}{{8, 0, 0}, {8, 3, 0}, {8, 4, 100}, {0, 6, 250}, {8, 11, 100}, {8, 12, 0}, {8, 15, 0}} {
		if got := pad.GrayAt(tc.x, tc.y).Y; got != tc.want {
			t.Errorf("pad (%d,%d) = %d, want %d", tc.x, tc.y, got, tc.want)
		}
	}
	crop := Fit(src, 16, 16, Crop, Nearest).(*image.Gray)
	// The centre 20x20 (x 13..33 of the source) has no bright quarter.
	for x := range 16 {
		if v := crop.GrayAt(x, 8).Y; v != 100 {
			t.Fatalf("crop column %d = %d, want 100 (the centre only)", x, v)
		}
	}
	rgb := image.NewNRGBA(image.Rect(0, 0, 40, 20))
	if c := Fit(rgb, 16, 16, Pad, Lanczos).(*image.NRGBA).NRGBAAt(0, 0); c != (color.NRGBA{0, 0, 0, 255}) {
		t.Errorf("colour padding %v, want opaque black", c)
	}
	g16 := image.NewGray16(image.Rect(0, 0, 20, 40))
	for i := range g16.Pix {
		g16.Pix[i] = 0xff
	}
	p16 := Fit(g16, 16, 16, Pad, Lanczos).(*image.Gray16)
	if p16.Gray16At(0, 8).Y != 0 || p16.Gray16At(8, 8).Y != 0xffff {
		t.Errorf("16-bit pad: edge %d, centre %d", p16.Gray16At(0, 8).Y, p16.Gray16At(8, 8).Y)
	}
	if same := Fit(src, 40, 20, Crop, Lanczos); same != image.Image(src) {
		t.Error("an image already at the size was not returned as it is")
	}
}
