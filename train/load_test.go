package train

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
)

// stripe returns a size x size image of kind ("gray8" or "rgb") with a
// bright row r.
func stripe(kind string, size, r int) image.Image {
	rect := image.Rect(0, 0, size, size)
	var img draw.Image = image.NewGray(rect)
	if kind == "rgb" {
		img = image.NewRGBA(rect)
	}
	for y := range size {
		for x := range size {
			v := uint8(20)
			if y == r%size {
				v = 230
			}
			img.Set(x, y, color.NRGBA{v, v / 2, 255 - v, 255})
		}
	}
	return img
}

// TestLoadSplitsWidensGrey: colour only in val, so train's grey images,
// read first, are widened too, each plane equal to the grey image; a
// model's channels (eval) are kept.
func TestLoadSplitsWidensGrey(t *testing.T) {
	only := t.TempDir()
	filetest.WritePNG(t, filepath.Join(only, "train", "x", "0.png"), stripe("gray8", 8, 3))
	filetest.WritePNG(t, filepath.Join(only, "val", "x", "0.png"), stripe("rgb", 8, 3))
	d, err := LoadSplits(context.Background(), only, []string{"train", "val"}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := d.Sets["train"]
	if tr.C != 3 || d.Sets["val"].C != 3 || len(tr.Images) != 3*64 {
		t.Fatalf("channels train %d val %d, %d bytes; want 3, 3, 192", tr.C, d.Sets["val"].C, len(tr.Images))
	}
	if want := filepath.Join(only, "val", "x", "0.png"); d.WidenedAt != want {
		t.Errorf("WidenedAt = %q, want %q", d.WidenedAt, want)
	}
	grey := stripe("gray8", 8, 3).(*image.Gray).Pix
	for p := range 3 {
		if !bytes.Equal(tr.Images[p*64:(p+1)*64], grey) {
			t.Errorf("plane %d of the widened grey image differs from the grey pixels", p)
		}
	}
	d, err = LoadSplits(context.Background(), only, []string{"train", "val"}, LoadOptions{Size: 8, Channels: 1})
	if err != nil || d.Sets["val"].C != 1 || d.WidenedAt != "" {
		t.Errorf("LoadSplits with channels 1: %v, %+v", err, d)
	}
	all, from := d.All()
	if all.N != 2 || strings.Join(from, ",") != "train,val" {
		t.Errorf("All: %d samples from %q, want 2 from train,val", all.N, from)
	}
}

func TestLoadSplitsNamesFilesOfAnotherSize(t *testing.T) {
	data := t.TempDir()
	filetest.WritePNG(t, filepath.Join(data, "train", "a", "0.png"), stripe("gray8", 16, 0))
	filetest.WritePNG(t, filepath.Join(data, "train", "b", "0.png"), stripe("gray8", 20, 0))
	_, err := LoadSplits(context.Background(), data, []string{"train"}, LoadOptions{})
	want := filepath.Join(data, "train", "b", "0.png") + " is 20x20 but " + filepath.Join(data, "train", "a", "0.png") + " is 16x16"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want it to contain %q", err, want)
	}
	d, err := LoadSplits(context.Background(), data, []string{"train"}, LoadOptions{Size: 12})
	if err != nil || d.Sets["train"].H != 12 || d.Sets["train"].N != 2 {
		t.Errorf("Size 12: %v", err)
	}
}

func TestLoadSplitsSourceFolder(t *testing.T) {
	src := t.TempDir()
	for _, c := range []string{"a", "b"} {
		filetest.WritePNG(t, filepath.Join(src, c, "0.png"), stripe("gray8", 8, 1))
	}
	_, err := LoadSplits(context.Background(), src, []string{"train", "val"}, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "this looks like a source folder") ||
		!strings.Contains(err.Error(), "augsplit generate --in "+src+" --out OUT") {
		t.Errorf("source folder: got %v", err)
	}
	// A split dataset is not mistaken for one.
	data := t.TempDir()
	for _, sp := range []string{"train", "val"} {
		for _, c := range []string{"a", "b"} {
			filetest.WritePNG(t, filepath.Join(data, sp, c, "0.png"), stripe("gray8", 8, 1))
		}
	}
	if err := sourceTreeError(data, []string{"train", "val"}); err != nil {
		t.Errorf("split dataset taken for a source folder: %v", err)
	}
	if got := SplitsOf(data); strings.Join(got, ",") != "train,val" {
		t.Errorf("SplitsOf = %q, want train,val", got)
	}
}

func TestTopK(t *testing.T) {
	cfg := quickConfig(16)
	cfg.Epochs = 1
	res, err := fitQuiet(cfg, shapesSet(3, 4, 16, 1), shapesSet(3, 1, 16, 2))
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	probs, err := res.Model.Predict(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 2, 3, 10} {
		top, err := res.Model.TopK(img, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(top) != min(k, 3) {
			t.Fatalf("TopK(%d) gave %d classes", k, len(top))
		}
		for i, c := range top {
			j := indexOfClass(res.Model.Classes, c.Class)
			if c.Prob != probs[j] {
				t.Errorf("TopK(%d)[%d] = %+v, model says %v", k, i, c, probs[j])
			}
			if i > 0 && c.Prob > top[i-1].Prob {
				t.Errorf("TopK(%d) not in descending order: %+v", k, top)
			}
		}
	}
}

func indexOfClass(classes []string, c string) int {
	for i, n := range classes {
		if n == c {
			return i
		}
	}
	panic(fmt.Sprintf("no class %q", c))
}
