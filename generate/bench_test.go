package generate

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/pngenc"
)

// BenchmarkGenerate runs the whole pipeline (decode, rotate + flips + noise,
// PNG at speed level, folder writer, manifest, card) on the bundled sources
// and reports images per second.
func BenchmarkGenerate(b *testing.B) {
	for _, size := range []int{128, 512} {
		b.Run(Size{W: size, H: size}.String(), func(b *testing.B) {
			b.ReportAllocs()
			cfg := Defaults()
			cfg.In = cells
			cfg.PerSource = 20
			cfg.Size = Size{W: size, H: size}
			cfg.PNGCompression = "speed"
			images := 0
			for i := 0; i < b.N; i++ {
				cfg.Out = filepath.Join(b.TempDir(), "out")
				card, err := Run(context.Background(), cfg, Options{})
				if err != nil {
					b.Fatal(err)
				}
				images += card.Total
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// BenchmarkSampleStages times the stages of one sample of the default
// pipeline on a bundled source resized to 128 and 512 px, each on its own
// (augment: rotate + flips + noise; encode: PNG at speed; hash: sha256 of
// the PNG) and all of them as makeSample runs them (with the parameters'
// JSON and the record), per image, with CPU time beside wall time.
//
//	go test -run '^$' -bench SampleStages -benchmem ./generate
func BenchmarkSampleStages(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{128, 512} {
		cfg := Defaults()
		cfg.In = cells
		cfg.Size = Size{W: size, H: size}
		cfg.PNGCompression = "speed"
		cfg.Normalize()
		tree, err := dataset.Scan(ctx, cells, dataset.ScanOptions{MaxPixels: cfg.MaxPixels})
		if err != nil {
			b.Fatal(err)
		}
		cache := newSourceCache(tree, cfg, 1<<30)
		src, err := cache.get(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		sha := tree.Sources[0].SHA256
		enc := &pngenc.Encoder{Level: pngenc.Speed}
		aug, _ := cfg.Pipeline.Apply(src, augment.NewRand(1, sha, 1))
		data, err := enc.Append(nil, aug)
		if err != nil {
			b.Fatal(err)
		}
		variant := 0
		stages := []struct {
			name string
			run  func()
		}{
			{"augment", func() { variant++; cfg.Pipeline.Apply(src, augment.NewRand(1, sha, variant)) }},
			{"encode", func() { enc.Append(nil, aug) }},
			{"hash", func() { sha256.Sum256(data) }},
			{"sample", func() {
				variant++
				if _, err := makeSample(ctx, cfg, cache, enc, job{src: 0, variant: variant, split: "train"}, map[string]int{}); err != nil {
					b.Fatal(err)
				}
			}},
		}
		for _, st := range stages {
			b.Run(fmt.Sprintf("%d/%s", size, st.name), func(b *testing.B) {
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					st.run()
				}
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
