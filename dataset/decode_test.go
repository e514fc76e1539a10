package dataset

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

func grey16(w, h int) *image.Gray16 {
	m := image.NewGray16(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		m.SetGray16(i%w, i/w, color.Gray16{Y: uint16(i*4099 + 257)})
	}
	return m
}

func rgb(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		m.SetNRGBA(i%w, i/w, color.NRGBA{R: uint8(i * 10), G: uint8(200 - i), B: uint8(i * 3), A: 255})
	}
	return m
}

func TestDecodeFormats(t *testing.T) {
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	g8, g16, col := grey(5, 4, 1), grey16(5, 4), rgb(5, 4)
	greyPal := image.NewPaletted(image.Rect(0, 0, 5, 4), color.Palette{color.Gray{0}, color.Gray{128}, color.Gray{255}})
	greyPal.Pix[3] = 1
	colPal := image.NewPaletted(image.Rect(0, 0, 5, 4), color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})

	tests := []struct {
		name       string
		data       []byte
		wantFormat string
		wantType   string
		want       image.Image // exact pixels expected; nil for lossy formats
	}{
		{"png grey8", filetest.PNG(t, g8), FormatPNG, "*image.Gray", g8},
		{"png grey16", filetest.PNG(t, g16), FormatPNG, "*image.Gray16", g16},
		{"png rgb", filetest.PNG(t, col), FormatPNG, "*image.NRGBA", col},
		{"png grey palette", filetest.PNG(t, greyPal), FormatPNG, "*image.Gray", nil},
		{"gif colour palette", enc(func(b *bytes.Buffer) error { return gif.Encode(b, colPal, nil) }), FormatGIF, "*image.NRGBA", nil},
		{"gif grey palette", enc(func(b *bytes.Buffer) error { return gif.Encode(b, greyPal, nil) }), FormatGIF, "*image.Gray", nil},
		{"jpeg grey", enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, g8, nil) }), FormatJPEG, "*image.Gray", nil},
		{"jpeg colour", enc(func(b *bytes.Buffer) error { return jpeg.Encode(b, col, nil) }), FormatJPEG, "*image.NRGBA", nil},
		{"bmp rgb", enc(func(b *bytes.Buffer) error { return bmp.Encode(b, col) }), FormatBMP, "*image.NRGBA", col},
		{"tiff grey8", enc(func(b *bytes.Buffer) error { return tiff.Encode(b, g8, nil) }), FormatTIFF, "*image.Gray", g8},
		{"tiff grey16", enc(func(b *bytes.Buffer) error { return tiff.Encode(b, g16, nil) }), FormatTIFF, "*image.Gray16", g16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The extension is wrong on purpose: the format comes from the bytes.
			img, format, err := Decode("x.png", bytes.NewReader(tc.data), 0)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if format != tc.wantFormat {
				t.Errorf("format = %q, want %q", format, tc.wantFormat)
			}
			if got := typeName(img); got != tc.wantType {
				t.Errorf("type = %s, want %s", got, tc.wantType)
			}
			if got, want := img.Bounds(), image.Rect(0, 0, 5, 4); got != want {
				t.Errorf("bounds = %v, want %v", got, want)
			}
			if tc.want != nil && !samePixels(img, tc.want) {
				t.Errorf("pixels differ from the encoded image")
			}
		})
	}
}

func typeName(img image.Image) string {
	switch img.(type) {
	case *image.Gray:
		return "*image.Gray"
	case *image.Gray16:
		return "*image.Gray16"
	case *image.NRGBA:
		return "*image.NRGBA"
	}
	return "other"
}

// samePixels compares two images at 16-bit RGBA precision, each from its
// own bounds' origin.
func samePixels(a, b image.Image) bool {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		return false
	}
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, a1 := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, a2 := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

func TestDecodeBrokenFiles(t *testing.T) {
	tests := []struct {
		file     string
		wantType string // "decode" or "too large"
		wantMsg  []string
	}{
		{"zero.png", "decode", []string{"zero.png", "empty", "fix or remove"}},
		{"text.png", "decode", []string{"text.png", "not a PNG", "fix or remove"}},
		{"truncated.png", "decode", []string{"truncated.png", "truncated", "fix or remove"}},
		{"bitflip.png", "decode", []string{"bitflip.png", "checksum", "fix or remove"}},
		{"huge.png", "too large", []string{"huge.png", "100000x100000", "downscale"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, _, err := Decode(tc.file, bytes.NewReader(readTestdata(t, tc.file)), DefaultMaxPixels)
			var de *DecodeError
			var tl *TooLargeError
			switch tc.wantType {
			case "decode":
				if !errors.As(err, &de) || de.Path != tc.file {
					t.Fatalf("err = %v, want *DecodeError for %s", err, tc.file)
				}
			case "too large":
				if !errors.As(err, &tl) || tl.Width != 100000 || tl.Height != 100000 {
					t.Fatalf("err = %v, want *TooLargeError 100000x100000", err)
				}
			}
			for _, w := range tc.wantMsg {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			// Decode serves commands with different flags (train has
			// neither): its errors advise none.
			if strings.Contains(err.Error(), "--") {
				t.Errorf("error %q advises a flag", err)
			}
		})
	}
}

func TestCheckSize(t *testing.T) {
	tests := []struct {
		name      string
		w, h, max int
		want      string // "", "decode", "too large"
	}{
		{"fits", 100, 100, 10000, ""},
		{"exactly the limit", 100, 100, 10000, ""},
		{"one over", 101, 100, 10000, "too large"},
		{"default limit", 8192, 8192, 0, ""},
		{"zero width", 0, 10, 100, "decode"},
		{"zero by zero", 0, 0, 100, "decode"},
		{"negative", -5, 10, 100, "decode"},
		{"product overflows int", math.MaxInt / 2, 4, math.MaxInt, "too large"},
		{"one absurd side under a raised limit", 1 << 30, 1, math.MaxInt, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSize("f.png", tc.w, tc.h, tc.max)
			var de *DecodeError
			var tl *TooLargeError
			got := ""
			switch {
			case errors.As(err, &de):
				got = "decode"
			case errors.As(err, &tl):
				got = "too large"
			case err != nil:
				got = "other: " + err.Error()
			}
			if got != tc.want {
				t.Errorf("CheckSize(%d, %d, %d) = %q (%v), want %q", tc.w, tc.h, tc.max, got, err, tc.want)
			}
		})
	}
}

func TestDecodeMaxPixels(t *testing.T) {
	data := filetest.PNG(t, grey(10, 10, 1))
	if _, _, err := Decode("a.png", bytes.NewReader(data), 100); err != nil {
		t.Errorf("10x10 under a limit of 100: %v", err)
	}
	var tl *TooLargeError
	if _, _, err := Decode("a.png", bytes.NewReader(data), 99); !errors.As(err, &tl) {
		t.Errorf("10x10 under a limit of 99: err = %v, want *TooLargeError", err)
	}
}

func TestNormalizeBoundsNotAtOrigin(t *testing.T) {
	g8 := grey(6, 5, 3)
	g16 := grey16(6, 5)
	col := rgb(6, 5)
	r := image.Rect(2, 1, 5, 4)
	tests := []struct {
		name string
		sub  image.Image
	}{
		{"gray", g8.SubImage(r)},
		{"gray16", g16.SubImage(r)},
		{"nrgba", col.SubImage(r)},
		{"rgba", func() image.Image {
			m := image.NewRGBA(image.Rect(-3, -3, 0, 0))
			m.Set(-1, -2, color.RGBA{10, 20, 30, 255})
			return m
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Normalize(tc.sub)
			if got.Bounds().Min != (image.Point{}) || got.Bounds().Dx() != 3 || got.Bounds().Dy() != 3 {
				t.Fatalf("bounds = %v, want (0,0)-(3,3)", got.Bounds())
			}
			if !samePixels(got, tc.sub) {
				t.Errorf("pixels changed")
			}
		})
	}
}

func TestConvert(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 1, 1))
	g.Pix[0] = 77
	red := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	red.Pix = []uint8{255, 0, 0, 255}

	if got, err := Convert(g, ColorRGB); err != nil {
		t.Fatal(err)
	} else if m, ok := got.(*image.NRGBA); !ok || !bytes.Equal(m.Pix, []uint8{77, 77, 77, 255}) {
		t.Errorf("grey -> rgb = %#v, want NRGBA 77,77,77,255", got)
	}
	if got, err := Convert(red, ColorGray); err != nil {
		t.Fatal(err)
	} else if m, ok := got.(*image.Gray); !ok || m.Pix[0] != 76 { // 0.299*255 rounded
		t.Errorf("red -> gray = %#v, want Gray 76", got)
	}
	g16 := grey16(2, 2)
	if got, err := Convert(g16, ColorGray); err != nil || got != image.Image(g16) {
		t.Errorf("gray16 -> gray = %T, %v; want the same *image.Gray16", got, err)
	}
	if _, err := Convert(g, "cmyk"); err == nil || !strings.Contains(err.Error(), "cmyk") {
		t.Errorf("unknown colour: err = %v, want an error naming it", err)
	}
}

func TestResize(t *testing.T) {
	flat16 := image.NewGray16(image.Rect(0, 0, 8, 6))
	for i := range flat16.Pix {
		flat16.Pix[i] = 0x9c // every sample 0x9c9c
	}
	tests := []struct {
		name         string
		img          image.Image
		w, h         int
		wantW, wantH int
		wantType     string
	}{
		{"gray down", grey(8, 6, 1), 4, 3, 4, 3, "*image.Gray"},
		{"gray up keeps aspect", grey(8, 6, 1), 16, 0, 16, 12, "*image.Gray"},
		{"gray16", flat16, 5, 0, 5, 4, "*image.Gray16"},
		{"rgb", rgb(8, 6), 3, 3, 3, 3, "*image.NRGBA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resize(tc.img, tc.w, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if b := got.Bounds(); b != image.Rect(0, 0, tc.wantW, tc.wantH) {
				t.Errorf("bounds = %v, want %dx%d", b, tc.wantW, tc.wantH)
			}
			if typeName(got) != tc.wantType {
				t.Errorf("type = %T, want %s", got, tc.wantType)
			}
		})
	}
	// A flat 16-bit image stays flat at full precision: the low byte survives.
	got, _ := Resize(flat16, 5, 0)
	for i, v := range got.(*image.Gray16).Pix {
		if v != 0x9c {
			t.Fatalf("gray16 resize: byte %d = %#x, want 0x9c", i, v)
		}
	}
	for _, bad := range [][2]int{{0, 0}, {-1, 4}, {4, -1}} {
		if _, err := Resize(grey(4, 4, 1), bad[0], bad[1]); err == nil {
			t.Errorf("Resize to %v: no error", bad)
		}
	}
}

// A decoder panic on hostile input must come back as a *DecodeError.
func TestDecodeRecoversPanic(t *testing.T) {
	saved := codecs[FormatPNG]
	defer func() { codecs[FormatPNG] = saved }()
	codecs[FormatPNG] = codec{config: png.DecodeConfig, decode: func(io.Reader) (image.Image, error) {
		panic("boom")
	}}
	_, _, err := Decode("p.png", bytes.NewReader(filetest.PNG(t, grey(2, 2, 1))), 0)
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want *DecodeError mentioning the panic", err)
	}
}
