package writer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/writer"
)

// A valid dataset in a few lines: open with the class list, Put samples
// in order, Commit a card holding only provenance and split levels. The
// writer derives classes, splits, counts and totals, so what it seals is
// what `augsplit verify` (dataset.Verify) accepts.
func ExampleOpen() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "writer-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "out")

	classes := []string{"cat", "dog"} // sorted: ClassIndex is the position
	out, err := writer.Open(ctx, dir, writer.Options{Classes: classes, Fingerprint: "example-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, split := range []string{schema.Train, schema.Train, schema.Val} {
		for ci, class := range classes {
			var buf bytes.Buffer
			png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4)))
			src := sha256.Sum256([]byte(class)) // the source file's checksum
			s := &writer.Sample{Record: schema.Record{
				ID: fmt.Sprintf("%s_%d", class, i), Split: split, Class: class, ClassIndex: ci,
				Source: class + ".png", SourceSHA256: hex.EncodeToString(src[:]), Variant: i,
				Width: 4, Height: 4, Channels: 1, BitDepth: 8,
			}, Data: buf.Bytes()}
			if err := out.Put(ctx, s); err != nil {
				out.Abort()
				fmt.Println(err)
				return
			}
		}
	}
	card := &schema.Card{Tool: "example", SplitLevel: map[string]string{"cat": schema.LevelVariant, "dog": schema.LevelVariant}}
	if err := out.Commit(card); err != nil {
		out.Abort()
		fmt.Println(err)
		return
	}
	fmt.Println(card.Classes, card.Splits, card.Total, card.Counts["dog"])

	rep, err := dataset.Verify(ctx, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verify OK:", rep.OK(), "files checked:", rep.Checked)
	// Output:
	// [cat dog] [train val] 6 map[train:2 val:1]
	// verify OK: true files checked: 6
}

// A sample that does not fit what the writer was opened with is refused
// at Put, naming the sample and the field.
func ExampleOut_Put_refused() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "writer-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	out, err := writer.Open(ctx, filepath.Join(tmp, "out"), writer.Options{Classes: []string{"cat", "dog"}, Fingerprint: "example-2"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer out.Abort()
	err = out.Put(ctx, &writer.Sample{Record: schema.Record{ID: "dog_0", Split: schema.Train, Class: "dog", ClassIndex: 0}})
	fmt.Println(err)
	// Output:
	// sample "dog_0": class_index 0 does not match class "dog", which is 1 in the sorted class list
}
