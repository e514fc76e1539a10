package split

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/schema"
)

// planOld is Plan as it was before it was made faster (issue 13), kept to
// check that the faster one gives the same results. It assigns every item to a split and picks the write order. It returns a
// *FractionError for invalid fractions and a *ClassError (joined with
// errors.Join when several classes fail, so all are named at once) for a class
// too small for the non-empty splits.
func planOld(items []Item, f Fractions, seed uint64) (*Result, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	byClass := make(map[string][]int)
	for i, it := range items {
		byClass[it.Class] = append(byClass[it.Class], i)
	}
	classes := make([]string, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)

	res := &Result{Assign: make([]string, len(items)), Classes: make([]ClassReport, 0, len(classes))}
	var errs []error
	for _, c := range classes {
		rep, err := planClassOld(c, byClass[c], items, f, seed, res.Assign)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		res.Classes = append(res.Classes, rep)
	}
	switch len(errs) {
	case 0:
	case 1:
		// Returned bare so a plain type assertion works for the common case.
		return nil, errs[0]
	default:
		return nil, errors.Join(errs...)
	}

	res.Order = make([]int, len(items))
	for i := range res.Order {
		res.Order[i] = i
	}
	r := newStream(seed, "order", "")
	shuffle(r, len(res.Order), func(i, j int) { res.Order[i], res.Order[j] = res.Order[j], res.Order[i] })
	return res, nil
}

func planClassOld(class string, idx []int, items []Item, f Fractions, seed uint64, assign []string) (ClassReport, error) {
	n, need := len(idx), f.need()
	act := f.active()
	if n < need {
		return ClassReport{}, classError(class, n, act)
	}

	// idx is ascending (built in input order); sorting group names makes the
	// canonical order independent of map iteration.
	byGroup := make(map[string][]int)
	for _, i := range idx {
		g := items[i].Group
		byGroup[g] = append(byGroup[g], i)
	}
	groups := make([]oldGroup, 0, len(byGroup))
	for name, its := range byGroup {
		groups = append(groups, oldGroup{name, its})
	}
	slices.SortFunc(groups, func(a, b oldGroup) int { return strings.Compare(a.name, b.name) })

	want := targets(n, f)
	r := newStream(seed, "assign", class)
	rep := ClassReport{Class: class, Groups: len(groups), Counts: make(map[string]int)}
	for s, a := range act {
		if a {
			rep.Counts[splitNames[s]] = 0
		}
	}

	if len(groups) >= need {
		rep.Level = schema.LevelSource
		shuffle(r, len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
		sizes := make([]int, len(groups))
		for i, g := range groups {
			sizes[i] = len(g.items)
		}
		dest := assignGroups(sizes, want, act)
		for gi, g := range groups {
			for _, i := range g.items {
				assign[i] = splitNames[dest[gi]]
			}
			rep.Counts[splitNames[dest[gi]]] += len(g.items)
		}
		return rep, nil
	}

	rep.Level = schema.LevelVariant
	flat := make([]int, 0, n)
	for _, g := range groups {
		flat = append(flat, g.items...)
	}
	shuffle(r, len(flat), func(i, j int) { flat[i], flat[j] = flat[j], flat[i] })
	k := 0
	for _, s := range []int{iVal, iTest, iTrain} {
		for range want[s] {
			assign[flat[k]] = splitNames[s]
			k++
		}
		if act[s] {
			rep.Counts[splitNames[s]] = want[s]
		}
	}
	return rep, nil
}

type oldGroup struct {
	name  string
	items []int
}

// TestPlanMatchesOld: the faster Plan gives planOld's results, byte for
// byte, on random inputs (shuffled, groups shared and not, classes too
// small, variant and source level, empty fractions).
func TestPlanMatchesOld(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	fracs := []Fractions{{Val: 0.2}, {Val: 0.2, Test: 0.1}, {Test: 0.3}, {Val: 0.5, Test: 0.45}, {}}
	for trial := range 300 {
		var items []Item
		nclass := 1 + r.IntN(8)
		for range 1 + r.IntN(200) {
			c := r.IntN(nclass)
			items = append(items, Item{Class: fmt.Sprintf("c%d", c), Group: fmt.Sprintf("g%d", r.IntN(1+r.IntN(30)))})
		}
		f := fracs[r.IntN(len(fracs))]
		seed := r.Uint64()
		got, gerr := Plan(items, f, seed)
		want, werr := planOld(items, f, seed)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("trial %d: error %v, old %v", trial, gerr, werr)
		}
		if gerr != nil {
			continue
		}
		if !slices.Equal(got.Assign, want.Assign) || !slices.Equal(got.Order, want.Order) || fmt.Sprint(got.Classes) != fmt.Sprint(want.Classes) {
			t.Fatalf("trial %d: Plan differs from the old Plan on %d items", trial, len(items))
		}
	}
}
