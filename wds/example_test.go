package wds_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/augsplit/augsplit/wds"
)

// Write two samples of three members each and read them back.
func Example() {
	var shard bytes.Buffer
	w := wds.NewWriter(&shard)
	for i, key := range []string{"round_cell-0001", "細胞_cell-0002"} {
		s := wds.Sample{Key: key, Members: []wds.Member{
			{Ext: "png", Data: []byte("\x89PNG...")},
			{Ext: "cls", Data: []byte(fmt.Sprint(i))},
			{Ext: "json", Data: []byte(`{"source":"cell.png"}`)},
		}}
		if err := w.WriteSample(&s); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil { // the end-of-archive marker
		log.Fatal(err)
	}

	r := wds.NewReader(&shard)
	for {
		s, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // a *wds.Error names the offset
		}
		class, err := s.Class()
		if err != nil {
			log.Fatal(err)
		}
		png, _ := s.Data("png")
		fmt.Printf("%s: class %d, %d members, %d png bytes\n", s.Key, class, len(s.Members), len(png))
	}
	// Output:
	// round_cell-0001: class 0, 3 members, 7 png bytes
	// 細胞_cell-0002: class 1, 3 members, 7 png bytes
}
