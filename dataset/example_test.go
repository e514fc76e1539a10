package dataset_test

import (
	"fmt"

	"github.com/augsplit/augsplit/dataset"
)

func ExampleSanitizeName() {
	for _, name := range []string{"round cells", "../etc", "img.final", "Zellen_ä", "ünïcødé 細胞"} {
		fmt.Println(dataset.SanitizeName(name))
	}
	// Output:
	// round_cells
	// etc
	// img_final
	// Zellen_ä
	// ünïcødé_細胞
}

func ExampleCheckSize() {
	err := dataset.CheckSize("bomb.png", 100000, 100000, dataset.DefaultMaxPixels)
	fmt.Println(err)
	// A command that can raise the limit names its flag.
	err.(*dataset.TooLargeError).Flag = "--max-pixels"
	fmt.Println(err)
	// Output:
	// bomb.png: image is 100000x100000 = 10000000000 pixels, over the limit of 67108864 pixels (downscale the image)
	// bomb.png: image is 100000x100000 = 10000000000 pixels, over the limit of 67108864 pixels (raise it with --max-pixels if the file is genuine)
}
