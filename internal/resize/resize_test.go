package resize

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/draw"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/disintegration/imaging"
)

var filters = []Filter{Lanczos, Bilinear, Nearest}

// noise returns a seeded image of the given kind ("gray", "gray16", "rgb")
// with bounds r.
func noise(kind string, r image.Rectangle, seed uint64) draw.Image {
	rng := rand.New(rand.NewPCG(seed, 3))
	var img draw.Image
	var pix []uint8
	switch kind {
	case "gray":
		m := image.NewGray(r)
		img, pix = m, m.Pix
	case "gray16":
		m := image.NewGray16(r)
		img, pix = m, m.Pix
	default:
		m := image.NewNRGBA(r)
		img, pix = m, m.Pix
	}
	for i := range pix {
		pix[i] = uint8(rng.Uint32())
	}
	if m, ok := img.(*image.NRGBA); ok {
		for i := 3; i < len(m.Pix); i += 4 {
			m.Pix[i] = 255
		}
	}
	return img
}

// pix returns the Pix slice of any of the image package's image types.
func pix(img image.Image) []uint8 {
	return reflect.ValueOf(img).Elem().FieldByName("Pix").Bytes()
}

// moved returns a copy of img with its bounds starting at (dx, dy).
func moved(img draw.Image, dx, dy int) draw.Image {
	b := img.Bounds().Add(image.Pt(dx, dy))
	var out draw.Image
	switch img.(type) {
	case *image.Gray:
		out = image.NewGray(b)
	case *image.Gray16:
		out = image.NewGray16(b)
	default:
		out = image.NewNRGBA(b)
	}
	draw.Draw(out, b, img, img.Bounds().Min, draw.Src)
	return out
}

// TestPinnedBytes pins what each filter makes of seeded 8-bit, 16-bit and
// RGB images, shrinking and enlarging. The hashes were taken from the code
// this package replaced (dataset.Resize's Lanczos, x/image/draw's BiLinear,
// imaging's nearest neighbour; 16-bit nearest is new): generated datasets,
// training inputs and previews must not change by a byte.
func TestPinnedBytes(t *testing.T) {
	want := map[string]string{
		"gray/lanczos":    "f5be3d5bce19946dc92b5fe767c2a5d1c618ab8308410fa62715d61ee45e66a1",
		"gray/bilinear":   "9e5ba8bdfbb6225ff7609667e57448cd635364d34c20c3cbc59f09a6af1dcf0d",
		"gray/nearest":    "81f17f09f03032d00ab48d9e76ec0737addf425bbf8a1aa356091c5edae96b55",
		"gray16/lanczos":  "fa4adcb623dab99046aebf2b4b402fbf2c89c5c3e665330595dc516f458f572f",
		"gray16/bilinear": "e381b6f55d58b1cc1f207c0f3309d5726823c4cd12a031699c2e29733e235be7",
		"gray16/nearest":  "60df8d6ac07d682d3ef4c8c950d9dc396afe422d4e96ab1c126e79c73d16fe2c",
		"rgb/lanczos":     "6082607c33497e29c01462da82349b941a74119ecb5d2440a20dc730c94cd2c7",
		"rgb/bilinear":    "902a2abc7b4d1ed8c00f7716c6b7c69fa03896ad18e54c99d0cd099c9e7574f2",
		"rgb/nearest":     "8bbc9cd4fb70548e9bbd6b4e0d3e5a08fc6733cb6896f3fc05dcc68529210dab",
	}
	for _, kind := range []string{"gray", "gray16", "rgb"} {
		for _, f := range filters {
			h := sha256.New()
			for i, size := range [][2]int{{13, 9}, {40, 57}, {32, 32}, {1, 5}} {
				src := noise(kind, image.Rect(0, 0, 32, 24), uint64(i))
				h.Write(pix(To(src, size[0], size[1], f)))
			}
			name := kind + "/" + f.String()
			if got := hex.EncodeToString(h.Sum(nil)); got != want[name] {
				t.Errorf("%s: sha256 %s, want %s", name, got, want[name])
			}
		}
	}
}

// TestBoundsAnywhere: neither the source's nor the destination's bounds
// need to start at (0,0); the pixels are the same as at the origin.
func TestBoundsAnywhere(t *testing.T) {
	for _, kind := range []string{"gray", "gray16", "rgb"} {
		for _, f := range filters {
			t.Run(kind+"/"+f.String(), func(t *testing.T) {
				src := noise(kind, image.Rect(0, 0, 21, 17), 7)
				want := To(src, 9, 12, f)
				off := moved(src, -5, 13)
				got := To(off, 9, 12, f)
				if got.Bounds() != image.Rect(0, 0, 9, 12) {
					t.Errorf("bounds %v, want (0,0)-(9,12)", got.Bounds())
				}
				if !bytes.Equal(pix(got), pix(want)) {
					t.Errorf("source at (-5,13): pixels differ from the source at (0,0)")
				}
				// A sub-image starts inside its parent's pixels.
				big := noise(kind, image.Rect(0, 0, 30, 30), 8)
				draw.Draw(big, image.Rect(4, 6, 25, 23), src, image.Point{}, draw.Src)
				sub := big.(interface {
					SubImage(image.Rectangle) image.Image
				}).SubImage(image.Rect(4, 6, 25, 23))
				if got := To(sub, 9, 12, f); !bytes.Equal(pix(got), pix(want)) {
					t.Errorf("sub-image at (4,6): pixels differ from the whole image")
				}
				// Into a destination at (3,-2) writes only its bounds.
				dst := moved(noise(kind, image.Rect(0, 0, 9, 12), 9), 3, -2)
				Into(dst, off, f)
				if !bytes.Equal(pix(moved(dst, -3, 2)), pix(want)) {
					t.Errorf("destination at (3,-2): pixels differ")
				}
			})
		}
	}
}

// TestKinds: grey stays grey at its depth, anything else becomes NRGBA.
func TestKinds(t *testing.T) {
	cmyk := image.NewCMYK(image.Rect(0, 0, 6, 6))
	tests := []struct {
		src  image.Image
		want string
	}{
		{noise("gray", image.Rect(0, 0, 6, 6), 1), "*image.Gray"},
		{noise("gray16", image.Rect(0, 0, 6, 6), 1), "*image.Gray16"},
		{noise("rgb", image.Rect(0, 0, 6, 6), 1), "*image.NRGBA"},
		{cmyk, "*image.NRGBA"},
	}
	for _, tt := range tests {
		for _, f := range filters {
			if got := fmt.Sprintf("%T", To(tt.src, 3, 4, f)); got != tt.want {
				t.Errorf("%T with %v: got %s, want %s", tt.src, f, got, tt.want)
			}
		}
	}
}

// TestGray16KeepsPrecision: 16-bit grey is resampled at 16 bits by every
// filter: a flat image stays flat to the last bit (imaging's 8-bit path
// would lose the low byte), and a fine ramp keeps distinct low bytes.
func TestGray16KeepsPrecision(t *testing.T) {
	flat := image.NewGray16(image.Rect(2, 3, 10, 9))
	for i := 0; i < len(flat.Pix); i += 2 {
		flat.Pix[i], flat.Pix[i+1] = 0x9c, 0x3a
	}
	ramp := image.NewGray16(image.Rect(0, 0, 64, 1))
	for x := range 64 {
		ramp.Pix[2*x], ramp.Pix[2*x+1] = 0x80, uint8(4*x)
	}
	for _, f := range filters {
		for _, size := range [][2]int{{5, 4}, {17, 13}} {
			got := To(flat, size[0], size[1], f).(*image.Gray16)
			for i := 0; i < len(got.Pix); i += 2 {
				if got.Pix[i] != 0x9c || got.Pix[i+1] != 0x3a {
					t.Fatalf("%v to %v: sample %d = %#02x%02x, want 0x9c3a", f, size, i/2, got.Pix[i], got.Pix[i+1])
				}
			}
		}
		got := To(ramp, 16, 1, f).(*image.Gray16)
		lows := map[uint8]bool{}
		for i := 0; i < len(got.Pix); i += 2 {
			lows[got.Pix[i+1]] = true
		}
		if len(lows) < 8 {
			t.Errorf("%v: a 16-bit ramp kept only %d distinct low bytes", f, len(lows))
		}
	}
}

// TestNearest16PicksImagingsPixels: 16-bit nearest neighbour chooses the
// same source pixels as imaging does at 8 bits.
func TestNearest16PicksImagingsPixels(t *testing.T) {
	src8 := noise("gray", image.Rect(0, 0, 23, 19), 4).(*image.Gray)
	src16 := image.NewGray16(src8.Bounds())
	for i, v := range src8.Pix {
		src16.Pix[2*i], src16.Pix[2*i+1] = v, v
	}
	for _, size := range [][2]int{{7, 5}, {50, 41}, {23, 3}, {1, 1}} {
		want := imaging.Resize(src8, size[0], size[1], imaging.NearestNeighbor)
		got := To(src16, size[0], size[1], Nearest).(*image.Gray16)
		for i := range size[0] * size[1] {
			if got.Pix[2*i] != want.Pix[4*i] {
				t.Fatalf("to %v: pixel %d = %d, imaging picks %d", size, i, got.Pix[2*i], want.Pix[4*i])
			}
		}
	}
}

// TestEmpty: an empty source or target gives an empty image, not a panic.
func TestEmpty(t *testing.T) {
	for _, f := range filters {
		for _, kind := range []string{"gray", "gray16", "rgb"} {
			if got := To(noise(kind, image.Rect(0, 0, 4, 4), 1), 0, 3, f); !got.Bounds().Empty() {
				t.Errorf("%s %v to 0x3: bounds %v", kind, f, got.Bounds())
			}
			if got := To(noise(kind, image.Rectangle{}, 1), 3, 3, f); got.Bounds() != image.Rect(0, 0, 3, 3) {
				t.Errorf("%s %v from empty: bounds %v", kind, f, got.Bounds())
			}
		}
	}
}

func BenchmarkLanczosGray16_512To128(b *testing.B) {
	src := noise("gray16", image.Rect(0, 0, 512, 512), 1)
	b.ReportAllocs()
	for b.Loop() {
		To(src, 128, 128, Lanczos)
	}
}
