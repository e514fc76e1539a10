package plan

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/split"
)

func TestPermBijectionSmall(t *testing.T) {
	for n := uint64(0); n <= 600; n++ {
		p := newPerm(n, 7, "test", fmt.Sprint(n))
		seen := make([]bool, n)
		for x := range n {
			y := p.apply(x)
			if y >= n {
				t.Fatalf("n=%d: apply(%d) = %d, out of range", n, x, y)
			}
			if seen[y] {
				t.Fatalf("n=%d: apply(%d) = %d, already taken", n, x, y)
			}
			seen[y] = true
			if back := p.invert(y); back != x {
				t.Fatalf("n=%d: invert(apply(%d)) = %d", n, x, back)
			}
		}
	}
}

func TestPermBijectionLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []uint64{1 << 20, 1<<20 + 1, 999_999_937, 1 << 40, 1<<61 - 1} {
		p := newPerm(n, 3, "test", "large")
		seen := map[uint64]uint64{}
		for range 20000 {
			x := r.Uint64N(n)
			y := p.apply(x)
			if y >= n {
				t.Fatalf("n=%d: apply(%d) = %d, out of range", n, x, y)
			}
			if back := p.invert(y); back != x {
				t.Fatalf("n=%d: invert(apply(%d)) = %d", n, x, back)
			}
			if prev, ok := seen[y]; ok && prev != x {
				t.Fatalf("n=%d: apply(%d) = apply(%d) = %d", n, x, prev, y)
			}
			seen[y] = x
			if z := r.Uint64N(n); p.apply(p.invert(z)) != z {
				t.Fatalf("n=%d: apply(invert(%d)) != %d", n, z, z)
			}
		}
	}
}

// TestPermKeyed: another seed or name gives another permutation.
func TestPermKeyed(t *testing.T) {
	list := func(p perm) []uint64 {
		out := make([]uint64, p.n)
		for x := range p.n {
			out[x] = p.apply(x)
		}
		return out
	}
	base := list(newPerm(1000, 1, "order", "train"))
	if slices.Equal(base, list(newPerm(1000, 1, "order", "train"))) == false {
		t.Error("same key, different permutation")
	}
	for _, other := range []perm{newPerm(1000, 2, "order", "train"), newPerm(1000, 1, "order", "val"), newPerm(1000, 1, "cut", "train")} {
		if slices.Equal(base, list(other)) {
			t.Errorf("key %v gives the same permutation", other.keys[0])
		}
	}
}

// TestPermGolden pins the round function and key schedule: a change
// reorders every dataset under the same seed, and must come with a new
// keyTag and generate.Version.
func TestPermGolden(t *testing.T) {
	p := newPerm(10, 1, "order", "train")
	var got []uint64
	for x := range uint64(10) {
		got = append(got, p.apply(x))
	}
	want := []uint64{5, 9, 8, 0, 3, 7, 1, 6, 2, 4}
	if !slices.Equal(got, want) {
		t.Errorf("perm(10) = %v, want %v", got, want)
	}
}

// TestPermAdjacency: neighbours in the index space (a source's variants,
// a class's share) must not stay neighbours in the order more often than a
// uniform shuffle leaves them (2/n of adjacent pairs), averaged over 200
// keys; a too-weak network keeps low-bit structure on small domains.
func TestPermAdjacency(t *testing.T) {
	for _, n := range []uint64{10, 20, 50, 100, 1000} {
		adj := 0
		for seed := range uint64(200) {
			p := newPerm(n, seed, "order", "train")
			for x := uint64(0); x+1 < n; x++ {
				a, b := p.apply(x), p.apply(x+1)
				if a+1 == b || b+1 == a {
					adj++
				}
			}
		}
		got, uniform := float64(adj)/200/float64(n-1), 2/float64(n)
		if got > 1.2*uniform {
			t.Errorf("n=%d: %.4f of adjacent indices stay adjacent, a uniform shuffle %.4f", n, got, uniform)
		}
	}
}

type world struct {
	classes []string
	sources []Source
}

// randomWorld makes classes of 1..maxSrc sources with groups shared by
// some sources, and a few single-source classes (variant level).
func randomWorld(r *rand.Rand, nclass, maxSrc int) world {
	var w world
	for c := range nclass {
		w.classes = append(w.classes, fmt.Sprintf("c%02d", c))
		n := 1 + r.IntN(maxSrc)
		for range n {
			w.sources = append(w.sources, Source{Class: c, Group: r.IntN(n)})
		}
	}
	// Shuffle the sources so class order in the slice is not what works.
	r.Shuffle(len(w.sources), func(i, j int) { w.sources[i], w.sources[j] = w.sources[j], w.sources[i] })
	return w
}

// checkPlan enumerates every position of every split and checks the plan's
// promises against each other.
func checkPlan(t *testing.T, w world, cfg Config, p *Plan) {
	t.Helper()
	seen := map[Sample]string{}
	counts := map[string]int{}
	for _, s := range schema.Splits() {
		for pos := range p.Count(s) {
			smp := p.At(s, pos)
			if smp.Source < 0 || smp.Source >= len(w.sources) || smp.Variant < 0 || smp.Variant > cfg.PerSource {
				t.Fatalf("At(%s, %d) = %+v: out of range", s, pos, smp)
			}
			if prev, ok := seen[smp]; ok {
				t.Fatalf("At(%s, %d) = %+v, already at %s", s, pos, smp, prev)
			}
			seen[smp] = fmt.Sprintf("%s %d", s, pos)
			if ss := p.SourceSplit(smp.Source); ss != "" && ss != s {
				t.Fatalf("At(%s, %d) = %+v, but SourceSplit says %s", s, pos, smp, ss)
			}
			counts[w.classes[w.sources[smp.Source].Class]+"/"+s]++
		}
	}
	if got := len(seen); got != p.Total() {
		t.Fatalf("%d distinct samples, Total() = %d", got, p.Total())
	}
	level := map[int]string{}
	for _, rep := range p.Classes() {
		c := slices.Index(w.classes, rep.Class)
		level[c] = rep.Level
		if !cfg.ValOriginals || rep.Level == schema.LevelVariant {
			for s, n := range rep.Counts {
				if counts[rep.Class+"/"+s] != n {
					t.Errorf("class %s split %s: %d samples, Classes() says %d", rep.Class, s, counts[rep.Class+"/"+s], n)
				}
			}
		}
	}
	// Every sample exactly once: each source's variants 1..PerSource, or
	// its original alone when held out with ValOriginals.
	for i, src := range w.sources {
		sp := p.SourceSplit(i)
		orig := cfg.ValOriginals && level[src.Class] == schema.LevelSource && sp != schema.Train
		if level[src.Class] == schema.LevelSource && sp == "" {
			t.Fatalf("source %d of source-level class %d has no split", i, src.Class)
		}
		for v := 0; v <= cfg.PerSource; v++ {
			_, ok := seen[Sample{i, v}]
			want := (v == 0) == orig
			if ok != want {
				t.Fatalf("source %d variant %d: planned %v, want %v", i, v, ok, want)
			}
		}
	}
	// A group never straddles at source level.
	where := map[[2]int]string{}
	for i, src := range w.sources {
		if level[src.Class] != schema.LevelSource {
			continue
		}
		k := [2]int{src.Class, src.Group}
		if prev, ok := where[k]; ok && prev != p.SourceSplit(i) {
			t.Fatalf("class %d group %d in %s and %s", src.Class, src.Group, prev, p.SourceSplit(i))
		}
		where[k] = p.SourceSplit(i)
	}
	// Splits lists exactly the non-empty ones.
	var want []string
	for _, s := range schema.Splits() {
		if p.Count(s) > 0 {
			want = append(want, s)
		}
	}
	if !slices.Equal(p.Splits(), want) {
		t.Errorf("Splits() = %v, want %v", p.Splits(), want)
	}
}

func TestEverySampleOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 60 {
		w := randomWorld(r, 1+r.IntN(8), 1+r.IntN(12))
		cfg := Config{Val: 0.2, Test: 0.1 * float64(r.IntN(3)), Seed: r.Uint64(), PerSource: 1 + r.IntN(20), ValOriginals: r.IntN(3) == 0}
		if trial%5 == 0 {
			cfg.Val = 0
		}
		p, err := New(w.classes, w.sources, cfg)
		var ce *split.ClassError
		if errors.As(err, &ce) {
			continue // a class too small for the splits: TestErrorsMatchSplit
		}
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		t.Run(fmt.Sprint(trial), func(t *testing.T) { checkPlan(t, w, cfg, p) })
	}
}

// TestMatchesSplitPlan: levels, reports and source-level assignment are
// split.Plan's for the same items (groups named so that name order is id
// order, as generate's sha256 ranks are).
func TestMatchesSplitPlan(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := range 30 {
		w := randomWorld(r, 1+r.IntN(6), 1+r.IntN(10))
		cfg := Config{Val: 0.25, Test: 0.15, Seed: uint64(trial), PerSource: 1 + r.IntN(5)}
		var items []split.Item
		for _, s := range w.sources {
			for range cfg.PerSource {
				items = append(items, split.Item{Class: w.classes[s.Class], Group: fmt.Sprintf("%08d", s.Group)})
			}
		}
		want, werr := split.Plan(items, split.Fractions{Val: cfg.Val, Test: cfg.Test}, cfg.Seed)
		p, err := New(w.classes, w.sources, cfg)
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("trial %d: New error %v, split.Plan error %v", trial, err, werr)
		}
		if err != nil {
			continue
		}
		if got := fmt.Sprint(p.Classes()); got != fmt.Sprint(want.Classes) {
			t.Fatalf("trial %d: Classes() = %s, split.Plan's %s", trial, got, fmt.Sprint(want.Classes))
		}
		for i, s := range w.sources {
			if p.Classes()[slices.IndexFunc(p.Classes(), func(c split.ClassReport) bool { return c.Class == w.classes[s.Class] })].Level != schema.LevelSource {
				continue
			}
			if got, want := p.SourceSplit(i), want.Assign[i*cfg.PerSource]; got != want {
				t.Fatalf("trial %d: source %d in %s, split.Plan puts it in %s", trial, i, got, want)
			}
		}
	}
}

func TestErrorsMatchSplit(t *testing.T) {
	classes := []string{"a", "b", "c"}
	sources := []Source{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {2, 0}}
	var items []split.Item
	for _, s := range sources {
		items = append(items, split.Item{Class: classes[s.Class], Group: fmt.Sprint(s.Group)})
	}
	for _, f := range []split.Fractions{{Val: 0.2, Test: 0.2}, {Val: 0.5, Test: 0.6}, {Val: -1}} {
		_, err := New(classes, sources, Config{Val: f.Val, Test: f.Test, PerSource: 1, Seed: 1})
		_, want := split.Plan(items, f, 1)
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("%+v: New error %v, split.Plan error %v", f, err, want)
		}
	}
	_, err := New(classes, sources[:1], Config{Val: 0.2, PerSource: 1})
	var ce *split.ClassError
	if !errors.As(err, &ce) || ce.Class != "a" {
		t.Errorf("one source, val: got %v, want a *split.ClassError for a", err)
	}
	_, err = New(classes, sources, Config{Val: 2, PerSource: 1})
	var fe *split.FractionError
	if !errors.As(err, &fe) {
		t.Errorf("val 2: got %v, want a *split.FractionError", err)
	}
}

func TestBadConfig(t *testing.T) {
	classes := []string{"a"}
	for name, tc := range map[string]struct {
		sources []Source
		cfg     Config
	}{
		"per source 0":    {[]Source{{0, 0}, {0, 1}}, Config{Val: 0.2}},
		"class out":       {[]Source{{1, 0}}, Config{PerSource: 1}},
		"negative class":  {[]Source{{-1, 0}}, Config{PerSource: 1}},
		"negative shards": {[]Source{{0, 0}, {0, 1}}, Config{PerSource: 1, Shards: -1}},
		"negative bytes":  {[]Source{{0, 0}, {0, 1}}, Config{PerSource: 1, ShardBytes: -1}},
		"too many":        {[]Source{{0, 0}, {0, 1}}, Config{PerSource: 1 << 62}},
	} {
		_, err := New(classes, tc.sources, tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: got %v, want a *ConfigError", name, err)
		}
	}
}

func TestDeterminism(t *testing.T) {
	w := randomWorld(rand.New(rand.NewPCG(1, 1)), 5, 10)
	order := func(seed uint64) []Sample {
		p, err := New(w.classes, w.sources, Config{Val: 0.2, Test: 0.1, Seed: seed, PerSource: 7})
		if err != nil {
			t.Fatal(err)
		}
		var out []Sample
		for _, u := range p.Units() {
			for pos := u.Start; pos < u.End; pos++ {
				out = append(out, p.At(u.Split, pos))
			}
		}
		return out
	}
	a := order(1)
	if !slices.Equal(a, order(1)) {
		t.Error("same seed, different order")
	}
	if slices.Equal(a, order(2)) {
		t.Error("another seed, same order")
	}
}

// TestOrderMixesClasses: class-ordered input comes out mixed within each
// split, at source level and at variant level: every class shows up in the
// first 10% of a split, and no class runs long. A class-ordered split would
// show one class there and runs of whole classes.
func TestOrderMixesClasses(t *testing.T) {
	for _, tc := range []struct {
		name             string
		classes, sources int
		per              int
	}{
		{"variant level", 10, 1, 300},
		{"source level", 10, 10, 30},
		{"source level, one variant", 10, 300, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w world
			for c := range tc.classes {
				w.classes = append(w.classes, fmt.Sprintf("c%d", c))
				for g := range tc.sources {
					w.sources = append(w.sources, Source{Class: c, Group: g})
				}
			}
			for _, seed := range []uint64{1, 2, 3} {
				p, err := New(w.classes, w.sources, Config{Val: 0.2, Seed: seed, PerSource: tc.per})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range p.Splits() {
					n := p.Count(s)
					seen := map[int]bool{}
					run, longest, prev := 0, 0, -1
					for pos := range n {
						c := w.sources[p.At(s, pos).Source].Class
						if pos < n/10 {
							seen[c] = true
						}
						if c == prev {
							run++
						} else {
							run, prev = 1, c
						}
						longest = max(longest, run)
					}
					// A shuffle misses a class in the first 10% of val (60
					// draws of 10 classes) with probability about 10*0.9^60 = 0.02
					// per seed; at least 8 of 10 is near certain.
					if len(seen) < 8 || s == schema.Train && len(seen) < 10 {
						t.Errorf("seed %d %s: first 10%% holds %d classes", seed, s, len(seen))
					}
					// P(run >= 9) in 2400 draws is about 2400*0.1^8.
					if longest > 8 {
						t.Errorf("seed %d %s: a class runs %d positions long", seed, s, longest)
					}
				}
			}
		})
	}
}

func TestAtAllocationFree(t *testing.T) {
	w := randomWorld(rand.New(rand.NewPCG(3, 3)), 6, 8)
	p, err := New(w.classes, w.sources, Config{Val: 0.2, Test: 0.2, Seed: 1, PerSource: 50})
	if err != nil {
		t.Fatal(err)
	}
	pos := 0
	splits := p.Splits()
	allocs := testing.AllocsPerRun(1000, func() {
		for _, s := range splits {
			_ = p.At(s, pos%p.Count(s))
		}
		pos++
	})
	if allocs != 0 {
		t.Errorf("At allocates %v times per call", allocs)
	}
}

func TestAtOutOfRange(t *testing.T) {
	p, err := New([]string{"a"}, []Source{{0, 0}, {0, 1}}, Config{Val: 0.5, PerSource: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		split string
		pos   int
	}{{schema.Train, -1}, {schema.Train, p.Count(schema.Train)}, {"nope", 0}, {schema.Test, 0}} {
		if got := p.At(tc.split, tc.pos); got != (Sample{-1, -1}) {
			t.Errorf("At(%q, %d) = %+v, want {-1 -1}", tc.split, tc.pos, got)
		}
	}
	if got := p.SourceSplit(5); got != "" {
		t.Errorf("SourceSplit(5) = %q, want \"\"", got)
	}
}

func TestUnits(t *testing.T) {
	w := randomWorld(rand.New(rand.NewPCG(4, 4)), 4, 20)
	for _, cfg := range []Config{
		{Val: 0.2, Test: 0.1, PerSource: 300},
		{Val: 0.2, PerSource: 300, Shards: 3},
		{Val: 0.2, Test: 0.1, PerSource: 300, ShardSize: 250},
	} {
		p, err := New(w.classes, w.sources, cfg)
		if err != nil {
			t.Fatal(err)
		}
		units := p.Units()
		i := 0
		for _, s := range p.Splits() {
			sizes := schema.PlanShards(p.Count(s), cfg.Shards, cfg.ShardSize)
			start := 0
			for k, n := range sizes {
				want := Unit{Index: i, Split: s, Shard: k, Shards: len(sizes), Start: start, End: start + n}
				if i >= len(units) || units[i] != want {
					t.Fatalf("%+v: unit %d = %+v, want %+v", cfg, i, units[min(i, len(units)-1)], want)
				}
				start += n
				i++
			}
		}
		if i != len(units) {
			t.Errorf("%+v: %d units, want %d", cfg, len(units), i)
		}
	}
	p, err := New(w.classes, w.sources, Config{Val: 0.2, PerSource: 300, ShardBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if u := p.Units(); u != nil {
		t.Errorf("ShardBytes: Units() = %d units, want none (shards roll by size)", len(u))
	}
}

// TestVariantLevelSourceSplit: a variant-level class whose sources share a
// group (so fewer groups than splits) can still hold a source that lands
// whole in one split; SourceSplit says so only when it is true.
func TestVariantLevelSourceSplit(t *testing.T) {
	sources := []Source{{0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}, {0, 0}}
	p, err := New([]string{"a"}, sources, Config{Val: 0.5, Seed: 1, PerSource: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.Classes()[0].Level != schema.LevelVariant {
		t.Fatalf("level %s, want variant", p.Classes()[0].Level)
	}
	for _, s := range p.Splits() {
		for pos := range p.Count(s) {
			if got := p.SourceSplit(p.At(s, pos).Source); got != s {
				t.Errorf("source %d at %s %d: SourceSplit %q", p.At(s, pos).Source, s, pos, got)
			}
		}
	}
	p, err = New([]string{"a"}, sources[:1], Config{Val: 0.5, Seed: 1, PerSource: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.SourceSplit(0); got != "" {
		t.Errorf("one source over two splits: SourceSplit %q, want \"\"", got)
	}
}
