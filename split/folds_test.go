package split

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// foldItems makes classes with the given number of sources each; source j
// of a class has 1 + (j*7)%5 variants, so group sizes differ.
func foldItems(sources map[string]int) []Item {
	var items []Item
	names := make([]string, 0, len(sources))
	for c := range sources {
		names = append(names, c)
	}
	slices.Sort(names)
	for _, c := range names {
		for j := range sources[c] {
			for range 1 + (j*7)%5 {
				items = append(items, Item{Class: c, Group: fmt.Sprintf("%s-src%02d", c, j)})
			}
		}
	}
	return items
}

func TestFoldsProperties(t *testing.T) {
	items := foldItems(map[string]int{"a": 5, "b": 7, "c": 12, "d": 30})
	for _, k := range []int{2, 3, 5} {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("k%d/seed%d", k, seed), func(t *testing.T) {
				fold, err := Folds(items, k, seed)
				if err != nil {
					t.Fatal(err)
				}
				if len(fold) != len(items) {
					t.Fatalf("%d folds for %d items", len(fold), len(items))
				}
				groupFold := map[string]int{}
				classFold := map[string][]int{}
				for i, it := range items {
					f := fold[i]
					if f < 0 || f >= k {
						t.Fatalf("item %d in fold %d of %d", i, f, k)
					}
					// Grouped: a source's items share one fold, so it is
					// validated exactly once.
					if g, ok := groupFold[it.Group]; ok && g != f {
						t.Errorf("group %s split across folds %d and %d", it.Group, g, f)
					}
					groupFold[it.Group] = f
					if classFold[it.Class] == nil {
						classFold[it.Class] = make([]int, k)
					}
					classFold[it.Class][f]++
				}
				// Stratified: every class in every fold's validation part,
				// and no fold holds far more of a class than its share.
				for c, per := range classFold {
					n := 0
					for _, v := range per {
						n += v
					}
					for f, v := range per {
						if v == 0 {
							t.Errorf("class %s has no items in fold %d's validation part: %v", c, f, per)
						}
						// Groups hold at most 5 items, so greedy packing keeps
						// each fold within one group of the even share.
						if float64(v) > float64(n)/float64(k)+5 {
							t.Errorf("class %s: fold %d holds %d of %d items (%v): not stratified", c, f, v, n, per)
						}
					}
				}
			})
		}
	}
}

func TestFoldsDeterministicAndOrderFree(t *testing.T) {
	items := foldItems(map[string]int{"a": 6, "b": 9, "c": 11})
	a, err := Folds(items, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Folds(items, 3, 7)
	if !slices.Equal(a, b) {
		t.Fatal("same items and seed gave different folds")
	}
	// The input order must not matter: permute and compare per group.
	perm := rand.New(rand.NewPCG(1, 2)).Perm(len(items))
	shuffled := make([]Item, len(items))
	for i, p := range perm {
		shuffled[i] = items[p]
	}
	c, _ := Folds(shuffled, 3, 7)
	want := map[string]int{}
	for i, it := range items {
		want[it.Group] = a[i]
	}
	for i, it := range shuffled {
		if c[i] != want[it.Group] {
			t.Fatalf("group %s: fold %d with shuffled input, %d in order", it.Group, c[i], want[it.Group])
		}
	}
	// Another seed should move some group (11 sources of c in 3 folds).
	d, _ := Folds(items, 3, 8)
	if slices.Equal(a, d) {
		t.Error("seeds 7 and 8 gave the same folds: is the seed used?")
	}
}

func TestFoldsTooFewSources(t *testing.T) {
	// The one-source-per-class case: a typed error naming the class.
	items := foldItems(map[string]int{"round": 1, "spiky": 4, "square": 5})
	_, err := Folds(items, 5, 1)
	var fe *FoldError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FoldError", err)
	}
	joined := err.Error()
	for _, want := range []string{`"round": 1 source,`, `"spiky": 4 sources`, "at most 4 folds", "--holdout"} {
		if !strings.Contains(joined, want) {
			t.Errorf("error %q does not contain %q", joined, want)
		}
	}
	if strings.Contains(joined, `"square"`) {
		t.Errorf("error names square, which has enough sources: %q", joined)
	}
	if _, err := Folds(items, 1, 1); err == nil {
		t.Error("1 fold accepted")
	}
	if _, err := Folds(items[:0], 2, 1); err != nil {
		t.Errorf("no items: %v", err)
	}
}

func TestFoldsMixedGroupStaysWhole(t *testing.T) {
	items := foldItems(map[string]int{"a": 3, "b": 3})
	// One source holding items of both classes (mostly a).
	items = append(items, Item{"a", "mixed"}, Item{"a", "mixed"}, Item{"b", "mixed"})
	fold, err := Folds(items, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := len(items)
	if fold[n-1] != fold[n-2] || fold[n-2] != fold[n-3] {
		t.Errorf("mixed group split: folds %v", fold[n-3:])
	}
}
