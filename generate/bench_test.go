package generate

import (
	"context"
	"path/filepath"
	"testing"
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
