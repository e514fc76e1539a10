// Package split plans a stratified, group-aware train/val/test split of items
// (class, group) for a seed. It is pure planning: it knows nothing of images or
// files, and its result depends only on the seed and the item list.
//
// # Rounding rule
//
// Each class is split on its own (stratified). For a class of n samples:
//
//   - n_val = round(n*Val), half away from zero, and at least 1 when Val > 0;
//     n_test = round(n*Test) likewise; both are 0 when their fraction is 0.
//   - train gets the rest, n_train = n - n_val - n_test, and must be at least 1.
//     If rounding up left train empty, val or test gives samples back, one at a
//     time, taking from whichever was rounded up the most relative to n*fraction
//     (test on a tie), never below 1.
//   - A split is non-empty when its fraction is above zero (train always is).
//     A class with fewer samples than non-empty splits cannot give each one a
//     sample: Plan returns a *ClassError naming the class, its count and the fix.
//
// Example: 300 samples at Val 0.2 give 240 train and 60 val; 2 samples at
// Test 0.02 give 1 train and 1 test (where a plain stratified shuffle would
// give the rare class no test sample at all).
//
// # Split levels
//
// A class with at least as many groups (sources) as non-empty splits is split at
// source level: whole groups go to one split, so variants of a source never
// straddle splits. The groups are shuffled and filled greedily into val and
// test, each group going where it most reduces the distance to that split's
// target count (train when it would only increase it); then every non-empty
// split that got no group takes the group whose move costs the least, and
// finally train swaps its whole membership with val or test if that brings
// the counts closer to the targets. Counts are thus as close to n_val and
// n_test as the group sizes allow a greedy fill, and exact when every group
// holds one sample.
//
// A class with fewer groups than non-empty splits (one source per class, the
// usual augmentation case) is split at variant level: its items are shuffled
// and cut at exactly n_val and n_test. Variants of a source then do land in
// several splits; the ClassReport says so with Level "variant", and callers
// are expected to warn and record it.
//
// # Determinism
//
// Every random choice comes from a ChaCha8 stream keyed by SHA-256 of the seed
// and a domain tag (and the class name for per-class streams), so adding or
// removing one class leaves the others' assignments unchanged. Groups and items
// are put in a canonical order before shuffling, so map iteration never leaks
// into the result. Shuffles use their own bounded draw rather than
// math/rand/v2's Shuffle so a toolchain upgrade cannot silently re-split a
// dataset: only the ChaCha8 output itself is relied upon.
package split

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/schema"
)

// Item is one sample to place. Group identifies its source (a sha256), so all
// variants of one source share a Group.
type Item struct {
	Class, Group string
}

// Fractions are the shares of each class that go to val and test; train gets
// the rest. A zero fraction means that split is empty.
type Fractions struct {
	Val, Test float64
}

// Result is a split plan for a list of items.
type Result struct {
	// Assign holds, per item index, the split it goes to: schema.Train,
	// schema.Val or schema.Test.
	Assign []string
	// Order is a seeded shuffled permutation of item indices: the order the
	// manifest and shards are written in, so class-ordered input comes out
	// mixed for anyone who later reads it front to back.
	Order []int
	// Classes reports each class, sorted by name.
	Classes []ClassReport
}

// ClassReport describes how one class was split.
type ClassReport struct {
	Class string
	// Level is schema.LevelSource when groups were kept whole,
	// schema.LevelVariant when the class had too few groups and its items
	// were split individually.
	Level string
	// Groups is the number of distinct groups in the class.
	Groups int
	// Counts holds the number of samples per non-empty split (splits whose
	// fraction is zero are absent; train is always present).
	Counts map[string]int
}

// split indices into the fixed-size arrays used internally.
const (
	iTrain = iota
	iVal
	iTest
	nSplits
)

var splitNames = [nSplits]string{schema.Train, schema.Val, schema.Test}

// FractionError reports fractions that cannot describe a split.
type FractionError struct {
	Val, Test float64
	Reason    string
}

func (e *FractionError) Error() string {
	return fmt.Sprintf("invalid split fractions val=%g test=%g: %s", e.Val, e.Test, e.Reason)
}

// ClassError reports a class too small to give every non-empty split a sample.
type ClassError struct {
	Class string
	// Have is the number of samples in the class.
	Have int
	// Need is the minimum per non-empty split (1 each).
	Need map[string]int
	// Fix says what would make the split possible.
	Fix string
}

func (e *ClassError) Error() string {
	var names []string
	total := 0
	for _, s := range splitNames {
		if k, ok := e.Need[s]; ok {
			names = append(names, s)
			total += k
		}
	}
	noun := "samples"
	if e.Have == 1 {
		noun = "sample"
	}
	return fmt.Sprintf("class %q: %d %s, but splits %s need at least 1 each (%d): %s",
		e.Class, e.Have, noun, strings.Join(names, "/"), total, e.Fix)
}

func (f Fractions) validate() error {
	bad := func(reason string) error { return &FractionError{Val: f.Val, Test: f.Test, Reason: reason} }
	switch {
	case math.IsNaN(f.Val) || math.IsNaN(f.Test):
		return bad("fractions must be numbers")
	case f.Val < 0 || f.Test < 0:
		return bad("fractions must not be negative")
	case !(f.Val+f.Test < 1):
		// Also catches +Inf. Train must keep a share of its own.
		return bad("val+test must be below 1 so train keeps a share")
	}
	return nil
}

// Validate returns a *FractionError when f cannot describe a split.
func (f Fractions) Validate() error { return f.validate() }

// active reports which splits are non-empty.
func (f Fractions) active() [nSplits]bool {
	return [nSplits]bool{true, f.Val > 0, f.Test > 0}
}

func (f Fractions) need() int {
	n := 0
	for _, a := range f.active() {
		if a {
			n++
		}
	}
	return n
}

// targets applies the rounding rule in the package doc to a class of n >= need samples.
func targets(n int, f Fractions) [nSplits]int {
	exact := [nSplits]float64{0, float64(n) * f.Val, float64(n) * f.Test}
	act := f.active()
	var c [nSplits]int
	for s := iVal; s < nSplits; s++ {
		if act[s] {
			c[s] = max(int(math.Round(exact[s])), 1)
		}
	}
	c[iTrain] = n - c[iVal] - c[iTest]
	for c[iTrain] < 1 {
		// With n >= need and val+test < 1 some split holds more than 1 here,
		// so this ends; give back from the one rounded up the most.
		give, over := -1, math.Inf(-1)
		for _, s := range []int{iTest, iVal} {
			if c[s] > 1 && float64(c[s])-exact[s] > over {
				give, over = s, float64(c[s])-exact[s]
			}
		}
		c[give]--
		c[iTrain]++
	}
	return c
}

// Plan assigns every item to a split and picks the write order. It returns a
// *FractionError for invalid fractions and a *ClassError (joined with
// errors.Join when several classes fail, so all are named at once) for a class
// too small for the non-empty splits.
func Plan(items []Item, f Fractions, seed uint64) (*Result, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	// Items are bucketed by class with one lookup each and a counting
	// sort into one index array (rather than a map of growing slices):
	// within a class they stay in input order.
	classID := make(map[string]int32)
	ids := make([]int32, len(items))
	var classes []string
	for i, it := range items {
		id, ok := classID[it.Class]
		if !ok {
			id = int32(len(classes))
			classID[it.Class] = id
			classes = append(classes, it.Class)
		}
		ids[i] = id
	}
	off := make([]int, len(classes)+1)
	for _, id := range ids {
		off[id+1]++
	}
	for c := range classes {
		off[c+1] += off[c]
	}
	fill := slices.Clone(off[:len(classes)])
	flat := make([]int, len(items))
	for i, id := range ids {
		flat[fill[id]] = i
		fill[id]++
	}
	byName := make([]int32, len(classes))
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortFunc(byName, func(a, b int32) int { return strings.Compare(classes[a], classes[b]) })

	// The first 8 bytes of each group name, big-endian and zero-padded,
	// order names as strings do wherever they differ, so sorting compares
	// integers and only ties compare whole names.
	prefix := make([]uint64, len(items))
	for i, it := range items {
		var b [8]byte
		copy(b[:], it.Group)
		prefix[i] = binary.BigEndian.Uint64(b[:])
	}

	res := &Result{Assign: make([]string, len(items)), Classes: make([]ClassReport, 0, len(classes))}
	var errs []error
	for _, c := range byName {
		rep, err := planClass(classes[c], flat[off[c]:off[c+1]], items, prefix, f, seed, res.Assign)
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

// planClass plans one class; idx (its items' input indices, ascending) is
// reordered in place. prefix holds each item's group-name prefix (Plan).
func planClass(class string, idx []int, items []Item, prefix []uint64, f Fractions, seed uint64, assign []string) (ClassReport, error) {
	n := len(idx)
	// Sorting the items by group name, then input index, puts each group's
	// items together in the canonical order (groups by name, items
	// ascending) without a map; a stable input order sorts in linear time.
	byGroup := func(a, b int) int {
		if pa, pb := prefix[a], prefix[b]; pa != pb {
			return cmp.Compare(pa, pb)
		}
		if c := strings.Compare(items[a].Group, items[b].Group); c != 0 {
			return c
		}
		return a - b
	}
	if !slices.IsSortedFunc(idx, byGroup) {
		slices.SortFunc(idx, byGroup)
	}
	// Sorted, idx is the class's items in canonical order; groups are its
	// runs of one name.
	var sizes []int
	for j := 0; j < n; j++ {
		if j == 0 || prefix[idx[j]] != prefix[idx[j-1]] || items[idx[j]].Group != items[idx[j-1]].Group {
			sizes = append(sizes, 0)
		}
		sizes[len(sizes)-1]++
	}
	rep, dest, err := PlanGroups(class, sizes, f, seed)
	if err != nil {
		return ClassReport{}, err
	}
	if dest != nil {
		j := 0
		for g, size := range sizes {
			for _, i := range idx[j : j+size] {
				assign[i] = splitNames[dest[g]]
			}
			j += size
		}
		return rep, nil
	}

	// Variant level: the same keyed stream PlanGroups would have shuffled
	// the groups with (it did not draw from it) shuffles the items.
	want := targets(n, f)
	r := newStream(seed, "assign", class)
	shuffle(r, n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	k := 0
	for _, s := range []int{iVal, iTest, iTrain} {
		for range want[s] {
			assign[idx[k]] = splitNames[s]
			k++
		}
	}
	return rep, nil
}

// PlanGroups plans one class of the given group sizes (samples per group,
// in the caller's canonical order: Plan's is by group name) by the rules
// in the package doc. It is the group-level core that Plan and package
// plan share, so both split a class the same way.
//
// At source level it returns dest, the split of each group as an index
// into schema.Splits() (0 train, 1 val, 2 test), drawn from the class's
// keyed "assign" stream. At variant level dest is nil and the caller cuts
// the class's items by rep.Counts, val first, then test, then train, in an
// order of its own. A class with fewer samples than non-empty splits gives
// a *ClassError; invalid fractions a *FractionError.
func PlanGroups(class string, sizes []int, f Fractions, seed uint64) (ClassReport, []int, error) {
	if err := f.validate(); err != nil {
		return ClassReport{}, nil, err
	}
	n, need := 0, f.need()
	for _, s := range sizes {
		n += s
	}
	act := f.active()
	if n < need {
		return ClassReport{}, nil, classError(class, n, act)
	}
	want := targets(n, f)
	rep := ClassReport{Class: class, Groups: len(sizes), Counts: make(map[string]int, need)}
	if len(sizes) < need {
		rep.Level = schema.LevelVariant
		for s, a := range act {
			if a {
				rep.Counts[splitNames[s]] = want[s]
			}
		}
		return rep, nil, nil
	}
	rep.Level = schema.LevelSource
	// Shuffle a permutation of group indices rather than the caller's
	// slice, so the caller's canonical order stays put.
	perm := make([]int, len(sizes))
	for i := range perm {
		perm[i] = i
	}
	r := newStream(seed, "assign", class)
	shuffle(r, len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	shuffled := make([]int, len(sizes))
	for i, g := range perm {
		shuffled[i] = sizes[g]
	}
	sdest := assignGroups(shuffled, want, act)
	dest := make([]int, len(sizes))
	var got [nSplits]int
	for i, g := range perm {
		dest[g] = sdest[i]
		got[sdest[i]] += sizes[g]
	}
	for s, a := range act {
		if a {
			rep.Counts[splitNames[s]] = got[s]
		}
	}
	return rep, dest, nil
}

func classError(class string, have int, act [nSplits]bool) *ClassError {
	need := make(map[string]int)
	for s, a := range act {
		if a {
			need[splitNames[s]] = 1
		}
	}
	// The flag names are the CLI's; the package is shared by generate and
	// split, which both spell them this way.
	var drop []string
	switch {
	case act[iTest] && (have == 2 || !act[iVal]):
		drop = append(drop, "drop --test")
	case act[iVal] && !act[iTest]:
		drop = append(drop, "set --val 0")
	case act[iVal] && act[iTest]:
		drop = append(drop, "set --val 0 and drop --test")
	}
	fix := fmt.Sprintf("add more samples or sources to %q", class)
	if len(drop) > 0 {
		fix += ", or " + drop[0]
	}
	return &ClassError{Class: class, Have: have, Need: need, Fix: fix}
}

// assignGroups places shuffled groups of the given sizes into splits, returning
// the split index per group. It needs len(sizes) >= number of active splits.
func assignGroups(sizes []int, want [nSplits]int, act [nSplits]bool) []int {
	dest := make([]int, len(sizes))
	var got, ngroups [nSplits]int
	for gi, s := range sizes {
		best, bestGain := iTrain, 0
		for sp := iVal; sp < nSplits; sp++ {
			if !act[sp] {
				continue
			}
			gain := abs(got[sp]-want[sp]) - abs(got[sp]+s-want[sp])
			if gain > bestGain || (gain > 0 && gain == bestGain && want[sp]-got[sp] > want[best]-got[best]) {
				best, bestGain = sp, gain
			}
		}
		dest[gi] = best
		got[best] += s
		ngroups[best]++
	}

	cost := func(g [nSplits]int) int {
		c := 0
		for sp := range nSplits {
			if act[sp] {
				c += abs(g[sp] - want[sp])
			}
		}
		return c
	}

	// Every non-empty split needs a group. Since there are at least as many
	// groups as active splits, some split holding two or more can give one.
	for _, sp := range []int{iVal, iTest, iTrain} {
		if !act[sp] || ngroups[sp] > 0 {
			continue
		}
		pick, pickCost := -1, 0
		for gi, from := range dest {
			if ngroups[from] < 2 {
				continue
			}
			g := got
			g[from] -= sizes[gi]
			g[sp] += sizes[gi]
			if c := cost(g); pick < 0 || c < pickCost {
				pick, pickCost = gi, c
			}
		}
		from := dest[pick]
		got[from] -= sizes[pick]
		ngroups[from]--
		dest[pick] = sp
		got[sp] += sizes[pick]
		ngroups[sp]++
	}

	// Fix-ups can leave a small train beside a large val or test; swapping whole
	// memberships keeps every split's group count and may fit the targets better.
	for sp := iVal; sp < nSplits; sp++ {
		if !act[sp] {
			continue
		}
		g := got
		g[iTrain], g[sp] = got[sp], got[iTrain]
		if cost(g) < cost(got) {
			for gi, d := range dest {
				switch d {
				case iTrain:
					dest[gi] = sp
				case sp:
					dest[gi] = iTrain
				}
			}
			got = g
		}
	}
	return dest
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
