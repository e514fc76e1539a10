package generate_test

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/generate"
)

// What `augsplit generate --in SRC --out OUT --per-source 4 --val 0.5`
// does, from Go: a folder per class of source images in, a verified
// dataset out. Sources stay whole: a class with two sources puts one in
// train and one in val.
func ExampleRun() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "generate-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "src")
	for c, class := range []string{"round", "spiky"} {
		os.MkdirAll(filepath.Join(src, class), 0o755)
		for i := range 2 {
			img := image.NewGray(image.Rect(0, 0, 16, 16))
			for p := range img.Pix {
				img.Pix[p] = uint8(p*(i+1) + c*100)
			}
			f, err := os.Create(filepath.Join(src, class, fmt.Sprintf("%s-%d.png", class, i)))
			if err != nil {
				fmt.Println(err)
				return
			}
			png.Encode(f, img)
			f.Close()
		}
	}

	cfg := generate.Defaults()
	cfg.In, cfg.Out = src, filepath.Join(tmp, "out")
	cfg.PerSource, cfg.Val = 4, 0.5
	card, err := generate.Run(ctx, cfg, generate.Options{}) // Options{Log: os.Stderr} shows warnings
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("classes:", card.Classes, "splits:", card.Splits)
	for _, class := range card.Classes {
		fmt.Printf("%s: %v, split by %s\n", class, card.Counts[class], card.SplitLevel[class])
	}
	fmt.Println("total:", card.Total) // 2 classes x 2 sources x 4 variants

	rep, err := dataset.Verify(ctx, cfg.Out)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verify OK:", rep.OK())
	// Output:
	// classes: [round spiky] splits: [train val]
	// round: map[train:4 val:4], split by source
	// spiky: map[train:4 val:4], split by source
	// total: 16
	// verify OK: true
}
