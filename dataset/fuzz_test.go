package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"math/rand/v2"
	"strings"
	"testing"
)

// Seed corpora live in testdata/fuzz/<target>/ (made by testdataFiles);
// `go test -fuzz FuzzX ./dataset/` explores from them.

func FuzzDecode(f *testing.F) {
	const budget = 1 << 16 // small, so the fuzzer spends its time on headers
	f.Fuzz(func(t *testing.T, data []byte) {
		img, format, err := Decode("fuzz.img", bytes.NewReader(data), budget)
		if err != nil {
			var de *DecodeError
			var tl *TooLargeError
			if !errors.As(err, &de) && !errors.As(err, &tl) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if !strings.Contains(err.Error(), "fuzz.img") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if Sniff(data) != format {
			t.Fatalf("format %q, sniffed %q", format, Sniff(data))
		}
		b := img.Bounds()
		if b.Min != (image.Point{}) || b.Dx() <= 0 || b.Dy() <= 0 || b.Dx()*b.Dy() > budget {
			t.Fatalf("bounds %v outside the budget of %d pixels", b, budget)
		}
		switch img.(type) {
		case *image.Gray, *image.Gray16, *image.NRGBA:
		default:
			t.Fatalf("type %T", img)
		}
	})
}

// FuzzPNG16 is differential: on any input image/png would read as a 16-bit
// colour PNG, decodePNG16 must fail where it fails and otherwise give
// exactly Normalize's bytes.
func FuzzPNG16(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 6 {
		ct := []byte{2, 4, 6}[i%3]
		f.Add(randomPNG16(r, ct, ct == 2 && i > 2).encode(f))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 33 || !isPNG16Colour(data[:33]) {
			return
		}
		if w, h := binary.BigEndian.Uint32(data[16:]), binary.BigEndian.Uint32(data[20:]); uint64(w)*uint64(h) > 1<<16 {
			return // both would allocate what the header claims
		}
		want, werr := reference(data)
		got, gerr := decodePNG16(bytes.NewReader(data))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("image/png says %v, decodePNG16 says %v", werr, gerr)
		}
		if werr == nil && (got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix)) {
			t.Fatalf("pixels differ")
		}
	})
}
