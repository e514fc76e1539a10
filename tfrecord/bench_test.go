package tfrecord

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkWriteRecord(b *testing.B) {
	data := make([]byte, 12<<10)
	w := NewWriter(io.Discard)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteRecord(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	rec := frame(b, bytes.Repeat([]byte{1}, 64<<10))
	stream := bytes.Repeat(rec, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		r := NewReader(bytes.NewReader(stream))
		for {
			if _, _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	ex := imageExample()
	ex["image/encoded"] = BytesFeature(make([]byte, 12<<10))
	b.ReportAllocs()
	for b.Loop() {
		ex.Marshal()
	}
}
