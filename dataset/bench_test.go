package dataset

import (
	"bytes"
	"context"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
)

func BenchmarkDecodePNG512(b *testing.B) {
	data := filetest.PNG(b, grey(512, 512, 1))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Decode("b.png", bytes.NewReader(data), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResizeGray512To128(b *testing.B) {
	img := grey(512, 512, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resize(img, 128, 128); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan(b *testing.B) {
	files := map[string][]byte{}
	for i := 0; i < 20; i++ {
		files[[]string{"a", "b"}[i%2]+"/"+string(rune('a'+i))+".png"] = filetest.PNG(b, grey(128, 128, i))
	}
	root := filetest.Tree(b, files)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(context.Background(), root, ScanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
