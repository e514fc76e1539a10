// Package trust says how far an accuracy measured on augmented data can be
// trusted. Its unit of evidence is the source, not the sample: the variants
// of one source are near-duplicates, and a model is usually right on nearly
// all of them or wrong on nearly all of them (per-source accuracies like
// 0, 0, 0, 0, 0, .08, .97, 1, 1, 1 are typical). So 600 validation images
// drawn from 10 sources carry about as much evidence as 10 observations,
// and an interval must be computed over sources.
//
// # Method
//
// Estimate reports the pooled accuracy R = sum(correct)/sum(samples), the
// number train and eval print, with a 95% t-interval over sources:
//
//	R ± t(0.975, m-1) · se,   se² = Σ (c_i - R·n_i)² / (m (m-1) n̄²)
//
// for m sources with n_i samples and c_i correct each (n̄ their mean). This
// is the ratio estimator's (cluster-robust) standard error; when every
// source has the same number of samples, as augsplit's do, it is exactly
// the t-interval over per-source accuracies. The interval is clipped to
// [0, 1].
//
// Why not a cluster bootstrap (resample sources B times, take quantiles)?
// Both covered real held-out accuracy about equally in the measurements
// behind issue 10, but validation sets hold 5-20 sources, and there the
// percentile bootstrap is systematically too narrow: it has no small-sample
// correction (its spread is sqrt((m-1)/m) of the t-interval's and it uses
// z = 1.96 instead of t(m-1) = 2.26 at m = 10), and with all-or-nothing
// sources its resamples can only take a few values. The t-interval is also
// closed-form: deterministic without a seed and free to compute each epoch.
//
// # Degenerate cases
//
//   - No sources: accuracy and bounds are NaN.
//   - One source: there is no spread to measure; the interval is [0, 1]
//     (any accuracy fits one observation) and Note says so.
//   - All sources entirely right (or entirely wrong): the t-interval would
//     have width 0, which m observations cannot support. The interval is
//     then the exact (Clopper-Pearson) binomial one for m all-or-nothing
//     sources: [0.025^(1/m), 1] (or [0, 1-0.025^(1/m)]), e.g. [0.69, 1]
//     for 10 sources, and Note says so.
//   - All sources at the same accuracy strictly between 0 and 1: width 0
//     with a Note; it does not happen with real models.
package trust

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Level is the coverage of every interval in this package.
const Level = 0.95

// Method names the interval, for reports and files.
const Method = "t-interval over sources"

// Outcome is one source's share of an evaluation.
type Outcome struct {
	Source  string `json:"source"`
	Class   string `json:"class,omitempty"`
	Samples int    `json:"samples"`
	Correct int    `json:"correct"`
}

// Accuracy is the source's share of correct samples (NaN without samples).
func (o Outcome) Accuracy() float64 {
	if o.Samples == 0 {
		return math.NaN()
	}
	return float64(o.Correct) / float64(o.Samples)
}

// BySource groups per-sample results into one Outcome per source, sorted by
// source. sources[i], classes[i] and correct[i] describe sample i; classes
// may be nil. A source's class is the one of its first sample.
func BySource(sources, classes []string, correct []bool) []Outcome {
	idx := map[string]int{}
	var out []Outcome
	for i, s := range sources {
		j, ok := idx[s]
		if !ok {
			j = len(out)
			idx[s] = j
			o := Outcome{Source: s}
			if classes != nil {
				o.Class = classes[i]
			}
			out = append(out, o)
		}
		out[j].Samples++
		if correct[i] {
			out[j].Correct++
		}
	}
	slices.SortFunc(out, func(a, b Outcome) int { return cmp.Compare(a.Source, b.Source) })
	return out
}

// Interval is an accuracy with its 95% interval over sources.
type Interval struct {
	Sources  int     `json:"sources"`
	Samples  int     `json:"samples"`
	Accuracy float64 `json:"accuracy"` // pooled: correct samples / samples
	Lo       float64 `json:"lo"`
	Hi       float64 `json:"hi"`
	// Note says why the interval is not the plain t-interval; "" when it is.
	Note string `json:"note,omitempty"`
}

// CI returns [Lo, Hi].
func (iv Interval) CI() [2]float64 { return [2]float64{iv.Lo, iv.Hi} }

// String is "0.4050 [0.0428, 0.7672] over 10 sources".
func (iv Interval) String() string {
	noun := "sources"
	if iv.Sources == 1 {
		noun = "source"
	}
	return fmt.Sprintf("%.4f [%.4f, %.4f] over %d %s", iv.Accuracy, iv.Lo, iv.Hi, iv.Sources, noun)
}

// Estimate computes the pooled accuracy of outs and its 95% interval over
// sources (see the package doc). Outcomes without samples are ignored.
func Estimate(outs []Outcome) Interval {
	var iv Interval
	var correct int
	var used []Outcome
	for _, o := range outs {
		if o.Samples > 0 {
			used = append(used, o)
			iv.Samples += o.Samples
			correct += o.Correct
		}
	}
	m := len(used)
	iv.Sources = m
	switch m {
	case 0:
		iv.Accuracy, iv.Lo, iv.Hi = math.NaN(), math.NaN(), math.NaN()
		iv.Note = "no samples"
		return iv
	case 1:
		iv.Accuracy = float64(correct) / float64(iv.Samples)
		iv.Lo, iv.Hi = 0, 1
		iv.Note = "one source: no spread over sources to measure, so any accuracy from 0 to 1 fits"
		return iv
	}
	r := float64(correct) / float64(iv.Samples)
	iv.Accuracy = r
	allSame := true
	for _, o := range used[1:] {
		// Compared as fractions without rounding: c1/n1 == c2/n2.
		if o.Correct*used[0].Samples != used[0].Correct*o.Samples {
			allSame = false
			break
		}
	}
	if allSame {
		tail := math.Pow((1-Level)/2, 1/float64(m))
		switch {
		case correct == iv.Samples:
			iv.Lo, iv.Hi = tail, 1
			iv.Note = fmt.Sprintf("all %d sources entirely right: exact binomial bound over sources", m)
		case correct == 0:
			iv.Lo, iv.Hi = 0, 1-tail
			iv.Note = fmt.Sprintf("all %d sources entirely wrong: exact binomial bound over sources", m)
		default:
			iv.Lo, iv.Hi = r, r
			iv.Note = fmt.Sprintf("all %d sources scored the same: no spread over sources to measure", m)
		}
		return iv
	}
	nbar := float64(iv.Samples) / float64(m)
	var ss float64
	for _, o := range used {
		e := float64(o.Correct) - r*float64(o.Samples)
		ss += e * e
	}
	se := math.Sqrt(ss/float64(m*(m-1))) / nbar
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(m - 1)}.Quantile(1 - (1-Level)/2)
	iv.Lo = max(0, r-t*se)
	iv.Hi = min(1, r+t*se)
	return iv
}
