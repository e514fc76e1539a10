package train

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestFitLearnsShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few epochs")
	}
	cfg := DefaultConfig()
	cfg.Size, cfg.Blocks, cfg.Epochs = 16, 3, 12
	cfg.LR = 0.01 // ten times the default: a few epochs on 180 images
	trainSet := shapesSet(3, 60, 16, 1)
	valSet := shapesSet(3, 20, 16, 2)
	var log bytes.Buffer
	res, err := Fit(context.Background(), cfg, trainSet, valSet, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + log.String())
	if got := res.Best.Accuracy; got < 0.9 {
		t.Errorf("best val_accuracy %.3f, want >= 0.9", got)
	}
}

func TestFitWritesRunAndReloads(t *testing.T) {
	cfg := quickConfig(16)
	cfg.Epochs = 3
	dir := t.TempDir()
	trainSet := shapesSet(3, 8, 16, 1)
	valSet := shapesSet(3, 5, 16, 2) // 15: not a multiple of the eval batch
	var log bytes.Buffer
	res, err := Fit(context.Background(), cfg, trainSet, valSet, Options{Log: &log, RunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"metrics.jsonl", "curves.png", "confusion.txt", "confusion.png", "model.bin", "last.bin"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", f, err)
		}
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	re := regexp.MustCompile(`^Epoch \d+/3 - \d+s - loss: \d+\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d+\.\d{4} - val_accuracy: \d\.\d{4} - lr: 0\.\d{5}$`)
	if len(lines) != 3 {
		t.Fatalf("log has %d lines, want 3:\n%s", len(lines), log.String())
	}
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("log line %q is not in Keras's form", l)
		}
	}
	m, err := Load(filepath.Join(dir, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Epoch != res.BestEpoch {
		t.Errorf("model.bin epoch %d, want best epoch %d", m.Epoch, res.BestEpoch)
	}
	ev, err := Evaluate(m, valSet)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != res.Best.Accuracy || ev.Loss != res.Best.Loss {
		t.Errorf("reloaded: val loss %.9f acc %.4f, before saving %.9f %.4f", ev.Loss, ev.Accuracy, res.Best.Loss, res.Best.Accuracy)
	}
	if ev.N != 15 {
		t.Errorf("evaluated %d samples, want 15", ev.N)
	}
	total := 0
	for _, r := range ev.Confusion {
		for _, v := range r {
			total += v
		}
	}
	if total != 15 {
		t.Errorf("confusion matrix counts %d samples, want 15 (padding counted?)", total)
	}
}

// TestFitDeterministic trains twice, the second time on one core: 32 px
// planes are large enough for parallelFor to spread the samples of a batch
// over goroutines, and the results must not depend on it.
func TestFitDeterministic(t *testing.T) {
	cfg := quickConfig(32)
	trainSet := shapesSet(3, 6, 32, 1)
	valSet := shapesSet(3, 3, 32, 2)
	var runs [2][]byte
	for i := range runs {
		if i == 1 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		}
		dir := t.TempDir()
		if _, err := Fit(context.Background(), cfg, trainSet, valSet, Options{RunDir: dir}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = withoutSeconds(b)
	}
	if !bytes.Equal(runs[0], runs[1]) {
		t.Errorf("metrics.jsonl differs between two runs:\n%s\n---\n%s", runs[0], runs[1])
	}
	cfg.Seed++
	dir := t.TempDir()
	if _, err := Fit(context.Background(), cfg, trainSet, valSet, Options{RunDir: dir}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "metrics.jsonl")); bytes.Equal(withoutSeconds(b), runs[0]) {
		t.Error("another seed gave the same metrics: is the seed used?")
	}
}

// withoutSeconds drops the one field of metrics.jsonl that is a timing.
func withoutSeconds(b []byte) []byte {
	return regexp.MustCompile(`,"seconds":[0-9.e+-]+`).ReplaceAll(b, nil)
}

func TestFitStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Fit(ctx, quickConfig(16), shapesSet(3, 4, 16, 1), shapesSet(3, 1, 16, 2), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestFitRejectsBadInput(t *testing.T) {
	good := func() *Set { return shapesSet(3, 4, 16, 1) }
	tests := []struct {
		name       string
		trainSet   *Set
		valSet     *Set
		wantSubstr string
	}{
		{"empty validation", good(), NewSet(1, 16, 16, []string{"square", "hbar", "vbar"}), "validation set is empty"},
		{"size mismatch", good(), shapesSet(3, 1, 32, 2), "validation images"},
		{"fewer than a batch", shapesSet(3, 1, 16, 1), good(), "fewer than one batch"},
		{"label out of range", func() *Set { s := good(); s.Labels[0] = 7; return s }(), good(), "label 7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fit(context.Background(), quickConfig(16), tc.trainSet, tc.valSet, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.wantSubstr) {
				t.Errorf("got %v, want an error containing %q", err, tc.wantSubstr)
			}
		})
	}
}

// TestFitInterruptedSavesConsistentRun cancels during epoch 3: Fit must say
// so (unwrapping to context.Canceled) and leave last.bin for epoch 2 and
// the confusion files beside model.bin, as a finished run would.
func TestFitInterruptedSavesConsistentRun(t *testing.T) {
	cfg := quickConfig(16)
	cfg.Epochs = 5
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := Options{RunDir: dir, OnEpoch: func(m EpochMetrics) {
		if m.Epoch == 2 {
			cancel()
		}
	}}
	_, err := Fit(ctx, cfg, shapesSet(3, 8, 16, 1), shapesSet(3, 3, 16, 2), opts)
	var ie *InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want an InterruptedError wrapping context.Canceled", err)
	}
	if ie.Epoch != 3 || ie.BestEpoch < 1 || ie.BestEpoch > 2 || ie.Best == nil {
		t.Errorf("InterruptedError = %+v, want epoch 3 and a best epoch of 1 or 2", ie)
	}
	for _, f := range []string{"model.bin", "last.bin", "metrics.jsonl", "curves.png", "confusion.txt", "confusion.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
	last, err := Load(filepath.Join(dir, "last.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if last.Epoch != 2 {
		t.Errorf("last.bin holds epoch %d, want 2 (the last finished)", last.Epoch)
	}
}
