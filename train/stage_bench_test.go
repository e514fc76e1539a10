package train

import (
	"fmt"
	"testing"
)

// stageShapes are the first two blocks at 128 px and the first at 64 px,
// batch 4: most of a step's arithmetic.
var stageShapes = []struct{ c, h, w int }{{1, 128, 128}, {2, 64, 64}, {1, 64, 64}}

// stageOp is a training-mode block for batch 4 and 2 filters, built
// field by field so that the benchmark compiles against older versions of
// the op too (before/after comparisons).
func stageOp(c, h, w int, needDX bool) *convBlockOp {
	return &convBlockOp{
		id: convBlockIDs.Add(1), b: 4, cin: c, h: h, w: w, f: 2,
		newWeight: 0.01, eps: 1e-3, needDX: needDX, training: true,
		runMean: make([]float64, 2), runVar: []float64{1, 1}, invStd: make([]float64, 2),
		sumGU: make([]float64, 2), sumGUX: make([]float64, 2), stats: make([]float64, 4),
	}
}

func stageData(c, h, w int) (x, k, gamma, beta, y, gy, dx []float32) {
	x = randF32(1, 4*c*h*w, 1)
	k = randF32(2, 2*c*9, 0.5)
	gamma, beta = []float32{1.1, 0.9}, []float32{0.1, -0.1}
	y = make([]float32, 4*2*(h/2)*(w/2))
	gy = randF32(3, len(y), 0.1)
	dx = make([]float32, len(x))
	return
}

// BenchmarkBlockForward is one block's forward pass in training mode
// (conv, batch statistics, normalise, ELU, pool) for a batch of 4.
func BenchmarkBlockForward(b *testing.B) {
	for _, s := range stageShapes {
		b.Run(fmt.Sprintf("%dx%dx%d", s.c, s.h, s.w), func(b *testing.B) {
			op := stageOp(s.c, s.h, s.w, s.c > 1)
			x, k, gamma, beta, y, _, _ := stageData(s.c, s.h, s.w)
			b.ReportAllocs()
			for b.Loop() {
				blockForward(op, x, k, gamma, beta, y)
			}
		})
	}
}

// BenchmarkBlockBackward is one block's backward pass (unpool, ELU',
// batch norm, kernel and input gradients) for a batch of 4.
func BenchmarkBlockBackward(b *testing.B) {
	for _, s := range stageShapes {
		b.Run(fmt.Sprintf("%dx%dx%d", s.c, s.h, s.w), func(b *testing.B) {
			op := stageOp(s.c, s.h, s.w, s.c > 1)
			x, k, gamma, beta, y, gy, dx := stageData(s.c, s.h, s.w)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				blockForward(op, x, k, gamma, beta, y) // the caches backward reads (and overwrites)
				b.StartTimer()
				blockBackward(op, x, k, gamma, gy, dx)
			}
		})
	}
}

// BenchmarkFillBatch converts a batch of 4 images at 128 px to float32.
func BenchmarkFillBatch(b *testing.B) {
	tr := benchTrainer(b, 128)
	s := shapesSet(5, 4, 128, 1)
	idx := []int{0, 1, 2, 3}
	b.ReportAllocs()
	for b.Loop() {
		fillBatch(s, idx, tr.trainNet.xT, tr.trainNet.yT, nil)
	}
}
