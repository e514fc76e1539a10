package pngenc

import "testing"

// BenchmarkRLEStages times the parts of Speed's deflate on one filtered
// 512x512 noisy cell (sigma 4): filtering with the Adler-32, finding runs,
// counting symbols, building codes, and writing them.
func BenchmarkRLEStages(b *testing.B) {
	img := benchSet(512, 4)[0]
	e := &Encoder{Level: Speed}
	src, _, _ := e.inspect(img)
	var raw []byte
	if _, err := e.compressRows(&src, func(r []byte, _ bool) error { raw = append(raw, r...); return nil }); err != nil {
		b.Fatal(err)
	}
	p := raw[:rleBlockBytes]
	z := &e.rle
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			cpu := processCPU()
			for b.Loop() {
				f()
			}
			reportCPU(b, cpu)
		})
	}
	b.Run("filter+adler", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		cpu := processCPU()
		for b.Loop() {
			e.compressRows(&src, func([]byte, bool) error { return nil })
		}
		reportCPU(b, cpu)
	})
	run("findRuns", func() { z.findRuns(p) })
	run("count", func() { z.count(p) })
	run("codes", func() { z.dynamicBits() })
	w := bitWriter{}
	run("emit", func() {
		w.buf = w.buf[:0]
		w.reserve(len(p) * 2)
		z.emit(&w, p)
	})
	run("block", func() {
		w.buf = w.buf[:0]
		z.block(&w, p, true)
	})
}
