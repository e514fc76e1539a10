package train

import (
	"bytes"
	"encoding/gob"
	"errors"
	"image"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// smallModelFile is a valid model file of a tiny network: 8x8 grey input,
// two blocks of two filters, four dense units, two classes. refill
// recomputes names, shapes and tensors for the header after mod, so that
// only the header is wrong (the tensors always match it); otherwise mod
// sees (and may break) the valid tensors.
func smallModelFile(mod func(*modelFile), refill bool) *modelFile {
	cfg := DefaultConfig()
	cfg.Filters, cfg.Blocks, cfg.Dense, cfg.Size = 2, 2, 4, 8
	f := &modelFile{Format: modelFormat, Config: cfg, Classes: []string{"a", "b"}, Channels: 1, Height: 8, Width: 8, Epoch: 1}
	fill := func() {
		a := archOf(f.Config, f.Channels, f.Height, f.Width, len(f.Classes))
		f.Names, f.Shapes, f.Params, f.BNMean, f.BNVar = nil, nil, nil, nil, nil
		for i, w := range a.initParams(1) {
			s := a.specs()[i]
			f.Names = append(f.Names, s.Name)
			f.Shapes = append(f.Shapes, s.Shape)
			f.Params = append(f.Params, toF32(w))
		}
		for range a.Blocks {
			f.BNMean = append(f.BNMean, make([]float32, a.Filters))
			v := make([]float32, a.Filters)
			for i := range v {
				v[i] = 1
			}
			f.BNVar = append(f.BNVar, v)
		}
	}
	fill()
	if mod != nil {
		mod(f)
		if refill {
			fill()
		}
	}
	return f
}

func encodeModelFile(t testing.TB, f *modelFile) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadValidSmallModel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "model.bin")
	if err := writeFileAtomic(p, encodeModelFile(t, smallModelFile(nil, false))); err != nil {
		t.Fatal(err)
	}
	m, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	probs, err := m.Predict(image.NewGray(image.Rect(0, 0, 8, 8)))
	if err != nil || len(probs) != 2 {
		t.Fatalf("Predict: %v, %v", probs, err)
	}
}

// A crafted model.bin is refused by Load with an error naming the file,
// before a graph is built from it: each of these panicked, ran out of
// memory or printed NaN probabilities once.
func TestLoadRefusesCraftedModels(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		mod    func(*modelFile)
		refill bool
		want   string
	}{
		{"blocks -1 (negative shift)", func(f *modelFile) { f.Config.Blocks = -1 }, false, "blocks is -1"},
		{"H=W=2^30 (makeslice out of range)", func(f *modelFile) { f.Height, f.Width, f.Config.Blocks = 1<<30, 1<<30, 30 }, true, "height is 1073741824"},
		{"H=W=65536 (asks for 128 GiB)", func(f *modelFile) { f.Height, f.Width, f.Config.Blocks = 65536, 65536, 16 }, true, "height is 65536"},
		{"H=W=4096 with 256 filters (eval graph too large)", func(f *modelFile) {
			f.Height, f.Width, f.Config.Blocks, f.Config.Filters = 4096, 4096, 12, 256
		}, true, "needs"},
		{"filters 0", func(f *modelFile) { f.Config.Filters = 0 }, true, "filters is 0"},
		{"dense 0", func(f *modelFile) { f.Config.Dense = 0 }, true, "dense is 0"},
		{"NaN weight", func(f *modelFile) { f.Params[0][3] = nan }, false, "conv1 value 3 is NaN"},
		{"infinite dense weight", func(f *modelFile) { f.Params[len(f.Params)-2][0] = float32(math.Inf(1)) }, false, "out_kernel value 0"},
		{"NaN batch-norm mean", func(f *modelFile) { f.BNMean[1][0] = nan }, false, "batch-norm 2 mean"},
		{"negative variance", func(f *modelFile) { f.BNVar[0][1] = -1 }, false, "variance"},
		{"one class", func(f *modelFile) { f.Classes = []string{"a"} }, true, "classes is 1"},
		{"duplicate class", func(f *modelFile) { f.Classes = []string{"a", "a"} }, false, "distinct"},
		{"escape sequence in a class name", func(f *modelFile) { f.Classes = []string{"a", "b\x1b[31mRED"} }, false, "control characters"},
		{"4 channels", func(f *modelFile) { f.Channels = 4 }, true, "channels is 4"},
		{"NaN epsilon", func(f *modelFile) { f.Config.BNEpsilon = math.NaN() }, false, "bn_epsilon"},
		{"shape swapped", func(f *modelFile) { f.Shapes[0] = []int{1, 2, 3, 3} }, false, "tensor 1"},
		{"name changed", func(f *modelFile) { f.Names[1] = "bn1_beta" }, false, "tensor 2"},
		{"tensor too short", func(f *modelFile) { f.Params[2] = f.Params[2][:1] }, false, "bn1_beta has 1 values"},
		{"tensor missing", func(f *modelFile) { f.Params = f.Params[:3] }, false, "parameter tensors"},
		{"wrong format", func(f *modelFile) { f.Format = "augsplit-cnn/0" }, false, "format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "model.bin")
			if err := writeFileAtomic(p, encodeModelFile(t, smallModelFile(tc.mod, tc.refill))); err != nil {
				t.Fatal(err)
			}
			m, err := Load(p)
			var me *ModelError
			if !errors.As(err, &me) {
				t.Fatalf("Load = %v, %v; want *ModelError", m != nil, err)
			}
			if msg := err.Error(); !strings.Contains(msg, p) || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not name the file and %q", msg, tc.want)
			}
		})
	}
}

// Finite but huge weights overflow: the probabilities are refused, not
// printed as NaN.
func TestPredictRefusesNonFiniteOutput(t *testing.T) {
	f := smallModelFile(func(f *modelFile) {
		for i := range f.Params {
			for j := range f.Params[i] {
				f.Params[i][j] = 3e38
			}
		}
	}, false)
	m, err := readModel("model.bin", bytes.NewReader(encodeModelFile(t, f)))
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	if p, err := m.Predict(img); err == nil {
		t.Fatalf("Predict = %v, want an error for non-finite probabilities", p)
	}
}
