package writer

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/augsplit/augsplit/schema"
)

// BenchmarkPut measures Put per format with a 12 KB "PNG" (about a 128x128
// grey cell image). Run it at two -benchtime counts (e.g. 1000x and 10000x):
// allocs/op must stay the same, showing per-sample cost does not grow with
// the number of samples or shards.
func BenchmarkPut(b *testing.B) {
	data := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 1, 2, 3, 4}, 12<<10/8)
	for _, format := range []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord} {
		b.Run(format, func(b *testing.B) {
			// Three more than b.N, Put before the timer starts, so every
			// class has a sample even at b.N = 1 and Commit can seal.
			samples := make([]Sample, b.N+3)
			for i := range samples {
				samples[i] = Sample{
					Record: schema.Record{
						ID: fmt.Sprintf("cell%03d_v%06d", i%10, i), Split: schema.Train,
						Class: testClasses[i%3], ClassIndex: i % 3, Source: "a/cell.png",
						Params:  []byte(`[{"name":"rotate","params":{"angle":12.5}}]`),
						Variant: i, Width: 128, Height: 128, Channels: 1, BitDepth: 8,
					},
					Data: data,
				}
			}
			o, err := Open(context.Background(), b.TempDir(), Options{
				Classes: testClasses, Fingerprint: "bench", Formats: []string{format}, ShardSize: 500,
				SplitCounts: map[string]int{schema.Train: len(samples)},
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for i := range samples[:3] {
				if err := o.Put(ctx, &samples[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 3; i < len(samples); i++ {
				if err := o.Put(ctx, &samples[i]); err != nil {
					b.Fatal(err)
				}
			}
			if err := o.Commit(testCard(testClasses)); err != nil {
				b.Fatal(err)
			}
		})
	}
}

func BenchmarkExampleOf(b *testing.B) {
	s := makeSamples(1)[0]
	s.Data = make([]byte, 12<<10)
	o := &Out{}
	b.ReportAllocs()
	for b.Loop() {
		o.enc.example(&s)
	}
}
