package split

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FoldError reports a class with fewer groups (sources) than folds: with
// groups kept whole, some fold's validation part would have none of the
// class. One source per class, the usual augmentation case, always hits it.
type FoldError struct {
	Class  string
	Groups int // distinct groups (sources) of the class
	K      int // folds asked for
}

func (e *FoldError) Error() string {
	noun := "sources"
	if e.Groups == 1 {
		noun = "source"
	}
	fix := fmt.Sprintf("add sources to %q", e.Class)
	if e.Groups >= 2 {
		fix += fmt.Sprintf(", or use at most %d folds", e.Groups)
	}
	return fmt.Sprintf("class %q: %d %s, but %d folds need at least %d, one in every fold's validation part "+
		"(a source's variants stay together): %s, or score real new images with --holdout",
		e.Class, e.Groups, noun, e.K, e.K, fix)
}

// Folds assigns every item to one of k folds, the fold whose validation
// part it is in; the other k-1 folds' items are its training part. It is a
// stratified group k-fold, scikit-learn's StratifiedGroupKFold in spirit,
// with two guarantees that one does not make:
//
//   - a group (source) is never split: all its items share a fold, so every
//     group is validated exactly once;
//   - every class is in every fold's validation part. A class with fewer
//     than k groups cannot be, and is a *FoldError naming it (joined with
//     errors.Join when several classes fail).
//
// A group belongs to the class most of its items have (the smallest name on
// a tie); in augsplit a source has one class. Per class, the groups are put
// in name order, shuffled by a ChaCha8 stream keyed by (seed, class), then
// stably sorted by size, largest first, and each goes to the fold holding
// the fewest items of that class so far (then the fewest items overall,
// then the lowest index). The first k groups of a class thus land in k
// different folds, and class counts per fold are as even as greedy
// largest-first packing makes them. The result depends only on the seed and
// the item list, and one class's assignment does not move when another
// class is added or removed, except through the overall-count tie-break.
func Folds(items []Item, k int, seed uint64) ([]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("folds: need at least 2 folds, got %d", k)
	}
	type grp struct {
		name  string
		items []int
	}
	byGroup := map[string]*grp{}
	var order []*grp
	for i, it := range items {
		g := byGroup[it.Group]
		if g == nil {
			g = &grp{name: it.Group}
			byGroup[it.Group] = g
			order = append(order, g)
		}
		g.items = append(g.items, i)
	}
	byClass := map[string][]*grp{}
	for _, g := range order {
		counts := map[string]int{}
		for _, i := range g.items {
			counts[items[i].Class]++
		}
		best := ""
		for c, n := range counts {
			if best == "" || n > counts[best] || (n == counts[best] && c < best) {
				best = c
			}
		}
		byClass[best] = append(byClass[best], g)
	}
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	// A class that is only ever the minority of mixed groups has no group of
	// its own, so it cannot be guaranteed a place in every fold either.
	seen := map[string]bool{}
	for _, it := range items {
		if _, ok := byClass[it.Class]; !ok && !seen[it.Class] {
			seen[it.Class] = true
			classes = append(classes, it.Class)
		}
	}

	var errs []error
	for _, c := range classes {
		if n := len(byClass[c]); n < k {
			errs = append(errs, &FoldError{Class: c, Groups: n, K: k})
		}
	}
	switch len(errs) {
	case 0:
	case 1:
		return nil, errs[0]
	default:
		return nil, errors.Join(errs...)
	}

	fold := make([]int, len(items))
	total := make([]int, k)
	for _, c := range classes {
		gs := byClass[c]
		slices.SortFunc(gs, func(a, b *grp) int { return strings.Compare(a.name, b.name) })
		r := newStream(seed, "folds", c)
		shuffle(r, len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
		slices.SortStableFunc(gs, func(a, b *grp) int { return len(b.items) - len(a.items) })
		mine := make([]int, k)
		for _, g := range gs {
			f := 0
			for j := 1; j < k; j++ {
				if mine[j] < mine[f] || (mine[j] == mine[f] && total[j] < total[f]) {
					f = j
				}
			}
			for _, i := range g.items {
				fold[i] = f
			}
			mine[f] += len(g.items)
			total[f] += len(g.items)
		}
	}
	return fold, nil
}
