package train_test

import (
	"context"
	"fmt"
	"image"

	"github.com/augsplit/augsplit/train"
)

// Fit a tiny set from Go: two classes of 8x8 grey images (a bright
// left or right half), two epochs of the bundled CNN. Real data comes
// from train.LoadSplits on a generated dataset.
func ExampleFit() {
	classes := []string{"left", "right"}
	trainSet := train.NewSet(1, 8, 8, classes)
	valSet := train.NewSet(1, 8, 8, classes)
	for i := range 12 {
		for label := range classes {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			for p := range img.Pix {
				x := p % 8
				if (x < 4) == (label == 0) {
					img.Pix[p] = uint8(180 + (p*7+i*13)%70)
				}
			}
			set := trainSet
			if i%4 == 0 {
				set = valSet
			}
			if err := set.Add(img, label); err != nil {
				fmt.Println(err)
				return
			}
		}
	}

	cfg := train.DefaultConfig()
	cfg.Size, cfg.Blocks, cfg.Filters, cfg.Dense = 8, 1, 2, 8
	cfg.Epochs = 2
	res, err := train.Fit(context.Background(), cfg, trainSet, valSet, train.Options{}) // Options{Log: os.Stdout} prints Keras-style epochs
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train", trainSet.N, "val", valSet.N, "classes", res.Model.Classes)
	fmt.Println("epochs run:", len(res.History), "best epoch in range:", res.BestEpoch >= 1 && res.BestEpoch <= cfg.Epochs)
	fmt.Println("val samples per epoch:", res.History[0].ValSeen)
	// Output:
	// train 18 val 6 classes [left right]
	// epochs run: 2 best epoch in range: true
	// val samples per epoch: 6
}
