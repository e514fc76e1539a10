package augment

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/golden")

// TestGolden renders every transform (and the default pipeline) on the fixed
// synthetic image with a fixed seed and compares the pixels with the stored
// PNG. Regenerate with: go test ./augment -run TestGolden -update, and look
// at the images before committing them.
func TestGolden(t *testing.T) {
	src := synthetic(32)
	cases := map[string]func() image.Image{}
	for _, tr := range allTransforms() {
		cases[tr.Name()] = func() image.Image {
			img, _ := tr.Apply(src, NewRand(7, "golden", 1))
			return img
		}
	}
	cases["default_pipeline"] = func() image.Image {
		img, _ := DefaultPipeline().Apply(src, NewRand(7, "golden", 1))
		return img
	}
	cases["source"] = func() image.Image { return src }
	for name, render := range cases {
		t.Run(name, func(t *testing.T) {
			got := asGray(t, render())
			path := filepath.Join("testdata", "golden", name+".png")
			if *update {
				filetest.WritePNG(t, path, got)
				return
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := img.(*image.Gray)
			if !ok || want.Rect != got.Rect {
				t.Fatalf("golden %s is %T %v, want *image.Gray %v", path, img, img.Bounds(), got.Rect)
			}
			diff := 0
			for y := 0; y < got.Rect.Dy(); y++ {
				if !bytes.Equal(got.Pix[y*got.Stride:][:got.Rect.Dx()], want.Pix[y*want.Stride:][:want.Rect.Dx()]) {
					diff++
				}
			}
			if diff > 0 {
				t.Errorf("%d rows differ from %s; if the change is intended, rerun with -update and check the image", diff, path)
			}
		})
	}
}
