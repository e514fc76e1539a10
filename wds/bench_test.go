package wds

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkWriteSample(b *testing.B) {
	s := Sample{Key: "cell003_v000042", Members: []Member{
		{"png", make([]byte, 12<<10)},
		{"cls", []byte("3")},
		{"json", []byte(`{"class":"spiky","class_index":3,"source":"spiky/cell.png","variant":42,"params":[]}`)},
	}}
	w := NewWriter(io.Discard)
	b.SetBytes(EncodedSize(&s))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteSample(&s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	samples := make([]Sample, 64)
	for i := range samples {
		samples[i] = Sample{Key: "cell_" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Members: []Member{
			{"png", bytes.Repeat([]byte{1}, 12<<10)}, {"cls", []byte("1")},
		}}
	}
	shard := writeAll(b, samples)
	b.SetBytes(int64(len(shard)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(shard))
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
