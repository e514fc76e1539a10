package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/split"
)

// withSources names the sources of s: consecutive runs of per samples of
// one class share a source ("<class>-<k>"), like variants of one image.
func withSources(s *Set, per int) *Set {
	s.Sources = make([]string, s.N)
	count := map[int]int{}
	for i, l := range s.Labels {
		s.Sources[i] = fmt.Sprintf("%s-%d", s.Classes[l], count[l]/per)
		count[l]++
	}
	return s
}

func TestSetSourcesSurviveSubsetAndAppend(t *testing.T) {
	s := withSources(shapesSet(2, 4, 16, 1), 2)
	sub := s.Subset([]int{1, 3, 5})
	if want := []string{s.Sources[1], s.Sources[3], s.Sources[5]}; !slices.Equal(sub.Sources, want) {
		t.Errorf("subset sources %q, want %q", sub.Sources, want)
	}
	plain := shapesSet(2, 1, 16, 2) // no source names: each sample its own
	if err := sub.Append(plain); err != nil {
		t.Fatal(err)
	}
	if sub.N != 5 || len(sub.Sources) != 5 || sub.SourceID(3) == sub.SourceID(4) || sub.SourceID(3) == "" {
		t.Errorf("after append: %d samples, sources %q", sub.N, sub.Sources)
	}
	if got := DescribeVal(nil, plain).Sources; got != 2 {
		t.Errorf("a set without source names has %d sources, want one per image (2)", got)
	}
}

func TestMetricsJSONLKeysAndHoldout(t *testing.T) {
	cfg := quickConfig(16)
	cfg.Epochs = 3
	dir := t.TempDir()
	trainSet := withSources(shapesSet(3, 8, 16, 1), 2)
	valSet := withSources(shapesSet(3, 4, 16, 2), 2) // 6 sources of 2 images
	hold := shapesSet(3, 2, 16, 3)
	res, err := Fit(context.Background(), cfg, trainSet, valSet, Options{RunDir: dir, Holdout: hold, HoldoutEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3", len(lines))
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "lr_effective",
			"train_samples", "val_samples", "val_sources", "val_accuracy_ci", "seconds"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d has no %q: %s", i+1, k, l)
			}
		}
		if m["val_sources"] != float64(6) {
			t.Errorf("line %d: val_sources %v, want 6", i+1, m["val_sources"])
		}
		ci, _ := m["val_accuracy_ci"].([]any)
		if len(ci) != 2 || ci[0].(float64) > m["val_accuracy"].(float64) || ci[1].(float64) < m["val_accuracy"].(float64) {
			t.Errorf("line %d: val_accuracy_ci %v does not hold val_accuracy %v", i+1, ci, m["val_accuracy"])
		}
		// Epoch 2 by --holdout-every 2, epoch 3 as the last.
		_, has := m["holdout_accuracy"]
		if want := i >= 1; has != want {
			t.Errorf("line %d: holdout_accuracy present %v, want %v", i+1, has, want)
		}
	}
	// The existing fields come first and in their old order.
	if !bytes.HasPrefix(lines[0], []byte(`{"epoch":1,"loss":`)) || !bytes.Contains(lines[0], []byte(`"val_samples":12,"val_sources":6,"val_accuracy_ci":[`)) {
		t.Errorf("field order changed: %s", lines[0])
	}
	var sum map[string]any
	if b, err := os.ReadFile(filepath.Join(dir, "summary.json")); err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary.json: %v", err)
	}
	for _, k := range []string{"epoch", "best_epoch", "restore", "val_accuracy", "val_accuracy_ci", "val_sources", "variant_level", "holdout_accuracy", "holdout_ci"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary.json has no %q", k)
		}
	}
	if res.Holdout == nil || res.Holdout.N != 6 || res.HoldoutCI.Sources != 6 {
		t.Errorf("holdout result %+v %+v, want 6 images, each its own source", res.Holdout, res.HoldoutCI)
	}
	if res.ValCI.Sources != 6 || res.ValCI.Accuracy != res.Best.Accuracy {
		t.Errorf("ValCI %+v for best accuracy %v", res.ValCI, res.Best.Accuracy)
	}
}

func TestRestoreLastWritesLastWeights(t *testing.T) {
	cfg := quickConfig(16)
	cfg.Epochs = 3
	cfg.EarlyRestore = false
	dir := t.TempDir()
	res, err := Fit(context.Background(), cfg, shapesSet(3, 8, 16, 1), shapesSet(3, 3, 16, 2), Options{RunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(filepath.Join(dir, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Epoch != 3 || res.Model.Epoch != 3 {
		t.Errorf("restore last: model.bin epoch %d, returned epoch %d; want 3", m.Epoch, res.Model.Epoch)
	}
	var sum bytes.Buffer
	WriteSummary(&sum, cfg, res, nil, "")
	if !strings.HasPrefix(sum.String(), "last epoch 3: ") {
		t.Errorf("summary %q does not name the last epoch", sum.String())
	}
}

func TestSummaryNamesVariantLevel(t *testing.T) {
	val := withSources(shapesSet(3, 4, 16, 2), 4) // one source per class
	levels := map[string]string{"square": "variant", "hbar": "variant", "vbar": "variant"}
	p := DescribeVal(levels, val)
	if p.Sources != 3 || p.PerClass["hbar"] != 1 || !p.Variant() {
		t.Fatalf("provenance %+v", p)
	}
	res := &Result{BestEpoch: 2, Best: &Evaluation{Accuracy: 1, Loss: 0.1}, History: make([]EpochMetrics, 20)}
	res.ValCI.Sources, res.ValCI.Lo, res.ValCI.Hi = 3, 0.3, 1
	var b bytes.Buffer
	WriteSummary(&b, DefaultConfig(), res, p, "")
	out := b.String()
	for _, want := range []string{
		"validated on 3 sources (12 images), 1 per class; split level: variant for all 3 classes",
		"interval over 3 sources: [0.3000, 1.0000] (t-interval over sources): not an estimate of accuracy on new images",
		"NOT an estimate of accuracy on new images: all 3 classes were split at variant level",
		"near-duplicates of training images",
		"--cv K", "--holdout DIR", "3 or more per class",
		// Best epoch 2 of 20 chosen on 3 sources.
		"the best epoch (2 of 20) was chosen by val_loss measured on only 3 sources",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}

	// Source-level data: no caveat, and a late best epoch: no warning.
	levels = map[string]string{"square": "source", "hbar": "source", "vbar": "variant"}
	p = DescribeVal(levels, val)
	res.BestEpoch = 15
	b.Reset()
	WriteSummary(&b, DefaultConfig(), res, p, "")
	out = b.String()
	if !strings.Contains(out, "1 of 3 classes (vbar) were split at variant level") || strings.Contains(out, "best epoch (") {
		t.Errorf("mixed levels, late best epoch:\n%s", out)
	}
	levels["vbar"] = "source"
	b.Reset()
	WriteSummary(&b, DefaultConfig(), res, DescribeVal(levels, val), "")
	if out := b.String(); strings.Contains(out, "NOT an estimate") || !strings.Contains(out, "split level: source for all 3 classes") {
		t.Errorf("source level:\n%s", out)
	}
}

func TestSelectionWarning(t *testing.T) {
	res := func(best, ran int) *Result { return &Result{BestEpoch: best, History: make([]EpochMetrics, ran)} }
	for _, tc := range []struct {
		best, ran, sources int
		restore, want      bool
	}{
		{1, 30, 10, true, true},
		{3, 30, 10, true, true},   // within the first tenth
		{4, 30, 10, true, false},  // past it
		{2, 30, 40, true, false},  // enough sources
		{2, 30, 10, false, false}, // --restore last: nothing was chosen
		{2, 2, 10, true, false},   // the best is the last epoch
	} {
		got := SelectionWarning(res(tc.best, tc.ran), tc.sources, tc.restore) != ""
		if got != tc.want {
			t.Errorf("best %d of %d on %d sources (restore best %v): warning %v, want %v", tc.best, tc.ran, tc.sources, tc.restore, got, tc.want)
		}
	}
}

// cvSet is 3 classes x 6 sources x 3 variants.
func cvSet() *Set { return withSources(shapesSet(3, 18, 16, 1), 3) }

func TestCrossValidateWritesCVJSONAndIsOrderFree(t *testing.T) {
	cfg := quickConfig(16)
	cfg.Epochs = 2
	all := cvSet()
	var runs [2][]byte
	for i, par := range []int{1, 3} {
		dir := t.TempDir()
		r, err := CrossValidate(context.Background(), cfg, all, CVOptions{K: 3, Parallel: par, RunDir: dir, Final: i == 0})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "cv.json"))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// --cv-final adds its epochs and files; compare the rest.
			if r.Final == nil || r.FinalEpochs < 1 {
				t.Errorf("no final model: %+v", r)
			}
			if _, err := os.Stat(filepath.Join(dir, "final", "model.bin")); err != nil {
				t.Error(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"folds", "sources", "accuracy", "ci", "per_fold", "per_source"} {
				if _, ok := m[k]; !ok {
					t.Errorf("cv.json has no %q", k)
				}
			}
			delete(m, "final_epochs")
			b, _ = json.Marshal(m)
			if r.Folds != 3 || r.Sources != 18 || len(r.PerFold) != 3 || len(r.PerSource) != 18 {
				t.Errorf("cv: %d folds, %d sources, %d per fold, %d per source", r.Folds, r.Sources, len(r.PerFold), len(r.PerSource))
			}
			// Every source validated exactly once, in a fold of its own.
			seen := map[string]int{}
			n := 0
			for _, s := range r.PerSource {
				seen[s.Source]++
				n += s.Samples
			}
			if len(seen) != 18 || n != all.N {
				t.Errorf("%d distinct sources over %d samples, want 18 and %d", len(seen), n, all.N)
			}
			for _, f := range r.PerFold {
				if f.ValSources != 6 || f.TrainSamples+f.ValSamples != all.N || f.CI[0] > f.Accuracy || f.CI[1] < f.Accuracy {
					t.Errorf("fold %+v", f)
				}
			}
			if r.CI[0] > r.Accuracy || r.CI[1] < r.Accuracy || math.IsNaN(r.Accuracy) {
				t.Errorf("pooled %v with interval %v", r.Accuracy, r.CI)
			}
			for _, f := range []string{"cv.png", "fold-1/metrics.jsonl", "fold-3/model.bin"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Error(err)
				}
			}
		} else {
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			b, _ = json.Marshal(m)
		}
		runs[i] = b
	}
	if !bytes.Equal(runs[0], runs[1]) {
		t.Errorf("cv.json differs between folds one after another and three at once:\n%s\n---\n%s", runs[0], runs[1])
	}
}

func TestCrossValidateOneSourcePerClass(t *testing.T) {
	all := withSources(shapesSet(3, 6, 16, 1), 6) // the user's case
	_, err := CrossValidate(context.Background(), quickConfig(16), all, CVOptions{K: 3})
	var fe *split.FoldError
	if !errors.As(err, &fe) || fe.Groups != 1 {
		t.Errorf("got %v, want a *split.FoldError for a class with 1 source", err)
	}
}

func TestSourceReport(t *testing.T) {
	s := withSources(shapesSet(2, 4, 16, 1), 2) // 4 sources of 2
	ev := &Evaluation{Correct: []bool{true, true, true, false, false, false, true, true}}
	// Samples interleave classes: 0 square-0, 1 hbar-0, 2 square-0, 3 hbar-0, ...
	out := SourceReport(s, ev)
	for _, want := range []string{"hbar-0", "square-1", "over 4 sources"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "accuracy 0.6250") {
		t.Errorf("report accuracy wrong:\n%s", out)
	}
}
