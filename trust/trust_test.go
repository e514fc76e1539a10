package trust

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// outcomes makes one source per accuracy, each of n samples; accuracies
// must be multiples of 1/n.
func outcomes(n int, acc ...float64) []Outcome {
	var out []Outcome
	for i, a := range acc {
		out = append(out, Outcome{Source: fmt.Sprintf("s%02d", i), Samples: n, Correct: int(math.Round(a * float64(n)))})
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// The expected numbers below were computed by hand (Python, math module
// only) from the formulas in the package doc, with t(0.975, 9) = 2.2621571627
// and t(0.975, 3) = 3.1824463053 from a table.
func TestEstimateBimodalSources(t *testing.T) {
	// The per-source accuracies the issue saw on one val set: 10 sources of 100.
	iv := Estimate(outcomes(100, 0, 0, 0, 0, 0, .08, .97, 1, 1, 1))
	if iv.Sources != 10 || iv.Samples != 1000 {
		t.Fatalf("sources %d samples %d, want 10 and 1000", iv.Sources, iv.Samples)
	}
	if !near(iv.Accuracy, 0.405) || !near(iv.Lo, 0.0428153645) || !near(iv.Hi, 0.7671846355) || iv.Note != "" {
		t.Errorf("got %+v, want 0.405 [0.0428154, 0.7671846]", iv)
	}
	// The same outcomes treated as 1000 independent samples would give a
	// binomial interval of about ±0.03: the point of the package.
	if iv.Hi-iv.Lo < 0.6 {
		t.Errorf("interval %v is too narrow for 10 sources", iv.CI())
	}
}

func TestEstimateUnequalSourcesIsRatio(t *testing.T) {
	outs := []Outcome{{"a", "", 10, 10}, {"b", "", 20, 10}, {"c", "", 30, 15}, {"d", "", 40, 0}}
	iv := Estimate(outs)
	// Pooled 35/100, not the mean of per-source accuracies (0.5).
	if !near(iv.Accuracy, 0.35) {
		t.Errorf("accuracy %v, want pooled 0.35", iv.Accuracy)
	}
	// 0.35 - 3.1824463*0.1888562 < 0: clipped at 0.
	if iv.Lo != 0 || !near(iv.Hi, 0.9510247360) {
		t.Errorf("interval %v, want [0, 0.9510247]", iv.CI())
	}
}

func TestEstimateDegenerate(t *testing.T) {
	iv := Estimate(nil)
	if iv.Sources != 0 || !math.IsNaN(iv.Accuracy) || !math.IsNaN(iv.Lo) {
		t.Errorf("no sources: %+v", iv)
	}
	iv = Estimate(outcomes(60, 0.5))
	if iv.Lo != 0 || iv.Hi != 1 || iv.Accuracy != 0.5 || !strings.Contains(iv.Note, "one source") {
		t.Errorf("one source: %+v, want [0, 1] with a note", iv)
	}
	// All right on 10 sources: [0.025^(1/10), 1] = [0.6915029, 1], not [1, 1].
	iv = Estimate(outcomes(60, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1))
	if iv.Accuracy != 1 || !near(iv.Lo, 0.6915028922) || iv.Hi != 1 || !strings.Contains(iv.Note, "all 10 sources entirely right") {
		t.Errorf("all right: %+v", iv)
	}
	// All wrong on 3 sources: [0, 1 - 0.025^(1/3)] = [0, 0.7075982].
	iv = Estimate(outcomes(60, 0, 0, 0))
	if iv.Lo != 0 || !near(iv.Hi, 0.7075982262) || !strings.Contains(iv.Note, "entirely wrong") {
		t.Errorf("all wrong: %+v", iv)
	}
	// Sources of different sizes at the same accuracy agree too.
	iv = Estimate([]Outcome{{"a", "", 10, 5}, {"b", "", 20, 10}})
	if iv.Lo != 0.5 || iv.Hi != 0.5 || !strings.Contains(iv.Note, "scored the same") {
		t.Errorf("equal accuracies: %+v", iv)
	}
	// Sources without samples do not count.
	iv = Estimate(append(outcomes(10, 1, 0), Outcome{Source: "empty"}))
	if iv.Sources != 2 {
		t.Errorf("an empty source was counted: %+v", iv)
	}
}

func TestEstimateShrinksWithSources(t *testing.T) {
	// The same mix of right and wrong sources, four times as many: the
	// interval should be about half as wide (1/sqrt(m)).
	few := Estimate(outcomes(20, 0, 1, 0, 1, .5, 0, 1, .5))
	var acc []float64
	for range 4 {
		acc = append(acc, 0, 1, 0, 1, .5, 0, 1, .5)
	}
	many := Estimate(outcomes(20, acc...))
	if !near(few.Accuracy, many.Accuracy) {
		t.Fatalf("accuracies differ: %v vs %v", few.Accuracy, many.Accuracy)
	}
	ratio := (many.Hi - many.Lo) / (few.Hi - few.Lo)
	if ratio < 0.4 || ratio > 0.5 {
		t.Errorf("width ratio %.3f for 4x the sources, want about 0.45 (1/2 and a smaller t)", ratio)
	}
}

func TestBySource(t *testing.T) {
	sources := []string{"b", "a", "b", "a", "c"}
	classes := []string{"x", "y", "x", "y", "x"}
	correct := []bool{true, false, true, true, false}
	got := BySource(sources, classes, correct)
	want := []Outcome{{"a", "y", 2, 1}, {"b", "x", 2, 2}, {"c", "x", 1, 0}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if a := got[0].Accuracy(); a != 0.5 {
		t.Errorf("accuracy %v, want 0.5", a)
	}
	if s := Estimate(got).String(); !strings.HasPrefix(s, "0.6000 [") || !strings.HasSuffix(s, "over 3 sources") {
		t.Errorf("String() = %q", s)
	}
}
