package train

import (
	"bytes"
	"errors"
	"image"
	"math"
	"strings"
	"testing"
)

// FuzzLoadModel feeds mutated model files to the loader: it must refuse
// them with a *ModelError naming the file, or accept a model that builds
// and predicts without a panic.
func FuzzLoadModel(f *testing.F) {
	f.Add(encodeModelFile(f, smallModelFile(nil, false)))
	f.Add(encodeModelFile(f, smallModelFile(func(f *modelFile) { f.Config.Blocks = 1; f.Height = 4 }, true)))
	f.Add(encodeModelFile(f, smallModelFile(func(f *modelFile) { f.Config.Filters = 0 }, true)))
	f.Add(encodeModelFile(f, smallModelFile(func(f *modelFile) { f.Channels = 3; f.Classes = []string{"a", "b", "c"} }, true)))
	f.Add([]byte("not a gob"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := readModel("fuzz.bin", bytes.NewReader(data))
		if err != nil {
			var me *ModelError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), "fuzz.bin") {
				t.Fatalf("error %T %v: want *ModelError naming the file", err, err)
			}
			return
		}
		if int64(m.Height)*int64(m.Width) > 1<<16 {
			return // valid, but too slow to evaluate here
		}
		img := image.NewGray(image.Rect(0, 0, 5, 7))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 31)
		}
		p, err := m.Predict(img)
		if err != nil {
			return
		}
		var sum float64
		for _, v := range p {
			if math.IsNaN(v) || v < 0 {
				t.Fatalf("probability %v", v)
			}
			sum += v
		}
		if len(p) != len(m.Classes) || math.Abs(sum-1) > 1e-3 {
			t.Fatalf("probabilities %v for %d classes", p, len(m.Classes))
		}
	})
}
