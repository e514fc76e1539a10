package dataset

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/image/tiff"

	"github.com/augsplit/augsplit/internal/filetest"
)

func BenchmarkDecodePNG512(b *testing.B) {
	data := filetest.PNG(b, grey(512, 512, 1))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Decode("b.png", bytes.NewReader(data), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResizeGray512To128(b *testing.B) {
	img := grey(512, 512, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resize(img, 128, 128); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	files := map[string][]byte{}
	for i := 0; i < 20; i++ {
		files[[]string{"a", "b"}[i%2]+"/"+string(rune('a'+i))+".png"] = filetest.PNG(b, grey(128, 128, i))
	}
	root := filetest.Tree(b, files)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(context.Background(), root, ScanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePeak reports the bytes a decode allocates per pixel
// (alloc-B/px), an upper bound on its peak heap, for each source layout at
// 2048x2048, read from a file as Scan reads it. The working form holds 1
// (grey), 2 (16-bit grey) or 4 (colour) bytes a pixel; the rest is what
// the decoder needs on top (README, "When things go wrong").
func BenchmarkDecodePeak(b *testing.B) {
	const side = 2048
	c8 := image.NewRGBA(image.Rect(0, 0, side, side))
	c16 := image.NewNRGBA64(image.Rect(0, 0, side, side))
	g8 := image.NewGray(image.Rect(0, 0, side, side))
	g16 := image.NewGray16(image.Rect(0, 0, side, side))
	for i := range c16.Pix {
		c16.Pix[i] = uint8(i * 7)
		if i < len(c8.Pix) {
			c8.Pix[i] = uint8(i * 5)
			if i%4 == 3 {
				c8.Pix[i] = 255
			}
		}
		if i < len(g8.Pix) {
			g8.Pix[i] = uint8(i * 3)
		}
		if i < len(g16.Pix) {
			g16.Pix[i] = uint8(i * 11)
		}
	}
	enc := func(f func(*bytes.Buffer) error) []byte {
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			b.Fatal(err)
		}
		return buf.Bytes()
	}
	pngOf := func(m image.Image) []byte {
		e := png.Encoder{CompressionLevel: png.BestSpeed}
		return enc(func(w *bytes.Buffer) error { return e.Encode(w, m) })
	}
	dir := b.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"png-grey8", pngOf(g8)},
		{"png-grey16", pngOf(g16)},
		{"png-rgb8", pngOf(c8)},
		{"png-rgba16", pngOf(c16)},
		{"jpeg-colour", enc(func(w *bytes.Buffer) error { return jpeg.Encode(w, c8, nil) })},
		{"jpeg-grey", enc(func(w *bytes.Buffer) error { return jpeg.Encode(w, g8, nil) })},
		{"tiff-grey16", enc(func(w *bytes.Buffer) error { return tiff.Encode(w, g16, nil) })},
		{"tiff-rgb8", enc(func(w *bytes.Buffer) error { return tiff.Encode(w, c8, nil) })},
		{"tiff-rgba16", enc(func(w *bytes.Buffer) error { return tiff.Encode(w, c16, nil) })},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, tc.data, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			n := 0
			for b.Loop() {
				if _, _, err := DecodeFile(context.Background(), p, 0); err != nil {
					b.Fatal(err)
				}
				n++
			}
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(n)/(side*side), "alloc-B/px")
		})
	}
}
