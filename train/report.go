package train

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/trust"
)

// Provenance says what a validation set is made of: how its classes were
// split and how many distinct sources it holds. It is what val_accuracy
// can be trusted for.
type Provenance struct {
	// Levels is the card's split_level (class -> schema.LevelSource |
	// schema.LevelVariant);
	// empty for data without a card (a plain folder).
	Levels   map[string]string `json:"split_level,omitempty"`
	Sources  int               `json:"val_sources"`
	PerClass map[string]int    `json:"val_sources_per_class"`
	Samples  int               `json:"val_samples"`
}

// DescribeVal counts val's sources, in total and per class, beside the
// card's split levels (nil for data without a card).
func DescribeVal(levels map[string]string, val *Set) *Provenance {
	p := &Provenance{Levels: levels, PerClass: map[string]int{}, Samples: val.N}
	seen := map[string]bool{}
	for i := range val.N {
		id := val.SourceID(i)
		if seen[id] {
			continue
		}
		seen[id] = true
		p.Sources++
		p.PerClass[val.Classes[val.Labels[i]]]++
	}
	return p
}

// VariantClasses lists the classes split at variant level, sorted.
func (p *Provenance) VariantClasses() []string {
	if p == nil {
		return nil
	}
	var out []string
	for c, l := range p.Levels {
		if l == schema.LevelVariant {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// Variant reports whether any class was split at variant level: then val
// holds near-duplicates of training images.
func (p *Provenance) Variant() bool { return len(p.VariantClasses()) > 0 }

// perClass is "1 per class" or "per class: a 2, b 1" (a range past 12).
func (p *Provenance) perClass() string {
	classes := make([]string, 0, len(p.PerClass))
	lo, hi := -1, 0
	for c, n := range p.PerClass {
		classes = append(classes, c)
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	slices.Sort(classes)
	switch {
	case len(classes) == 0:
		return "no classes"
	case lo == hi:
		return fmt.Sprintf("%d per class", lo)
	case len(classes) > 12:
		return fmt.Sprintf("%d to %d per class", lo, hi)
	}
	parts := make([]string, len(classes))
	for i, c := range classes {
		parts[i] = fmt.Sprintf("%s %d", c, p.PerClass[c])
	}
	return "per class: " + strings.Join(parts, ", ")
}

// levels is "split level: source for all 10 classes", or a mix naming the
// variant-level classes.
func (p *Provenance) levels() string {
	if len(p.Levels) == 0 {
		return "split level: unknown (no dataset card)"
	}
	v := p.VariantClasses()
	n := len(p.Levels)
	switch len(v) {
	case 0:
		return fmt.Sprintf("split level: source for all %d classes", n)
	case n:
		return fmt.Sprintf("split level: variant for all %d classes", n)
	}
	return fmt.Sprintf("split level: source for %d classes, variant for %d (%s)", n-len(v), len(v), strings.Join(v, ", "))
}

// Line describes val in one line, "10 sources (600 images), 1 per class;
// split level: ...", printed when training starts and in the summary.
func (p *Provenance) Line() string {
	noun := "sources"
	if p.Sources == 1 {
		noun = "source"
	}
	s := fmt.Sprintf("%d %s (%d images), %s; %s", p.Sources, noun, p.Samples, p.perClass(), p.levels())
	if p.Variant() {
		s += ": val holds near-duplicates of training images"
	}
	return s
}

// Caveat is the plain-words warning for variant-level data ("" otherwise):
// what val_accuracy measures then, and what to do instead.
func (p *Provenance) Caveat() string {
	v := p.VariantClasses()
	if len(v) == 0 {
		return ""
	}
	which := fmt.Sprintf("all %d classes were", len(p.Levels))
	if len(v) < len(p.Levels) {
		which = fmt.Sprintf("%d of %d classes (%s) were", len(v), len(p.Levels), strings.Join(v, ", "))
	} else if len(v) == 1 {
		which = "the class was"
	}
	return "val_accuracy is NOT an estimate of accuracy on new images: " + which + " split at variant level " +
		"(too few sources to keep whole ones out of training), so val holds augmented near-duplicates of training images " +
		"and measures how well the model recognises variants of images it trained on. To measure accuracy on new images: " +
		"add sources (3 or more per class, so whole sources go to val), cross-validate by source with --cv K " +
		"(K sources per class or more), or score a folder of real new images with --holdout DIR."
}

// fewSources is below how many val sources the choice of the best epoch by
// val_loss is mostly noise: with 10 sources val_accuracy's standard error
// over sources measured 0.12-0.16, with 20 still 0.08-0.10.
const fewSources = 30

// SelectionWarning warns when the best epoch was chosen on few val sources
// and is among the first epochs ("" otherwise): with 10 val sources early
// stopping restored epoch 1 or 2 in 5 of 24 runs, which cost 0.07-0.18 of
// accuracy on real held-out images against the last epoch.
func SelectionWarning(res *Result, valSources int, restoreBest bool) string {
	ran := len(res.History)
	if !restoreBest || valSources >= fewSources || res.BestEpoch >= ran || res.BestEpoch > max(2, ran/10) {
		return ""
	}
	return fmt.Sprintf("the best epoch (%d of %d) was chosen by val_loss measured on only %d sources; "+
		"on so few sources val_loss is noisy and an early epoch can win by chance, "+
		"so the restored weights may be worse on new images than the last epoch's (in last.bin). "+
		"Consider --restore last, more sources per class, or --cv", res.BestEpoch, ran, valSources)
}

// WriteSummary writes the end-of-training summary: the best epoch line,
// what val held, its interval over sources, the variant-level caveat, the
// model-selection warning and the holdout score. p may be nil.
func WriteSummary(w io.Writer, cfg Config, res *Result, p *Provenance, holdoutName string) {
	epoch := res.BestEpoch
	if res.Model != nil {
		epoch = res.Model.Epoch
	}
	label := "best epoch"
	if !cfg.EarlyRestore {
		label = "last epoch"
	}
	fmt.Fprintf(w, "%s %d: val_loss %.4f, val_accuracy %.4f\n", label, epoch, res.Best.Loss, res.Best.Accuracy)
	if p != nil {
		fmt.Fprintln(w, "validated on "+p.Line())
	}
	ci := res.ValCI
	fmt.Fprintf(w, "val_accuracy 95%% interval over %d sources: [%.4f, %.4f] (%s)", ci.Sources, ci.Lo, ci.Hi, trust.Method)
	if p.Variant() {
		fmt.Fprint(w, ": not an estimate of accuracy on new images")
	}
	fmt.Fprintln(w)
	if ci.Note != "" {
		fmt.Fprintf(w, "  (%s)\n", ci.Note)
	}
	if res.Holdout != nil {
		hc := res.HoldoutCI
		fmt.Fprintf(w, "holdout accuracy on %d real images of %s: %.4f, 95%% interval [%.4f, %.4f] over %d sources\n",
			res.Holdout.N, holdoutName, res.Holdout.Accuracy, hc.Lo, hc.Hi, hc.Sources)
	}
	if c := p.Caveat(); c != "" {
		fmt.Fprintln(w, "WARNING: "+c)
	}
	if s := SelectionWarning(res, ci.Sources, cfg.EarlyRestore); s != "" {
		fmt.Fprintln(w, "warning: "+s)
	}
}

// SourceReport formats an evaluation of s by source: one line per source
// (class, samples, accuracy) when s names its sources, and the accuracy's
// 95% interval over sources either way.
func SourceReport(s *Set, ev *Evaluation) string {
	outs := Outcomes(s, ev)
	var b strings.Builder
	if s.Sources != nil {
		w := len("source")
		for _, o := range outs {
			w = max(w, len(o.Source))
		}
		fmt.Fprintf(&b, "%-*s  %-12s %7s %8s\n", w, "source", "class", "samples", "accuracy")
		for _, o := range outs {
			fmt.Fprintf(&b, "%-*s  %-12s %7d %8.4f\n", w, o.Source, o.Class, o.Samples, o.Accuracy())
		}
		b.WriteByte('\n')
	}
	iv := trust.Estimate(outs)
	fmt.Fprintf(&b, "accuracy %.4f, 95%% interval [%.4f, %.4f] over %d sources (%s)\n", iv.Accuracy, iv.Lo, iv.Hi, iv.Sources, trust.Method)
	if iv.Note != "" {
		fmt.Fprintf(&b, "  (%s)\n", iv.Note)
	}
	return b.String()
}

// SplitLevels returns the split level of each class from the dataset card
// of an augsplit OUT, or nil for data without one (a plain folder).
func SplitLevels(root string) map[string]string {
	g, err := dataset.Open(root)
	if err != nil {
		return nil
	}
	return g.Card.SplitLevel
}

// WriteCVSummary writes the end of a cross-validation: the pooled accuracy
// and interval, each fold, and where the files are (runDir "": none).
func WriteCVSummary(w io.Writer, r *CVResult, runDir string) {
	fmt.Fprintf(w, "%d-fold cross-validation by source: accuracy %.4f, 95%% interval [%.4f, %.4f] over %d sources (%d images; %s)\n",
		r.Folds, r.Accuracy, r.CI[0], r.CI[1], r.Sources, r.Samples, r.Method)
	if r.Note != "" {
		fmt.Fprintf(w, "  (%s)\n", r.Note)
	}
	for _, f := range r.PerFold {
		fmt.Fprintf(w, "  fold %d: val_accuracy %.4f [%.4f, %.4f] over %d sources (epoch %d)", f.Fold, f.Accuracy, f.CI[0], f.CI[1], f.ValSources, f.Epoch)
		if f.HoldoutAccuracy != nil {
			fmt.Fprintf(w, ", holdout %.4f", *f.HoldoutAccuracy)
		}
		fmt.Fprintln(w)
	}
	if r.HoldoutAccuracy != nil {
		fmt.Fprintf(w, "holdout accuracy, mean of the fold models: %.4f\n", *r.HoldoutAccuracy)
	}
	if r.Final != nil {
		fmt.Fprintf(w, "final model: trained on all %d images for %d epochs", r.Samples, r.FinalEpochs)
		if r.FinalHoldout != nil {
			fmt.Fprintf(w, ", holdout accuracy %.4f", r.FinalHoldout.Accuracy)
		}
		fmt.Fprintln(w)
	}
	if runDir != "" {
		fmt.Fprintf(w, "cv: %s\nfolds plot: %s\n", filepath.Join(runDir, "cv.json"), filepath.Join(runDir, "cv.png"))
		if r.Final != nil {
			fmt.Fprintf(w, "final model: %s\n", filepath.Join(runDir, "final", "model.bin"))
		}
	}
}
