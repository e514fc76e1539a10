package split

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/augsplit/augsplit/schema"
)

// classOrdered builds items class by class, group by group, the way a naive
// generator writes them: every variant of class 0, then class 1, and so on.
func classOrdered(classes, groups, variants int) []Item {
	items := make([]Item, 0, classes*groups*variants)
	for c := range classes {
		for g := range groups {
			for range variants {
				items = append(items, Item{Class: fmt.Sprintf("class%02d", c), Group: fmt.Sprintf("c%02d-src%02d", c, g)})
			}
		}
	}
	return items
}

// splitsOf returns, per class, per group, the set of splits its items went to.
func splitsOf(items []Item, assign []string) map[string]map[string]map[string]int {
	m := make(map[string]map[string]map[string]int)
	for i, it := range items {
		if m[it.Class] == nil {
			m[it.Class] = make(map[string]map[string]int)
		}
		if m[it.Class][it.Group] == nil {
			m[it.Class][it.Group] = make(map[string]int)
		}
		m[it.Class][it.Group][assign[i]]++
	}
	return m
}

func countsOf(items []Item, assign []string) map[string]map[string]int {
	m := make(map[string]map[string]int)
	for i, it := range items {
		if m[it.Class] == nil {
			m[it.Class] = make(map[string]int)
		}
		m[it.Class][assign[i]]++
	}
	return m
}

func TestTargets(t *testing.T) {
	tests := []struct {
		n    int
		f    Fractions
		want [nSplits]int // train, val, test
	}{
		{300, Fractions{Val: 0.2}, [3]int{240, 60, 0}},
		{3000, Fractions{Val: 0.2}, [3]int{2400, 600, 0}},
		{10, Fractions{Val: 0.25}, [3]int{7, 3, 0}},              // 2.5 rounds half away from zero
		{10, Fractions{Val: 0.24}, [3]int{8, 2, 0}},              // 2.4 rounds down
		{2, Fractions{Test: 0.02}, [3]int{1, 0, 1}},              // 0.04 lifted to the minimum 1
		{50, Fractions{Test: 0.02}, [3]int{49, 0, 1}},            // exactly 1.0
		{3, Fractions{Val: 0.1, Test: 0.1}, [3]int{1, 1, 1}},     // both lifted to 1
		{2, Fractions{Val: 0.8}, [3]int{1, 1, 0}},                // 1.6 -> 2 leaves train empty: val gives one back
		{4, Fractions{Val: 0.375, Test: 0.5}, [3]int{1, 1, 2}},   // val rounded up .5, test 0: val gives back
		{4, Fractions{Val: 0.375, Test: 0.375}, [3]int{1, 2, 1}}, // tie: test gives back
		{7, Fractions{}, [3]int{7, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n%d_val%g_test%g", tt.n, tt.f.Val, tt.f.Test), func(t *testing.T) {
			if got := targets(tt.n, tt.f); got != tt.want {
				t.Errorf("targets(%d, %+v) = %v, want %v", tt.n, tt.f, got, tt.want)
			}
		})
	}
}

// TestTenImages is the user's scenario: ten classes, one source each, 300
// variants, val 0.2. No source split is possible, so every class is split at
// variant level with exactly 240/60.
func TestTenImages(t *testing.T) {
	items := classOrdered(10, 1, 300)
	res, err := Plan(items, Fractions{Val: 0.2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Classes), 10; got != want {
		t.Fatalf("got %d class reports, want %d", got, want)
	}
	counts := countsOf(items, res.Assign)
	for _, rep := range res.Classes {
		if rep.Level != schema.LevelVariant {
			t.Errorf("class %s: level %q, want %q", rep.Class, rep.Level, schema.LevelVariant)
		}
		if rep.Groups != 1 {
			t.Errorf("class %s: groups %d, want 1", rep.Class, rep.Groups)
		}
		want := map[string]int{schema.Train: 240, schema.Val: 60}
		if !reflect.DeepEqual(rep.Counts, want) {
			t.Errorf("class %s: report counts %v, want %v", rep.Class, rep.Counts, want)
		}
		if !reflect.DeepEqual(counts[rep.Class], want) {
			t.Errorf("class %s: assigned counts %v, want %v", rep.Class, counts[rep.Class], want)
		}
	}
}

func TestSourceLevelKeepsGroupsWhole(t *testing.T) {
	tests := []struct {
		name      string
		groups    int
		f         Fractions
		wantCount map[string]int
	}{
		{"five sources val .2", 5, Fractions{Val: 0.2}, map[string]int{schema.Train: 1200, schema.Val: 300}},
		{"five sources val .2 test .2", 5, Fractions{Val: 0.2, Test: 0.2}, map[string]int{schema.Train: 900, schema.Val: 300, schema.Test: 300}},
		{"two sources val .2", 2, Fractions{Val: 0.2}, map[string]int{schema.Train: 300, schema.Val: 300}},
		{"ten sources val .1 test .2", 10, Fractions{Val: 0.1, Test: 0.2}, map[string]int{schema.Train: 2100, schema.Val: 300, schema.Test: 600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := classOrdered(1, tt.groups, 300)
			res, err := Plan(items, tt.f, 7)
			if err != nil {
				t.Fatal(err)
			}
			rep := res.Classes[0]
			if rep.Level != schema.LevelSource {
				t.Errorf("level %q, want %q", rep.Level, schema.LevelSource)
			}
			if rep.Groups != tt.groups {
				t.Errorf("groups %d, want %d", rep.Groups, tt.groups)
			}
			if !reflect.DeepEqual(rep.Counts, tt.wantCount) {
				t.Errorf("counts %v, want %v", rep.Counts, tt.wantCount)
			}
			for g, sp := range splitsOf(items, res.Assign)[rep.Class] {
				if len(sp) != 1 {
					t.Errorf("group %s straddles splits: %v", g, sp)
				}
			}
		})
	}
}

// TestSingletonGroupsHitTargets covers `augsplit split` without a group regex,
// where every file is its own group: counts must match the rounding rule exactly.
func TestSingletonGroupsHitTargets(t *testing.T) {
	for _, n := range []int{3, 7, 10, 101, 1000} {
		for _, f := range []Fractions{{Val: 0.2}, {Val: 0.15, Test: 0.15}, {Test: 0.3}} {
			items := make([]Item, n)
			for i := range items {
				items[i] = Item{Class: "a", Group: fmt.Sprintf("file%04d", i)}
			}
			res, err := Plan(items, f, 3)
			if err != nil {
				t.Fatalf("n=%d %+v: %v", n, f, err)
			}
			want := targets(n, f)
			got := countsOf(items, res.Assign)["a"]
			for s, name := range splitNames {
				if got[name] != want[s] {
					t.Errorf("n=%d %+v: %s has %d, want %d", n, f, name, got[name], want[s])
				}
			}
		}
	}
}

// TestPropertyRandomShapes plans many random datasets and checks the promises:
// every class in every non-empty split, groups whole at source level, exact
// counts at variant level, reports consistent with the assignment, and an
// error exactly when some class is too small.
func TestPropertyRandomShapes(t *testing.T) {
	fracs := []float64{0, 0, 0.05, 0.1, 0.2, 0.3, 0.45}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 0xa5))
		f := Fractions{Val: fracs[r.IntN(len(fracs))], Test: fracs[r.IntN(len(fracs))]}
		var items []Item
		nClasses := 1 + r.IntN(8)
		sizes := make(map[string]int)
		for c := range nClasses {
			class := fmt.Sprintf("k%d", c)
			groups := 1 + r.IntN(6)
			for g := range groups {
				v := 1 + r.IntN(40)
				if r.IntN(4) == 0 {
					v = 1 // many tiny sources, the hard case for group balance
				}
				for range v {
					items = append(items, Item{Class: class, Group: fmt.Sprintf("%s-g%d", class, g)})
				}
				sizes[class] += v
			}
		}
		// Shuffle the input so class order in the list is not what makes it work.
		r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })

		res, err := Plan(items, f, seed)
		need := f.need()
		var small []string
		for c, n := range sizes {
			if n < need {
				small = append(small, c)
			}
		}
		if len(small) > 0 {
			var ce *ClassError
			if !errors.As(err, &ce) {
				t.Errorf("seed %d: classes %v too small for %d splits, got err %v, want *ClassError", seed, small, need, err)
			} else if !slices.Contains(small, ce.Class) {
				t.Errorf("seed %d: ClassError names %q, want one of %v", seed, ce.Class, small)
			}
			continue
		}
		if err != nil {
			t.Errorf("seed %d %+v: unexpected error %v", seed, f, err)
			continue
		}
		checkResult(t, fmt.Sprintf("seed %d %+v", seed, f), items, f, res)
	}
}

func checkResult(t *testing.T, ctx string, items []Item, f Fractions, res *Result) {
	t.Helper()
	act := f.active()
	perGroup := splitsOf(items, res.Assign)
	counts := countsOf(items, res.Assign)
	if len(res.Classes) != len(counts) {
		t.Errorf("%s: %d class reports, want %d", ctx, len(res.Classes), len(counts))
	}
	for _, rep := range res.Classes {
		n := 0
		for _, k := range counts[rep.Class] {
			n += k
		}
		for s, name := range splitNames {
			if act[s] && counts[rep.Class][name] < 1 {
				t.Errorf("%s: class %s has no %s sample (counts %v)", ctx, rep.Class, name, counts[rep.Class])
			}
			if !act[s] && counts[rep.Class][name] != 0 {
				t.Errorf("%s: class %s has %d samples in empty split %s", ctx, rep.Class, counts[rep.Class][name], name)
			}
		}
		if !reflect.DeepEqual(rep.Counts, counts[rep.Class]) {
			t.Errorf("%s: class %s report counts %v, assigned %v", ctx, rep.Class, rep.Counts, counts[rep.Class])
		}
		if got, want := rep.Groups, len(perGroup[rep.Class]); got != want {
			t.Errorf("%s: class %s reports %d groups, has %d", ctx, rep.Class, got, want)
		}
		wantLevel := schema.LevelVariant
		if rep.Groups >= f.need() {
			wantLevel = schema.LevelSource
		}
		if rep.Level != wantLevel {
			t.Errorf("%s: class %s level %q, want %q", ctx, rep.Class, rep.Level, wantLevel)
		}
		switch rep.Level {
		case schema.LevelSource:
			for g, sp := range perGroup[rep.Class] {
				if len(sp) != 1 {
					t.Errorf("%s: class %s group %s straddles splits %v", ctx, rep.Class, g, sp)
				}
			}
		case schema.LevelVariant:
			want := targets(n, f)
			for s, name := range splitNames {
				if counts[rep.Class][name] != want[s] {
					t.Errorf("%s: class %s %s has %d, want %d", ctx, rep.Class, name, counts[rep.Class][name], want[s])
				}
			}
		}
	}
	if !isPermutation(res.Order, len(items)) {
		t.Errorf("%s: Order is not a permutation of %d indices", ctx, len(items))
	}
}

func isPermutation(p []int, n int) bool {
	if len(p) != n {
		return false
	}
	seen := make([]bool, n)
	for _, i := range p {
		if i < 0 || i >= n || seen[i] {
			return false
		}
		seen[i] = true
	}
	return true
}

func TestClassError(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		f       Fractions
		wantMsg string
	}{
		{
			"two samples val and test", 2, Fractions{Val: 0.2, Test: 0.1},
			`class "round": 2 samples, but splits train/val/test need at least 1 each (3): add more samples or sources to "round", or drop --test`,
		},
		{
			"one sample val", 1, Fractions{Val: 0.2},
			`class "round": 1 sample, but splits train/val need at least 1 each (2): add more samples or sources to "round", or set --val 0`,
		},
		{
			"one sample test", 1, Fractions{Test: 0.2},
			`class "round": 1 sample, but splits train/test need at least 1 each (2): add more samples or sources to "round", or drop --test`,
		},
		{
			"one sample val and test", 1, Fractions{Val: 0.2, Test: 0.2},
			`class "round": 1 sample, but splits train/val/test need at least 1 each (3): add more samples or sources to "round", or set --val 0 and drop --test`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := classOrdered(1, 3, 10) // a healthy class beside the small one
			for range tt.n {
				items = append(items, Item{Class: "round", Group: "r0"})
			}
			res, err := Plan(items, tt.f, 1)
			if res != nil {
				t.Errorf("got a result %v alongside the error", res)
			}
			var ce *ClassError
			if !errors.As(err, &ce) {
				t.Fatalf("got err %v (%T), want *ClassError", err, err)
			}
			if ce.Class != "round" || ce.Have != tt.n {
				t.Errorf("got class %q have %d, want %q have %d", ce.Class, ce.Have, "round", tt.n)
			}
			if got := err.Error(); got != tt.wantMsg {
				t.Errorf("message\n got %s\nwant %s", got, tt.wantMsg)
			}
		})
	}
}

func TestClassErrorNamesEverySmallClass(t *testing.T) {
	items := []Item{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"c", "4"}}
	_, err := Plan(items, Fractions{Val: 0.5}, 1)
	if err == nil {
		t.Fatal("got nil error, want ClassErrors for a and b")
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("got %v (%T), want errors joined for both classes", err, err)
	}
	var got []string
	for _, e := range joined.Unwrap() {
		var ce *ClassError
		if errors.As(e, &ce) {
			got = append(got, ce.Class)
		}
	}
	if want := []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("classes named %v, want %v", got, want)
	}
}

func TestFractionError(t *testing.T) {
	tests := []struct {
		name string
		f    Fractions
	}{
		{"negative val", Fractions{Val: -0.1}},
		{"negative test", Fractions{Val: 0.2, Test: -0.01}},
		{"sum is one", Fractions{Val: 0.5, Test: 0.5}},
		{"sum above one", Fractions{Val: 0.9, Test: 0.2}},
		{"val one", Fractions{Val: 1}},
		{"NaN val", Fractions{Val: math.NaN()}},
		{"NaN test", Fractions{Test: math.NaN()}},
		{"inf", Fractions{Val: math.Inf(1)}},
	}
	items := classOrdered(2, 2, 10)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(items, tt.f, 1)
			var fe *FractionError
			if !errors.As(err, &fe) {
				t.Fatalf("got err %v, want *FractionError", err)
			}
		})
	}
	// The boundary just below 1 is valid: guards against an off-by-one in the check.
	if _, err := Plan(items, Fractions{Val: 0.45, Test: 0.45}, 1); err != nil {
		t.Errorf("val .45 test .45: got %v, want no error", err)
	}
}

// TestSklearnRareClass is the case where sklearn's StratifiedShuffleSplit
// quietly gives the rare class no test row: counts [50, 50, 2], test 0.02.
func TestSklearnRareClass(t *testing.T) {
	var items []Item
	for c, n := range map[string]int{"common1": 50, "common2": 50, "rare": 2} {
		for i := range n {
			items = append(items, Item{Class: c, Group: fmt.Sprintf("%s-%d", c, i)})
		}
	}
	res, err := Plan(items, Fractions{Test: 0.02}, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{
		"common1": {schema.Train: 49, schema.Test: 1},
		"common2": {schema.Train: 49, schema.Test: 1},
		"rare":    {schema.Train: 1, schema.Test: 1},
	}
	if got := countsOf(items, res.Assign); !reflect.DeepEqual(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}

func TestDeterminism(t *testing.T) {
	items := classOrdered(4, 3, 50)
	items = append(items, classOrdered(2, 1, 40)...) // variant-level classes too
	f := Fractions{Val: 0.2, Test: 0.1}
	first, err := Plan(items, f, 42)
	if err != nil {
		t.Fatal(err)
	}
	// Repeats catch any dependence on map iteration order, which Go randomises.
	for i := range 20 {
		again, err := Plan(items, f, 42)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, first) {
			t.Fatalf("run %d: same seed gave a different result", i)
		}
	}
	other, err := Plan(items, f, 43)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(other.Order, first.Order) {
		t.Error("seeds 42 and 43 gave the same order")
	}
	if slices.Equal(other.Assign, first.Assign) {
		t.Error("seeds 42 and 43 gave the same assignment")
	}
}

// TestSourceAssignmentIgnoresInputOrder: at source level a group's split
// depends on the set of items, not on where they sit in the list.
func TestSourceAssignmentIgnoresInputOrder(t *testing.T) {
	items := classOrdered(3, 6, 20)
	f := Fractions{Val: 0.2, Test: 0.2}
	a, err := Plan(items, f, 9)
	if err != nil {
		t.Fatal(err)
	}
	rev := slices.Clone(items)
	slices.Reverse(rev)
	b, err := Plan(rev, f, 9)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := splitsOf(rev, b.Assign), splitsOf(items, a.Assign); !reflect.DeepEqual(got, want) {
		t.Errorf("reversed input moved groups:\n got %v\nwant %v", got, want)
	}
}

// TestClassesIndependent: adding a class leaves the other classes' assignment
// alone, because each class draws from its own keyed stream.
func TestClassesIndependent(t *testing.T) {
	base := classOrdered(3, 4, 25)
	f := Fractions{Val: 0.25}
	a, err := Plan(base, f, 5)
	if err != nil {
		t.Fatal(err)
	}
	more := append(slices.Clone(base), Item{Class: "zzz", Group: "z1"}, Item{Class: "zzz", Group: "z2"})
	b, err := Plan(more, f, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Assign[:len(base)], a.Assign) {
		t.Error("adding a class changed the other classes' assignment")
	}
}

func TestOrderMixesClasses(t *testing.T) {
	items := classOrdered(10, 1, 300)
	for _, seed := range []uint64{1, 2, 3} {
		res, err := Plan(items, Fractions{Val: 0.2}, seed)
		if err != nil {
			t.Fatal(err)
		}
		if !isPermutation(res.Order, len(items)) {
			t.Fatalf("seed %d: Order is not a permutation", seed)
		}
		seen := make(map[string]bool)
		for _, i := range res.Order[:len(items)/10] {
			seen[items[i].Class] = true
		}
		// A class-ordered list would show 1 class here; a shuffle misses one
		// of ten classes in 300 draws with probability about 10 * 0.9^300.
		if got, want := len(seen), 10; got != want {
			t.Errorf("seed %d: first 10%% of Order holds %d classes, want %d", seed, got, want)
		}
	}
}

// TestGolden pins the exact plan for one small input, so a change to the
// streams or the algorithm, which would re-split users' datasets under the
// same seed, shows up as a test failure rather than silently.
func TestGolden(t *testing.T) {
	items := []Item{
		{"a", "a1"}, {"a", "a1"}, {"a", "a2"}, {"a", "a3"},
		{"b", "b1"}, {"b", "b1"}, {"b", "b1"}, {"b", "b1"},
	}
	res, err := Plan(items, Fractions{Val: 0.25}, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantAssign := []string{schema.Train, schema.Train, schema.Val, schema.Train, schema.Train, schema.Train, schema.Train, schema.Val}
	wantOrder := []int{6, 2, 0, 4, 3, 1, 7, 5}
	if !slices.Equal(res.Assign, wantAssign) {
		t.Errorf("Assign = %q, want %q", res.Assign, wantAssign)
	}
	if !slices.Equal(res.Order, wantOrder) {
		t.Errorf("Order = %v, want %v", res.Order, wantOrder)
	}
}

func TestEmpty(t *testing.T) {
	res, err := Plan(nil, Fractions{Val: 0.2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Assign) != 0 || len(res.Order) != 0 || len(res.Classes) != 0 {
		t.Errorf("got %+v, want an empty plan", res)
	}
}

func TestBoundedUniform(t *testing.T) {
	// A biased or off-by-one draw shows up as an empty or lopsided bucket.
	r := newStream(1, "test", "")
	const n, draws = 7, 70000
	var got [n]int
	for range draws {
		v := bounded(r, n)
		if v >= n {
			t.Fatalf("bounded(%d) = %d, out of range", n, v)
		}
		got[v]++
	}
	for i, c := range got {
		if c < draws/n*9/10 || c > draws/n*11/10 {
			t.Errorf("bucket %d has %d of %d draws, want about %d", i, c, draws, draws/n)
		}
	}
}

func BenchmarkPlan100k(b *testing.B) {
	// 10 classes x 100 sources x 100 variants: source level everywhere.
	items := classOrdered(10, 100, 100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Plan(items, Fractions{Val: 0.2, Test: 0.1}, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlan100kVariantLevel(b *testing.B) {
	// 10 classes x 1 source x 10,000 variants: the single-source case.
	items := classOrdered(10, 1, 10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Plan(items, Fractions{Val: 0.2}, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAssignGroups(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int // in shuffled order
		f     Fractions
		want  []int // split index per group: 0 train, 1 val, 2 test
	}{
		// Targets 8/2/4. The greedy fill gives 5/3/6; swapping the whole train
		// and test memberships gives 6/3/5, closer on both.
		{"swap train and test", []int{6, 5, 3}, Fractions{Val: 0.15, Test: 0.25}, []int{iTrain, iTest, iVal}},
		// Targets 21/14/4: the greedy fill gives 19 to val; the swap returns it to train.
		{"swap train and val", []int{19, 9, 4, 1, 6}, Fractions{Val: 0.35, Test: 0.1}, []int{iTrain, iVal, iTest, iVal, iVal}},
		// Target val 120 is nearer 0 than 300, so the greedy puts both in train;
		// the fix-up must still give val a group.
		{"fix-up gives val a group", []int{300, 300}, Fractions{Val: 0.2}, []int{iVal, iTrain}},
		// The fix-up takes the cheapest group: the small one, not the large.
		{"fix-up takes the small group", []int{300, 100}, Fractions{Val: 0.1}, []int{iTrain, iVal}},
		{"equal groups", []int{300, 300, 300, 300, 300}, Fractions{Val: 0.2, Test: 0.2}, []int{iVal, iTest, iTrain, iTrain, iTrain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			for _, s := range tt.sizes {
				n += s
			}
			got := assignGroups(tt.sizes, targets(n, tt.f), tt.f.active())
			if !slices.Equal(got, tt.want) {
				t.Errorf("assignGroups(%v, %+v) = %v, want %v", tt.sizes, tt.f, got, tt.want)
			}
		})
	}
}
