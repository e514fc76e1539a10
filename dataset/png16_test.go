package dataset

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// rawPNG writes a non-interlaced PNG by hand, so that tests reach what
// image/png's encoder never writes: grey+alpha at 16 bits, tRNS on true
// colour, every filter type, extra chunks. rows are unfiltered scanlines
// (no filter byte); row y is filtered with filters[y%len(filters)].
type rawPNG struct {
	w, h      int
	depth, ct byte
	bpp       int
	rows      [][]byte
	filters   []byte
	before    [][2]string // chunks (type, data) between IHDR and IDAT
	idatSplit int         // split the zlib stream into IDAT chunks of this size; 0: one
}

func (p rawPNG) encode(t testing.TB) []byte {
	t.Helper()
	var raw bytes.Buffer
	prev := make([]byte, len(p.rows[0]))
	for y, row := range p.rows {
		ft := p.filters[y%len(p.filters)]
		out := make([]byte, len(row))
		for i := range row {
			var a, c byte
			if i >= p.bpp {
				a, c = row[i-p.bpp], prev[i-p.bpp]
			}
			b := prev[i]
			switch ft {
			case 0:
				out[i] = row[i]
			case 1:
				out[i] = row[i] - a
			case 2:
				out[i] = row[i] - b
			case 3:
				out[i] = row[i] - byte((int(a)+int(b))/2)
			case 4:
				out[i] = row[i] - paeth(a, b, c)
			}
		}
		raw.WriteByte(ft)
		raw.Write(out)
		prev = row
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()

	b := []byte("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(p.w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(p.h))
	ihdr[8], ihdr[9] = p.depth, p.ct
	b = append(b, pngChunk("IHDR", ihdr[:])...)
	for _, c := range p.before {
		b = append(b, pngChunk(c[0], []byte(c[1]))...)
	}
	zs := z.Bytes()
	for len(zs) > 0 {
		n := len(zs)
		if p.idatSplit > 0 {
			n = min(n, p.idatSplit)
		}
		b = append(b, pngChunk("IDAT", zs[:n])...)
		zs = zs[n:]
	}
	return append(b, pngChunk("IEND", nil)...)
}

// randomPNG16 makes a random 16-bit colour PNG of colour type ct: samples
// favour 0, 0xffff and the tRNS colour so every branch of the alpha maths
// is taken.
func randomPNG16(r *rand.Rand, ct byte, trns bool) rawPNG {
	bpp := map[byte]int{2: 6, 4: 4, 6: 8}[ct]
	p := rawPNG{w: 1 + r.IntN(9), h: 1 + r.IntN(7), depth: 16, ct: ct, bpp: bpp}
	for range 1 + r.IntN(5) {
		p.filters = append(p.filters, byte(r.IntN(5)))
	}
	var tr []byte
	if trns {
		tr = []byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc}
		p.before = append(p.before, [2]string{"tRNS", string(tr)})
	}
	if r.IntN(2) == 0 {
		p.before = append([][2]string{{"tEXt", "Comment\x00hello"}}, p.before...)
	}
	p.idatSplit = r.IntN(3) * 7
	for range p.h {
		row := make([]byte, p.w*bpp)
		for x := 0; x < p.w; x++ {
			px := row[x*bpp : (x+1)*bpp]
			switch k := r.IntN(6); {
			case k == 0:
				clear(px)
			case k == 1:
				for i := range px {
					px[i] = 0xff
				}
			case k == 2 && trns:
				copy(px, tr)
			default:
				for i := range px {
					px[i] = byte(r.Uint32())
				}
			}
		}
		p.rows = append(p.rows, row)
	}
	return p
}

func reference(data []byte) (*image.NRGBA, error) {
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return Normalize(m).(*image.NRGBA), nil
}

// decodePNG16 gives exactly the bytes Normalize(png.Decode(...)) gives,
// and fails where it fails.
func TestPNG16MatchesImagePNG(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 600 {
		ct := []byte{2, 4, 6}[i%3]
		trns := ct == 2 && r.IntN(2) == 0
		data := randomPNG16(r, ct, trns).encode(t)
		if !isPNG16Colour(data[:33]) {
			t.Fatalf("case %d: not recognised as 16-bit colour", i)
		}
		want, err := reference(data)
		if err != nil {
			t.Fatalf("case %d: image/png: %v", i, err)
		}
		got, err := decodePNG16(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("case %d (ct %d, tRNS %v): %v", i, ct, trns, err)
		}
		if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("case %d (ct %d, tRNS %v): pixels differ\n got %v\nwant %v", i, ct, trns, got.Pix, want.Pix)
		}
		// Damaged copies: both fail, or both give the same pixels.
		for range 4 {
			bad := append([]byte(nil), data...)
			switch r.IntN(3) {
			case 0:
				bad = bad[:r.IntN(len(bad))]
			case 1:
				bad[8+r.IntN(len(bad)-8)] ^= byte(1 + r.IntN(255))
			default:
				bad = append(bad[:len(bad)-12], bad[len(bad)-12+r.IntN(12):]...)
			}
			if len(bad) < 33 || !isPNG16Colour(bad[:33]) {
				continue
			}
			want, werr := reference(bad)
			got, gerr := decodePNG16(bytes.NewReader(bad))
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("case %d damaged: image/png says %v, decodePNG16 says %v", i, werr, gerr)
			}
			if werr == nil && !bytes.Equal(got.Pix, want.Pix) {
				t.Fatalf("case %d damaged: pixels differ", i)
			}
		}
	}
}

// nrgba8 is color.NRGBAModel on color.NRGBA64, on every alpha and a
// spread of colour values.
func TestNRGBA8MatchesColorModel(t *testing.T) {
	for a := 0; a <= 0xffff; a += 13 {
		for _, v := range []uint16{0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xfffe, 0xffff, uint16(a), uint16(a * 31)} {
			img := image.NewNRGBA64(image.Rect(0, 0, 1, 1))
			img.Pix = []byte{byte(v >> 8), byte(v), byte(v >> 7), byte(v), 0x12, 0x34, byte(a >> 8), byte(a)}
			want := Normalize(img).(*image.NRGBA).Pix
			r, g, b, al := nrgba8(v, v>>7<<8|v&0xff, 0x1234, uint16(a))
			if got := []byte{r, g, b, al}; !bytes.Equal(got, want) {
				t.Fatalf("a=%#x v=%#x: %v, want %v", a, v, got, want)
			}
		}
	}
}
