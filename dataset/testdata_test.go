package dataset

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
)

var update = flag.Bool("update", false, "rewrite the files in testdata/ from their generators")

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// hugePNG is a valid PNG header claiming w x h grey pixels, and no pixels:
// a decompression bomb must be refused from this much alone.
func hugePNG(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // depth 8, grey, deflate, filter 0, no interlace
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngChunk("IHDR", ihdr)...)
	return append(b, pngChunk("IEND", nil)...)
}

// testdataFiles are the deliberately broken inputs of the error tests and
// the fuzz seed corpora, generated so that anyone can see how each was
// made and remake it with -update.
func testdataFiles(t testing.TB) map[string][]byte {
	good := filetest.PNG(t, grey(16, 16, 1))
	idat := bytes.Index(good, []byte("IDAT"))
	flipped := bytes.Clone(good)
	flipped[idat+8] ^= 0x10 // inside the compressed data: the chunk CRC no longer matches

	files := map[string][]byte{
		"good.png":      good,
		"truncated.png": good[:len(good)*2/3],
		"bitflip.png":   flipped,
		"zero.png":      {},
		"text.png":      []byte("this is a text file, not an image\n"),
		"huge.png":      hugePNG(100000, 100000),
	}

	seed := func(target, name string, data []byte) {
		files[filepath.Join("fuzz", target, name)] = []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data))
	}
	seed("FuzzDecode", "good-png", good)
	seed("FuzzDecode", "huge-png", hugePNG(100000, 100000))
	seed("FuzzDecode", "zero-width-png", hugePNG(0, 10))
	seed("FuzzDecode", "truncated-png", good[:len(good)*2/3])
	seed("FuzzDecode", "gif-header", []byte("GIF89a\x10\x00\x10\x00\x00\x00\x00;"))
	seed("FuzzDecode", "bmp-header", []byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\xff\xff\x00\x00\xff\xff\x00\x00\x01\x00\x18\x00"))
	seed("FuzzDecode", "tiff-header", []byte("II*\x00\x08\x00\x00\x00\x00\x00"))
	seed("FuzzDecode", "jpeg-soi", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))

	return files
}

// TestTestdataUpToDate keeps testdata/ equal to its generators; run with
// -update to rewrite it.
func TestTestdataUpToDate(t *testing.T) {
	for name, want := range testdataFiles(t) {
		p := filepath.Join("testdata", name)
		if *update {
			filetest.Write(t, p, want)
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v (run go test -run TestTestdataUpToDate -update)", p, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its generator (run go test -run TestTestdataUpToDate -update)", p)
		}
	}
}
