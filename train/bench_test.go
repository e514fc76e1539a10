package train

import (
	"context"
	"fmt"
	"testing"
)

// benchTrainer builds the default 5-block model for size x size grey
// images of 10 classes.
func benchTrainer(b *testing.B, size int) *trainer {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Size = size
	tr, err := newTrainer(archOf(cfg, 1, size, size, 10), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tr.close)
	return tr
}

// BenchmarkStep is one training step (forward, backward, SGD) of batch 4.
func BenchmarkStep(b *testing.B) {
	for _, size := range []int{64, 128} {
		b.Run(fmt.Sprintf("%dpx", size), func(b *testing.B) {
			tr := benchTrainer(b, size)
			s := shapesSet(5, 4, size, 1)
			order := []int{0, 1, 2, 3}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, _, err := tr.epoch(context.Background(), s, order); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(4*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkEpoch is one training epoch of 2400 images plus validation of
// 600, the demo's split, at batch 4.
func BenchmarkEpoch(b *testing.B) {
	for _, size := range []int{64, 128} {
		b.Run(fmt.Sprintf("%dpx", size), func(b *testing.B) {
			tr := benchTrainer(b, size)
			trainSet := shapesSet(5, 480, size, 1)
			valSet := shapesSet(5, 120, size, 2)
			order := make([]int, trainSet.N)
			for i := range order {
				order[i] = i
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, _, err := tr.epoch(context.Background(), trainSet, order); err != nil {
					b.Fatal(err)
				}
				if _, err := tr.evaluate(valSet, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
			b.ReportMetric(float64(trainSet.N*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
