package pngenc

import (
	"bytes"
	"compress/flate"
	"fmt"
	"image"
	"image/png"
	"io"
	"testing"
	"time"
)

// benchClasses are the cell classes each benchmark cycles through, so one
// lucky or unlucky image does not decide a filter.
var benchClasses = []string{"round", "clustered", "giant", "fragmented"}

// benchSet is len(benchClasses) images of n x n, each rotated by a different
// angle, with Gaussian noise sigma; sigma < 0 means the clean blob image.
func benchSet(n int, sigma float64) []image.Image {
	if sigma < 0 {
		return []image.Image{blobImage(n)}
	}
	set := make([]image.Image, len(benchClasses))
	for i, class := range benchClasses {
		set[i] = cellImage(class, n, 17+float64(i)*41, sigma, uint64(i+1))
	}
	return set
}

// encodeFunc encodes img to w; the benchmarks compare pngenc with image/png
// through it.
type encodeFunc func(w io.Writer, img image.Image) error

// benchEncode encodes the set round-robin, reporting the mean encoded size
// as B/img (computed once, outside the timed loop: outputs are
// deterministic).
func benchEncode(b *testing.B, set []image.Image, enc encodeFunc) {
	var buf bytes.Buffer
	total := 0
	for _, img := range set {
		buf.Reset()
		if err := enc(&buf, img); err != nil {
			b.Fatal(err)
		}
		total += buf.Len()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	i := 0
	for b.Loop() {
		buf.Reset()
		if err := enc(&buf, set[i%len(set)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(total)/float64(len(set)), "B/img")
}

func pngencFunc(level Level, filter uint8) encodeFunc {
	e := &Encoder{Level: level, filter: filter}
	return e.Encode
}

func stdFunc(level png.CompressionLevel) encodeFunc {
	e := &png.Encoder{CompressionLevel: level, BufferPool: &onePool{}}
	return e.Encode
}

// mixedSet is eight n x n cells with sigma spread evenly over 0..8, the
// default pipeline's range: low noise costs BestSpeed much more time
// (it finds matches and writes dynamic blocks) than high noise does.
func mixedSet(n int) []image.Image {
	set := make([]image.Image, 8)
	for i := range set {
		class := benchClasses[i%len(benchClasses)]
		set[i] = cellImage(class, n, 17+float64(i)*41, float64(i)*8/7, uint64(i+1))
	}
	return set
}

// BenchmarkEncode is the headline comparison on noisy grey cells: sigma 4
// (the mean of the default pipeline's uniform 0..8) and the 0..8 mix.
//
//	go test -run '^$' -bench Encode -count 5 ./internal/pngenc
func BenchmarkEncode(b *testing.B) {
	for _, n := range []int{512, 128} {
		for _, set := range []struct {
			name string
			imgs []image.Image
		}{{"sigma4", benchSet(n, 4)}, {"sigma0-8", mixedSet(n)}} {
			for _, c := range []struct {
				name string
				enc  encodeFunc
			}{
				{"pngenc-speed", pngencFunc(Speed, 0)},
				{"pngenc-default", pngencFunc(Default, 0)},
				{"imagepng-bestspeed", stdFunc(png.BestSpeed)},
				{"imagepng-default", stdFunc(png.DefaultCompression)},
			} {
				b.Run(fmt.Sprintf("%d/%s/%s", n, set.name, c.name), func(b *testing.B) {
					benchEncode(b, set.imgs, c.enc)
				})
			}
		}
	}
}

// BenchmarkFilterChoice is the measurement behind levelFilter: every fixed
// filter at each deflate level, against image/png's adaptive choice at the
// same deflate level, on the clean blob and on cells with increasing noise.
//
//	go test -run '^$' -bench FilterChoice -count 3 ./internal/pngenc
func BenchmarkFilterChoice(b *testing.B) {
	images := []struct {
		name  string
		sigma float64
	}{{"blob-clean", -1}, {"cells-sigma0", 0}, {"cells-sigma2", 2}, {"cells-sigma4", 4}, {"cells-sigma8", 8}}
	levels := []struct {
		level Level
		std   png.CompressionLevel
	}{{Speed, png.BestSpeed}, {Default, png.DefaultCompression}}
	for _, im := range images {
		set := benchSet(512, im.sigma)
		for _, lv := range levels {
			for ft := ftNone; ft < numFilters; ft++ {
				b.Run(fmt.Sprintf("%s/%s/%s", im.name, lv.level, ft), func(b *testing.B) {
					benchEncode(b, set, pngencFunc(lv.level, uint8(ft)+1))
				})
			}
			b.Run(fmt.Sprintf("%s/%s/adaptive-imagepng", im.name, lv.level), func(b *testing.B) {
				benchEncode(b, set, stdFunc(lv.std))
			})
		}
	}
}

// BenchmarkDeflateLevels is the measurement behind Speed's deflate: the
// Average-filtered rows (no PNG framing) through rleDeflate and every
// compress/flate level, including HuffmanOnly (-2), on the clean blob
// (sigma -1), on cells with increasing noise, and on a blank image (the
// case Huffman coding alone cannot shrink).
//
//	go test -run '^$' -bench DeflateLevels -count 3 ./internal/pngenc
func BenchmarkDeflateLevels(b *testing.B) {
	sets := []struct {
		name string
		imgs []image.Image
	}{{"blank", []image.Image{image.NewGray(image.Rect(0, 0, 512, 512))}}}
	for _, sigma := range []float64{-1, 0, 2, 4, 8} {
		sets = append(sets, struct {
			name string
			imgs []image.Image
		}{fmt.Sprintf("sigma=%v", sigma), benchSet(512, sigma)})
	}
	for _, set := range sets {
		for _, lvl := range []int{rleLevel, flate.HuffmanOnly, 1, 2, 4, 6, 9} {
			name := fmt.Sprintf("%s/flate=%d", set.name, lvl)
			if lvl == rleLevel {
				name = set.name + "/rle"
			}
			b.Run(name, func(b *testing.B) {
				e := &Encoder{Level: Speed}
				var cw countWriter
				zw, err := flate.NewWriter(&cw, max(lvl, flate.HuffmanOnly))
				if err != nil {
					b.Fatal(err)
				}
				var out []byte
				deflate := func(img image.Image) int {
					src, ok, err := e.inspect(img)
					if !ok || err != nil {
						b.Fatalf("no fast path: %v", err)
					}
					if lvl == rleLevel {
						out, _ = e.deflateRLE(out[:0], &src)
						return len(out)
					}
					cw.n = 0
					zw.Reset(&cw)
					if _, err := e.compressRows(&src, func(raw []byte, _ bool) error {
						_, err := zw.Write(raw)
						return err
					}); err != nil {
						b.Fatal(err)
					}
					if err := zw.Close(); err != nil {
						b.Fatal(err)
					}
					return cw.n
				}
				total := 0
				for _, img := range set.imgs {
					total += deflate(img)
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := processCPU()
				i := 0
				for b.Loop() {
					deflate(set.imgs[i%len(set.imgs)])
					i++
				}
				reportCPU(b, cpu)
				b.ReportMetric(float64(total)/float64(len(set.imgs)), "B/img")
			})
		}
	}
}

// rleLevel stands for rleDeflate among compress/flate's levels.
const rleLevel = -100

// reportCPU reports the process's CPU nanoseconds per op since start: on a
// shared machine wall time includes waiting for a core, CPU time does not.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// BenchmarkFilterRow isolates the filter loops (512-byte grey rows).
func BenchmarkFilterRow(b *testing.B) {
	cur, prev, dst := make([]byte, 512), make([]byte, 512), make([]byte, 512)
	randomPix(cur, 1)
	randomPix(prev, 2)
	for ft := ftNone; ft < numFilters; ft++ {
		b.Run(ft.String(), func(b *testing.B) {
			b.SetBytes(int64(len(cur)))
			for b.Loop() {
				filterRow(ft, dst, cur, prev, 1)
			}
		})
	}
}

func BenchmarkAdler32(b *testing.B) {
	p := make([]byte, 512*513)
	randomPix(p, 1)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		adler32Update(1, p)
	}
}
