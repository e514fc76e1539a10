package pngenc

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"os/exec"
	"testing"
)

var fastLevels = []Level{Default, Speed, None}

// testImages are the fast-path cases: every supported type, bounds that do
// not start at (0,0) (with a stride wider than the row), 1x1 and odd sizes.
func testImages() []struct {
	name string
	img  image.Image
} {
	g := cellImage("round", 37, 23, 4, 1)
	sub := func(img image.Image) image.Image {
		return img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(3, 5, 30, 34))
	}
	one := image.NewGray(image.Rect(0, 0, 1, 1))
	one.Pix[0] = 200
	tall := image.NewGray(image.Rect(-2, -7, -1, 6))
	randomPix(tall.Pix, 3)
	wide := image.NewNRGBA(image.Rect(0, 0, 9, 1))
	randomPix(wide.Pix, 4)
	rgba := image.NewRGBA(image.Rect(0, 0, 5, 4))
	randomPix(rgba.Pix, 5)
	for i := 3; i < len(rgba.Pix); i += 4 {
		rgba.Pix[i] = 255
	}
	offset := image.NewGray16(image.Rect(10, 20, 17, 25))
	randomPix(offset.Pix, 6)
	return []struct {
		name string
		img  image.Image
	}{
		{"gray", g},
		{"gray16", toGray16(g)},
		{"nrgba-opaque", toNRGBA(g, true)},
		{"nrgba-alpha", toNRGBA(g, false)},
		{"rgba-opaque", rgba},
		{"gray-sub", sub(g)},
		{"gray16-sub", sub(toGray16(g))},
		{"nrgba-opaque-sub", sub(toNRGBA(g, true))},
		{"nrgba-alpha-sub", sub(toNRGBA(g, false))},
		{"gray16-offset-origin", offset},
		{"gray-1x1", one},
		{"gray-1x13-negative-origin", tall},
		{"nrgba-9x1-random-alpha", wide},
		{"gray-odd-31x3", cellImage("ring", 31, 0, 0, 2).SubImage(image.Rect(0, 0, 31, 3))},
	}
}

// samples returns img's pixels as PNG sample bytes in raster order, for the
// types the fast paths write and the ones image/png decodes them to.
func samples(t *testing.T, img image.Image) []byte {
	t.Helper()
	b := img.Bounds()
	var out []byte
	for y := b.Min.Y; y < b.Max.Y; y++ {
		var row []byte
		switch m := img.(type) {
		case *image.Gray:
			row = m.Pix[m.PixOffset(b.Min.X, y):][:b.Dx()]
		case *image.Gray16:
			row = m.Pix[m.PixOffset(b.Min.X, y):][:2*b.Dx()]
		case *image.NRGBA:
			row = m.Pix[m.PixOffset(b.Min.X, y):][:4*b.Dx()]
		case *image.RGBA:
			row = m.Pix[m.PixOffset(b.Min.X, y):][:4*b.Dx()]
		default:
			t.Fatalf("samples: unexpected type %T", img)
		}
		out = append(out, row...)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range testImages() {
		for _, level := range fastLevels {
			// 0 means the level's own filter, 1..5 force each PNG filter.
			for filter := uint8(0); filter <= uint8(numFilters); filter++ {
				name := fmt.Sprintf("%s/%s/filter=%d", tc.name, level, filter)
				t.Run(name, func(t *testing.T) {
					e := &Encoder{Level: level, filter: filter}
					var buf bytes.Buffer
					if err := e.Encode(&buf, tc.img); err != nil {
						t.Fatal(err)
					}
					checkChunks(t, buf.Bytes())
					got, err := png.Decode(bytes.NewReader(buf.Bytes()))
					if err != nil {
						t.Fatalf("image/png cannot decode: %v", err)
					}
					if got.Bounds().Size() != tc.img.Bounds().Size() {
						t.Fatalf("size %v, want %v", got.Bounds().Size(), tc.img.Bounds().Size())
					}
					if g, w := samples(t, got), samples(t, tc.img); !bytes.Equal(g, w) {
						t.Fatalf("pixels differ (decoded %T from %T)", got, tc.img)
					}
				})
			}
		}
	}
}

// TestLargeAndFlat covers images spanning several deflate batches (the
// previous row then comes from the batch before) and flat images.
func TestLargeAndFlat(t *testing.T) {
	big := cellImage("giant", 600, 31, 5, 7)
	blank := image.NewGray(image.Rect(0, 0, 512, 512))
	white := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	cases := []struct {
		name string
		img  image.Image
	}{
		{"gray-600", big},
		{"gray16-600", toGray16(big)},
		{"nrgba-opaque-600", toNRGBA(big, true)},
		{"nrgba-alpha-600", toNRGBA(big, false)},
		{"gray-blank-512", blank},
		{"nrgba-white-300x200", white},
	}
	for _, tc := range cases {
		// Every 600x600 case must not fit one batch, or the test is moot.
		if tc.img.Bounds().Dx() == 600 && scanlineBytes(tc.img) <= batchBytes {
			t.Fatalf("%s: fits in one batch of %d bytes", tc.name, batchBytes)
		}
		for _, level := range fastLevels {
			t.Run(tc.name+"/"+level.String(), func(t *testing.T) {
				var buf bytes.Buffer
				if err := (&Encoder{Level: level}).Encode(&buf, tc.img); err != nil {
					t.Fatal(err)
				}
				got, err := png.Decode(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(samples(t, got), samples(t, tc.img)) {
					t.Fatal("pixels differ")
				}
			})
		}
	}
}

// TestColorType checks the header choice: RGB exactly when every alpha is
// 255, and 16-bit depth for Gray16.
func TestColorType(t *testing.T) {
	g := cellImage("round", 8, 0, 0, 1)
	cases := []struct {
		name       string
		img        image.Image
		depth, typ byte
	}{
		{"gray", g, 8, 0},
		{"gray16", toGray16(g), 16, 0},
		{"nrgba-opaque", toNRGBA(g, true), 8, 2},
		{"nrgba-alpha", toNRGBA(g, false), 8, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			out, err := e.Append(nil, tc.img)
			if err != nil {
				t.Fatal(err)
			}
			ihdr := chunks(t, out)[0]
			if ihdr.name != "IHDR" || ihdr.data[8] != tc.depth || ihdr.data[9] != tc.typ {
				t.Fatalf("IHDR %q depth %d type %d, want depth %d type %d",
					ihdr.name, ihdr.data[8], ihdr.data[9], tc.depth, tc.typ)
			}
		})
	}
}

// TestFallback: types without a fast path, and level Best, must produce
// exactly what image/png produces at the matching level.
func TestFallback(t *testing.T) {
	g := cellImage("round", 21, 10, 2, 1)
	pal := image.NewPaletted(image.Rect(0, 0, 6, 5), color.Palette{color.Black, color.White, color.Gray{128}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	translucent := image.NewRGBA(image.Rect(0, 0, 4, 4))
	randomPix(translucent.Pix, 9)
	for i := 0; i < len(translucent.Pix); i += 4 {
		a := translucent.Pix[i+3]
		translucent.Pix[i], translucent.Pix[i+1], translucent.Pix[i+2] = min(translucent.Pix[i], a), a/2, 0
	}
	cases := []struct {
		name  string
		img   image.Image
		level Level
	}{
		{"paletted", pal, Speed},
		{"rgba-translucent", translucent, Default},
		{"cmyk", image.NewCMYK(image.Rect(0, 0, 3, 3)), None},
		{"gray-best", g, Best},
		{"nrgba-best", toNRGBA(g, false), Best},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			ref := png.Encoder{CompressionLevel: tc.level.PNG()}
			if err := ref.Encode(&want, tc.img); err != nil {
				t.Fatal(err)
			}
			e := &Encoder{Level: tc.level}
			for i := 0; i < 2; i++ { // the second round reuses the pooled buffers
				var got bytes.Buffer
				if err := e.Encode(&got, tc.img); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want.Bytes()) {
					t.Fatalf("round %d: Encode differs from image/png", i)
				}
				app, err := e.Append([]byte("x"), tc.img)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(app[1:], want.Bytes()) || app[0] != 'x' {
					t.Fatalf("round %d: Append differs from image/png", i)
				}
			}
		})
	}
}

func TestInvalidSize(t *testing.T) {
	cases := []struct {
		name string
		img  image.Image
	}{
		{"gray-0-rows", image.NewGray(image.Rect(0, 0, 5, 0))},
		{"gray-0-cols", image.NewGray(image.Rect(0, 0, 0, 5))},
		{"gray16-empty", image.NewGray16(image.Rectangle{})},
		{"nrgba-0-rows", image.NewNRGBA(image.Rect(2, 3, 9, 3))},
		{"paletted-0-rows", image.NewPaletted(image.Rect(0, 0, 4, 0), color.Palette{color.Black})},
	}
	for _, tc := range cases {
		for _, level := range []Level{Default, Speed, Best, None} {
			t.Run(tc.name+"/"+level.String(), func(t *testing.T) {
				e := &Encoder{Level: level}
				var buf bytes.Buffer
				err := e.Encode(&buf, tc.img)
				if !errors.Is(err, ErrSize) {
					t.Fatalf("err = %v, want ErrSize", err)
				}
				if buf.Len() != 0 {
					t.Fatalf("wrote %d bytes for a rejected image", buf.Len())
				}
				out, err := e.Append([]byte("keep"), tc.img)
				if !errors.Is(err, ErrSize) || string(out) != "keep" {
					t.Fatalf("Append = %q, %v; want the input back and ErrSize", out, err)
				}
			})
		}
	}
}

func TestLevels(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Level
		png  png.CompressionLevel
	}{
		{"default", Default, png.DefaultCompression},
		{"speed", Speed, png.BestSpeed},
		{"best", Best, png.BestCompression},
		{"none", None, png.NoCompression},
	} {
		got, err := ParseLevel(tc.in)
		if err != nil || got != tc.want || got.String() != tc.in || got.PNG() != tc.png {
			t.Errorf("ParseLevel(%q) = %v (%v, png %v), want %v (png %v)", tc.in, got, err, got.PNG(), tc.want, tc.png)
		}
	}
	for _, bad := range []string{"", "Default", "fast", "9"} {
		if _, err := ParseLevel(bad); err == nil {
			t.Errorf("ParseLevel(%q) accepted", bad)
		}
	}
	for _, l := range []Level{-1, numLevels, 42} {
		e := &Encoder{Level: l}
		if err := e.Encode(io.Discard, image.NewGray(image.Rect(0, 0, 1, 1))); err == nil {
			t.Errorf("Level(%d) accepted", int(l))
		}
	}
}

// TestDeterministic: the bytes depend only on the image and the level, not
// on what the Encoder encoded before nor on which Encoder is used.
func TestDeterministic(t *testing.T) {
	a := cellImage("round", 64, 33, 6, 1)
	b := toNRGBA(cellImage("giant", 48, 71, 3, 2), false)
	for _, level := range []Level{Default, Speed, Best, None} {
		t.Run(level.String(), func(t *testing.T) {
			fresh := func(img image.Image) []byte {
				out, err := (&Encoder{Level: level}).Append(nil, img)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			wantA, wantB := fresh(a), fresh(b)
			shared := &Encoder{}
			for i, img := range []image.Image{a, b, a, a, b} {
				shared.Level = Level(i) % numLevels // dirty other levels' state
				if err := shared.Encode(io.Discard, img); err != nil {
					t.Fatal(err)
				}
				shared.Level = level
				var buf bytes.Buffer
				if err := shared.Encode(&buf, img); err != nil {
					t.Fatal(err)
				}
				want := wantA
				if img == b {
					want = wantB
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("encode %d differs from a fresh encoder's", i)
				}
			}
		})
	}
}

// TestSplitIDAT forces small IDAT chunks: the PNG must still decode, and
// the split must not change the concatenated stream.
func TestSplitIDAT(t *testing.T) {
	img := cellImage("round", 40, 12, 5, 1)
	whole, err := (&Encoder{Level: Speed}).Append(nil, img)
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 100, 1000, 1 << 20} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			e := &Encoder{Level: Speed, idatMax: limit}
			out, err := e.Append(nil, img)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range chunks(t, out) {
				if c.name == "IDAT" {
					n++
					if len(c.data) > limit {
						t.Fatalf("IDAT of %d bytes, limit %d", len(c.data), limit)
					}
				}
			}
			stream := idatStream(t, whole)
			if want := (len(stream) + limit - 1) / limit; n != want {
				t.Fatalf("%d IDAT chunks, want %d", n, want)
			}
			if !bytes.Equal(idatStream(t, out), stream) {
				t.Fatal("split changed the zlib stream")
			}
			got, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(samples(t, got), samples(t, img)) {
				t.Fatal("pixels differ")
			}
		})
	}
}

// TestZlibStream inflates the IDAT data with compress/zlib, which checks
// the Adler-32 trailer that image/png's decoder may stop short of.
func TestZlibStream(t *testing.T) {
	for _, tc := range testImages() {
		for _, level := range fastLevels {
			t.Run(tc.name+"/"+level.String(), func(t *testing.T) {
				out, err := (&Encoder{Level: level}).Append(nil, tc.img)
				if err != nil {
					t.Fatal(err)
				}
				stream := idatStream(t, out)
				if h := binary.BigEndian.Uint16(stream); stream[0] != 0x78 || h%31 != 0 {
					t.Fatalf("bad zlib header %x", stream[:2])
				}
				zr, err := zlib.NewReader(bytes.NewReader(stream))
				if err != nil {
					t.Fatal(err)
				}
				raw, err := io.ReadAll(zr)
				if err != nil {
					t.Fatalf("inflate: %v", err)
				}
				if want := scanlineBytes(tc.img); len(raw) != want {
					t.Fatalf("inflated %d bytes, want %d", len(raw), want)
				}
			})
		}
	}
}

// TestPythonZlib has an independent implementation (CPython's zlib) inflate
// the stream; skipped when python3 is not installed.
func TestPythonZlib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	img := cellImage("clustered", 96, 45, 8, 3)
	for _, level := range fastLevels {
		t.Run(level.String(), func(t *testing.T) {
			out, err := (&Encoder{Level: level}).Append(nil, img)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(py, "-c",
				"import sys, zlib; print(len(zlib.decompress(sys.stdin.buffer.read())))")
			cmd.Stdin = bytes.NewReader(idatStream(t, out))
			got, err := cmd.Output()
			if err != nil {
				t.Skipf("python3 zlib unavailable or failed: %v", err)
			}
			if want := fmt.Sprintln(scanlineBytes(img)); string(got) != want {
				t.Fatalf("python inflated %q bytes, want %q", got, want)
			}
		})
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	img := cellImage("ring", 30, 5, 1, 1)
	e := &Encoder{Level: Speed}
	var buf bytes.Buffer
	if err := e.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	out, err := e.Append([]byte("prefix"), img)
	if err != nil {
		t.Fatal(err)
	}
	if string(out[:6]) != "prefix" || !bytes.Equal(out[6:], buf.Bytes()) {
		t.Fatal("Append(prefix) != prefix + Encode")
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteError(t *testing.T) {
	for _, level := range []Level{Default, Speed, Best, None} {
		e := &Encoder{Level: level}
		err := e.Encode(failWriter{}, cellImage("round", 8, 0, 0, 1))
		if !errors.Is(err, errDiskFull) {
			t.Errorf("%v: err = %v, want it to wrap errDiskFull", level, err)
		}
	}
}

func TestAdler32(t *testing.T) {
	p := make([]byte, 3*5552+7)
	randomPix(p, 11)
	for i := range p[:6000] {
		p[i] = 255 // the worst case for the deferred modulo
	}
	for _, n := range []int{0, 1, 3, 4, 5, 5551, 5552, 5553, 6000, len(p)} {
		if got, want := adler32Update(1, p[:n]), adler32.Checksum(p[:n]); got != want {
			t.Errorf("n=%d: %08x, want %08x", n, got, want)
		}
		// Split updates must chain like one.
		k := n / 3
		if got, want := adler32Update(adler32Update(1, p[:k]), p[k:n]), adler32.Checksum(p[:n]); got != want {
			t.Errorf("n=%d split at %d: %08x, want %08x", n, k, got, want)
		}
	}
}

// TestFilterRows checks each filter against the PNG spec's definitions,
// written the slow, obvious way.
func TestFilterRows(t *testing.T) {
	ref := func(ft filterType, cur, prev []byte, bpp int) []byte {
		out := make([]byte, len(cur))
		for i := range cur {
			var a, b, c int
			if i >= bpp {
				a, c = int(cur[i-bpp]), int(prev[i-bpp])
			}
			b = int(prev[i])
			var pred int
			switch ft {
			case ftSub:
				pred = a
			case ftUp:
				pred = b
			case ftAverage:
				pred = (a + b) / 2
			case ftPaeth:
				p := a + b - c
				pa, pb, pc := absRef(p-a), absRef(p-b), absRef(p-c)
				switch {
				case pa <= pb && pa <= pc:
					pred = a
				case pb <= pc:
					pred = b
				default:
					pred = c
				}
			}
			out[i] = cur[i] - byte(pred)
		}
		return out
	}
	for _, bpp := range []int{1, 2, 3, 4, 8} {
		for _, n := range []int{0, 1, bpp, bpp + 1, 77} {
			n = n / bpp * bpp
			cur, prev := make([]byte, n), make([]byte, n)
			randomPix(cur, uint64(n))
			randomPix(prev, uint64(n+1000))
			for ft := ftNone; ft < numFilters; ft++ {
				got := make([]byte, n)
				filterRow(ft, got, cur, prev, bpp)
				if want := ref(ft, cur, prev, bpp); !bytes.Equal(got, want) {
					t.Errorf("%v bpp=%d n=%d: got %v, want %v", ft, bpp, n, got, want)
				}
			}
		}
	}
}

func absRef(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// scanlineBytes is the size of the unfiltered, filter-byte-prefixed image.
func scanlineBytes(img image.Image) int {
	b := img.Bounds()
	bpp := map[string]int{"*image.Gray": 1, "*image.Gray16": 2, "*image.NRGBA": 4, "*image.RGBA": 3}[fmt.Sprintf("%T", img)]
	if m, ok := img.(*image.NRGBA); ok && m.Opaque() {
		bpp = 3
	}
	return b.Dy() * (1 + bpp*b.Dx())
}

type chunk struct {
	name string
	data []byte
}

// chunks splits a PNG into chunks, failing on a bad signature, a bad CRC,
// trailing bytes or a missing IEND.
func chunks(t *testing.T, p []byte) []chunk {
	t.Helper()
	if !bytes.HasPrefix(p, []byte(pngSignature)) {
		t.Fatal("no PNG signature")
	}
	p = p[len(pngSignature):]
	var out []chunk
	for len(p) > 0 {
		if len(p) < 12 {
			t.Fatalf("truncated chunk: %d bytes left", len(p))
		}
		n := int(binary.BigEndian.Uint32(p))
		if len(p) < 12+n {
			t.Fatalf("chunk of %d bytes, %d left", n, len(p)-12)
		}
		body := p[4 : 8+n]
		if got, want := binary.BigEndian.Uint32(p[8+n:]), crc32.ChecksumIEEE(body); got != want {
			t.Fatalf("chunk %q: CRC %08x, want %08x", body[:4], got, want)
		}
		out = append(out, chunk{string(body[:4]), body[4:]})
		p = p[12+n:]
	}
	if len(out) == 0 || out[len(out)-1].name != "IEND" || len(out[len(out)-1].data) != 0 {
		t.Fatal("PNG does not end with an empty IEND")
	}
	return out
}

// checkChunks asserts the chunk sequence IHDR, IDAT+, IEND.
func checkChunks(t *testing.T, p []byte) {
	t.Helper()
	cs := chunks(t, p)
	if cs[0].name != "IHDR" || len(cs[0].data) != 13 {
		t.Fatalf("first chunk %q of %d bytes, want a 13-byte IHDR", cs[0].name, len(cs[0].data))
	}
	for _, c := range cs[1 : len(cs)-1] {
		if c.name != "IDAT" {
			t.Fatalf("unexpected chunk %q", c.name)
		}
	}
	if len(cs) < 3 {
		t.Fatal("no IDAT")
	}
}

// idatStream concatenates the IDAT chunks' data: the zlib stream.
func idatStream(t *testing.T, p []byte) []byte {
	t.Helper()
	var z []byte
	for _, c := range chunks(t, p) {
		if c.name == "IDAT" {
			z = append(z, c.data...)
		}
	}
	return z
}
