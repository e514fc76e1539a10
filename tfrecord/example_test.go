package tfrecord_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/augsplit/augsplit/tfrecord"
)

// Write two tf.train.Example records and read them back.
func Example() {
	var shard bytes.Buffer
	w := tfrecord.NewWriter(&shard)
	for i, class := range []string{"round", "spiky"} {
		ex := tfrecord.Example{
			"image/encoded":     tfrecord.BytesFeature([]byte("\x89PNG...")),
			"image/class/label": tfrecord.Int64Feature(int64(i)),
			"image/class/text":  tfrecord.BytesFeature([]byte(class)),
		}
		if err := w.WriteRecord(ex.Marshal()); err != nil {
			log.Fatal(err)
		}
	}

	r := tfrecord.NewReader(&shard)
	for {
		rec, offset, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // a *tfrecord.Error names the offset
		}
		ex, err := tfrecord.ParseExample(rec)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("at %d: label %d, %s\n", offset, ex["image/class/label"].Int64[0], ex["image/class/text"].Bytes[0])
	}
	// Output:
	// at 0: label 0, round
	// at 107: label 1, spiky
}
