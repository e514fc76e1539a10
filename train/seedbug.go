package train

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/split"
)

// SeedBugArm is one side of the seed-bug experiment: the split it trained
// and validated on, and what came of it.
type SeedBugArm struct {
	Name       string // "keras-last20" or "augsplit"
	Train, Val *Set
	Result     *Result
	ValClasses int      // classes present in Val
	Unseen     []string // classes in Val that Train never showed
}

// SeedBug trains cfg twice on the same samples of d, which must hold train
// and val splits: first validating on the last 20% of the list ordered
// class by class, as a researcher writes it and as Keras's
// fit(validation_split=0.2) takes it, then on d's own train and val
// splits. opts.RunDir, when set, gets a run folder per arm (named after
// it); opts.Log gets a header line per arm and Fit's lines.
func SeedBug(ctx context.Context, cfg Config, d *Data, opts Options) ([]*SeedBugArm, error) {
	if d.Sets[schema.Train] == nil || d.Sets[schema.Val] == nil {
		return nil, fmt.Errorf("seed-bug needs train and val splits, got %q", d.Splits)
	}
	every, _ := d.All()
	byClass := make([]int, every.N)
	for i := range byClass {
		byClass[i] = i
	}
	sort.SliceStable(byClass, func(a, b int) bool { return every.Labels[byClass[a]] < every.Labels[byClass[b]] })
	ordered := every.Subset(byClass)
	trIdx, valIdx := split.LastFraction(ordered.N, 0.2)
	arms := []*SeedBugArm{
		{Name: "keras-last20", Train: ordered.Subset(trIdx), Val: ordered.Subset(valIdx)},
		{Name: "augsplit", Train: d.Sets[schema.Train], Val: d.Sets[schema.Val]},
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	for _, a := range arms {
		fmt.Fprintf(log, "== %s: %d train, %d val\n", a.Name, a.Train.N, a.Val.N)
		o := opts
		if opts.RunDir != "" {
			o.RunDir = filepath.Join(opts.RunDir, a.Name)
		}
		res, err := Fit(ctx, cfg, a.Train, a.Val, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
		a.Result = res
		a.countClasses(every.Classes)
	}
	return arms, nil
}

// countClasses fills ValClasses and Unseen from the arm's result.
func (a *SeedBugArm) countClasses(classes []string) {
	inVal := make([]bool, len(classes))
	for _, lb := range a.Val.Labels {
		inVal[lb] = true
	}
	for c, name := range classes {
		if inVal[c] {
			a.ValClasses++
			if !a.Result.ClassesSeen[c] {
				a.Unseen = append(a.Unseen, name)
			}
		}
	}
}
