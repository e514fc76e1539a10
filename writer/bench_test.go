package writer

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkPut measures Put per format with a 12 KB "PNG" (about a 128x128
// grey cell image). Run it at two -benchtime counts (e.g. 1000x and 10000x):
// allocs/op must stay the same, showing per-sample cost does not grow with
// the number of samples or shards.
func BenchmarkPut(b *testing.B) {
	data := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 1, 2, 3, 4}, 12<<10/8)
	for _, format := range []string{FormatFolder, FormatWebDataset, FormatTFRecord} {
		b.Run(format, func(b *testing.B) {
			samples := make([]Sample, b.N)
			for i := range samples {
				samples[i] = Sample{
					Record: Record{
						ID: fmt.Sprintf("cell%03d_v%06d", i%10, i), Split: Train,
						Class: testClasses[i%3], ClassIndex: i % 3, Source: "a/cell.png",
						Params:  []byte(`[{"name":"rotate","params":{"angle":12.5}}]`),
						Variant: i, Width: 128, Height: 128, Channels: 1, BitDepth: 8,
					},
					Data: data,
				}
			}
			o, err := Open(context.Background(), b.TempDir(), Options{
				Fingerprint: "bench", Formats: []string{format}, ShardSize: 500,
				SplitCounts: map[string]int{Train: b.N},
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range samples {
				if err := o.Put(ctx, &samples[i]); err != nil {
					b.Fatal(err)
				}
			}
			if err := o.Commit(testCard()); err != nil {
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
		o.exampleOf(&s)
	}
}
