package augment

import (
	"fmt"
	"image"
	"testing"
	"time"
)

// cpuTimer reports CPU nanoseconds per op (see processCPU).
type cpuTimer struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuTimer { return cpuTimer{b, processCPU()} }

func (c cpuTimer) report() {
	if c.b.N > 0 {
		c.b.ReportMetric(float64(processCPU()-c.start)/float64(c.b.N), "cpu-ns/op")
	}
}

// benchGray is a 512x512 synthetic grey image; the content hardly matters to
// the speed but keeps the noise and clamp branches honest.
func benchGray(n int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			img.Pix[y*img.Stride+x] = uint8((x*7 + y*13) ^ (x * y))
		}
	}
	return img
}

func BenchmarkTransforms(b *testing.B) {
	src := benchGray(512)
	for _, name := range builtinNames() {
		t := builtins[name]()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(src.Pix)))
			r := NewRand(1, "bench", 0)
			c := startCPU(b)
			for b.Loop() {
				t.Apply(src, r)
			}
			c.report()
		})
	}
}

func BenchmarkDefaultPipeline(b *testing.B) {
	for _, n := range []int{128, 512} {
		src := benchGray(n)
		p := DefaultPipeline()
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(src.Pix)))
			v := 0
			c := startCPU(b)
			for b.Loop() {
				v++
				p.Apply(src, NewRand(1, "bench", v))
			}
			c.report()
		})
	}
}

func BenchmarkDefaultPipelineFormats(b *testing.B) {
	g := benchGray(512)
	g16 := image.NewGray16(g.Rect)
	rgb := image.NewNRGBA(g.Rect)
	for i, v := range g.Pix {
		g16.Pix[2*i], g16.Pix[2*i+1] = v, v
		copy(rgb.Pix[4*i:], []uint8{v, v / 2, 255 - v, 255})
	}
	p := DefaultPipeline()
	for _, c := range []struct {
		name string
		img  image.Image
	}{{"gray16", g16}, {"nrgba", rgb}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			v := 0
			cpu := startCPU(b)
			for b.Loop() {
				v++
				p.Apply(c.img, NewRand(1, "bench", v))
			}
			cpu.report()
		})
	}
}
