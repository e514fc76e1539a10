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

// TestGoldenRGB is TestGolden on a colour picture for the transforms that
// treat colour differently (color_jitter's saturation and hue) or fill it
// (coarse_dropout), and one warp (perspective). Files: rgb_<name>.png.
func TestGoldenRGB(t *testing.T) {
	src := toNRGBA(synthetic(32))
	for _, tr := range allTransforms() {
		switch tr.Name() {
		case "color_jitter", "coarse_dropout", "perspective":
		default:
			continue
		}
		t.Run(tr.Name(), func(t *testing.T) {
			img, _ := tr.Apply(src, NewRand(7, "golden", 1))
			got := img.(*image.NRGBA)
			path := filepath.Join("testdata", "golden", "rgb_"+tr.Name()+".png")
			if *update {
				var buf bytes.Buffer
				if err := png.Encode(&buf, got); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			defer f.Close()
			want, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			// An opaque NRGBA is stored as RGB and read back as RGBA.
			w := normalize(want).(*image.NRGBA)
			if w.Rect != got.Rect || !bytes.Equal(w.Pix, got.Pix) {
				t.Errorf("pixels differ from %s; if the change is intended, rerun with -update and check the image", path)
			}
		})
	}
}
