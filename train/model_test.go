package train

import (
	"context"
	"errors"
	"image"
	"math"
	"path/filepath"
	"testing"
)

// trainedModel fits a quick 16 px model for two epochs.
func trainedModel(t *testing.T) (*Model, *Result, *Set) {
	t.Helper()
	cfg := quickConfig(16)
	trainSet := shapesSet(3, 8, 16, 1)
	valSet := shapesSet(3, 5, 16, 2)
	res, err := Fit(context.Background(), cfg, trainSet, valSet, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Model, res, valSet
}

func TestBatchNormEvalUsesRunningStats(t *testing.T) {
	m, _, valSet := trainedModel(t)
	for i := range m.bnMean {
		for c := range m.bnMean[i] {
			if m.bnMean[i][c] == 0 && m.bnVar[i][c] == 1 {
				t.Errorf("bn%d channel %d still has the initial statistics 0/1: not updated by training", i+1, c)
			}
		}
	}
	first, err := m.PredictSet(valSet)
	if err != nil {
		t.Fatal(err)
	}
	again, err := m.PredictSet(valSet)
	if err != nil {
		t.Fatal(err)
	}
	// The same samples in another batch composition: reversed, and alone.
	rev := make([]int, valSet.N)
	for i := range rev {
		rev[i] = valSet.N - 1 - i
	}
	reversed, err := m.PredictSet(valSet.Subset(rev))
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		alone, err := m.PredictSet(valSet.Subset([]int{i}))
		if err != nil {
			t.Fatal(err)
		}
		for k := range first[i] {
			if again[i][k] != first[i][k] {
				t.Fatalf("sample %d class %d: %v then %v on the same batch", i, k, first[i][k], again[i][k])
			}
			if d := math.Abs(reversed[valSet.N-1-i][k] - first[i][k]); d > 1e-6 {
				t.Errorf("sample %d class %d: %v in order, %v reversed", i, k, first[i][k], reversed[valSet.N-1-i][k])
			}
			if d := math.Abs(alone[0][k] - first[i][k]); d > 1e-6 {
				t.Errorf("sample %d class %d: %v in a batch, %v alone", i, k, first[i][k], alone[0][k])
			}
		}
	}
}

func TestEvaluateCountsRealSamplesOnly(t *testing.T) {
	m, _, _ := trainedModel(t)
	for _, n := range []int{1, 3, 31, 33} { // around the evaluation batch of 32
		s := shapesSet(3, (n+2)/3, 16, 9).Subset(seq(n))
		ev, err := Evaluate(m, s)
		if err != nil {
			t.Fatal(err)
		}
		probs, err := m.PredictSet(s)
		if err != nil {
			t.Fatal(err)
		}
		var loss float64
		correct := 0
		for i, p := range probs {
			loss -= math.Log(p[s.Labels[i]])
			if argmax(p) == s.Labels[i] {
				correct++
			}
		}
		loss /= float64(n)
		if ev.N != n || math.Abs(ev.Loss-loss) > 1e-5 || ev.Accuracy != float64(correct)/float64(n) {
			t.Errorf("n=%d: evaluation N=%d loss %.6f acc %.4f, per sample loss %.6f acc %.4f",
				n, ev.N, ev.Loss, ev.Accuracy, loss, float64(correct)/float64(n))
		}
		support := 0
		for _, v := range ev.Support {
			support += v
		}
		if support != n {
			t.Errorf("n=%d: confusion matrix holds %d samples", n, support)
		}
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestEvaluateMatchesClassesByName(t *testing.T) {
	m, _, valSet := trainedModel(t)
	want, err := Evaluate(m, valSet)
	if err != nil {
		t.Fatal(err)
	}
	// The same samples with the class list reversed and labels remapped.
	s := valSet.Subset(seq(valSet.N))
	s.Classes = []string{"vbar", "hbar", "square"}
	for i, l := range s.Labels {
		s.Labels[i] = 2 - l
	}
	got, err := Evaluate(m, s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Accuracy != want.Accuracy || got.Loss != want.Loss {
		t.Errorf("remapped classes: acc %.4f loss %.6f, want %.4f %.6f", got.Accuracy, got.Loss, want.Accuracy, want.Loss)
	}
	s.Classes = []string{"vbar", "hbar", "triangle"}
	_, err = Evaluate(m, s)
	var uce *UnknownClassError
	if !errors.As(err, &uce) || uce.Class != "triangle" {
		t.Errorf("unknown class: got %v, want *UnknownClassError naming triangle", err)
	}
}

func TestPredictResizesAndSumsToOne(t *testing.T) {
	m, _, _ := trainedModel(t)
	img := image.NewGray(image.Rect(5, 5, 45, 45)) // larger, bounds not at 0
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	p, err := m.Predict(img)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range p {
		sum += v
	}
	if len(p) != 3 || math.Abs(sum-1) > 1e-5 {
		t.Errorf("probabilities %v: want 3 summing to 1", p)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.bin")
	if err := writeFileAtomic(bad, []byte("not a gob")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, filepath.Join(dir, "missing.bin")} {
		if _, err := Load(p); err == nil {
			t.Errorf("Load(%s): no error", p)
		}
	}
}
