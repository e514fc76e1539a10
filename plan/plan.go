// Package plan lays out generate's samples (source, variant) into splits
// and a write order without materialising them: its memory is O(sources +
// classes) however many variants each source gets, and any position of
// the order maps to its sample in O(log sources) time with no allocation,
// so a part of a run can enumerate only its own samples.
//
// # Split assignment
//
// Each class is split as split.Plan splits it (see that package's doc for
// the rounding rule and levels), through split.PlanGroups, its group-level
// core. A class's sources are put in canonical order, by Group then by
// index in the sources slice, and sources sharing a Group form one group
// of sources-in-group x PerSource samples. Grouping is within a class, as
// in split.Plan.
//
//   - Source level (at least as many groups as non-empty splits): whole
//     groups go to one split, chosen by split.PlanGroups' keyed shuffle and
//     greedy fill. For the same groups in the same canonical order this is
//     exactly split.Plan's assignment.
//   - Variant level: the class's n = sources x PerSource items, numbered
//     k = j*PerSource + (variant-1) for its j-th source in canonical order,
//     are ordered by a keyed pseudorandom permutation pi of [0, n) (domain
//     "cut", keyed by the class name) and cut at the targets: items with
//     pi(k) in [0, n_val) go to val, the next n_test to test, the rest to
//     train. The o-th item of a split's share is pi^-1(lo+o).
//
// With Config.ValOriginals, a held-out (val or test) source of a
// source-level class gives one sample, its original (variant 0), instead
// of PerSource variants. Classes() counts the planned items before that.
//
// # Order
//
// The order is split-major: all train positions, then val, then test (the
// writer keeps one shard sequence per split anyway). Within a split, the
// split's index space is the concatenation, class by class in the order of
// the classes slice, of each source-level source's samples (canonical
// order) and each variant-level class's share; position pos maps to index
// sigma(pos) of that space, sigma a keyed pseudorandom permutation of
// [0, Count(split)) (domain "order", keyed by the split name). Both
// permutations are Feistel networks with cycle walking over the smallest
// power-of-two domain that holds n; see perm for the round function and key
// schedule. Every key is derived from the seed and a version tag, so the
// same seed gives the same order on every machine and Go release.
package plan

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/split"
)

// Source is one source image: Class indexes the classes slice; sources
// sharing Group (the caller's ids: same sha256, or same --group-regex
// group) within a class always land in one split at source level.
type Source struct{ Class, Group int }

// Config is what the plan depends on besides the sources.
type Config struct {
	Val, Test    float64
	Seed         uint64
	PerSource    int  // variants per source, >= 1
	ValOriginals bool // a held-out source of a source-level class gives one sample, variant 0
	// Shards, ShardSize are the shard rule per split (schema.PlanShards;
	// 0, 0 = the default rule). They only shape Units.
	Shards, ShardSize int
	// ShardBytes > 0 means the writer rolls shards at a byte limit, so
	// shard boundaries depend on the samples' sizes: there are no fixed
	// units and Units returns nil (the order and At are unchanged).
	ShardBytes int64
}

// Sample is one planned sample: Source indexes the sources slice; Variant
// 0 is the original, else 1..PerSource.
type Sample struct{ Source, Variant int }

// Unit is one shard of one split: the unit of work a part of a run owns.
type Unit struct {
	Index         int    // position in Units()
	Split         string // schema.Train/Val/Test
	Shard, Shards int    // this unit is shard Shard of the split's Shards
	Start, End    int    // the split positions [Start, End) it holds
}

// Plan is a planned run. It is read-only after New and safe for concurrent
// use.
type Plan struct {
	cfg     Config
	reports []split.ClassReport
	spaces  [3]space // train, val, test (schema.Splits order)

	// Sources grouped by class, each class in canonical order:
	// classSrc[classOff[c]:classOff[c+1]] are class c's sources.
	classSrc []int32
	classOff []int
	// where holds, per source, its split index (0 train, 1 val, 2 test)
	// at source level, or ^i for a variant-level source at classSrc[i].
	where []int32
	cuts  []cut // per class; n == 0 unless the class is variant level
}

// space is one split's index space and order.
type space struct {
	name  string
	count int
	order perm
	// Segments: starts ascending (starts[0] == 0); refs >= 0 name a source
	// of a source-level class, ^c class c's variant-level share.
	starts []int
	refs   []int32
	// uniform > 0 when every segment holds that many samples, so the
	// segment of index q is q/uniform without a search (the usual case:
	// every source in PerSource variants).
	uniform int
}

// cut is a variant-level class's permutation and the start of each split's
// share in it.
type cut struct {
	n  int
	pi perm
	lo [3]int
}

// ConfigError reports a Config or sources that New cannot plan.
type ConfigError struct{ Reason string }

func (e *ConfigError) Error() string { return "plan: " + e.Reason }

// New plans sources into splits. Errors: a *split.FractionError for
// fractions that cannot describe a split, a *split.ClassError for a class
// too small for the non-empty splits (several joined with errors.Join, as
// split.Plan does), a *ConfigError for a bad PerSource, shard rule or
// class index.
func New(classes []string, sources []Source, cfg Config) (*Plan, error) {
	f := split.Fractions{Val: cfg.Val, Test: cfg.Test}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	P := cfg.PerSource
	switch {
	case P < 1:
		return nil, &ConfigError{fmt.Sprintf("per-source variants must be at least 1, not %d", P)}
	case cfg.Shards < 0 || cfg.ShardSize < 0 || cfg.ShardBytes < 0:
		return nil, &ConfigError{fmt.Sprintf("shards (%d), shard size (%d) and shard bytes (%d) must not be negative", cfg.Shards, cfg.ShardSize, cfg.ShardBytes)}
	case len(sources) > math.MaxInt32 || len(sources) > 0 && P > math.MaxInt64/4/len(sources):
		// Positions must fit 62 bits for the Feistel domain.
		return nil, &ConfigError{fmt.Sprintf("%d sources x %d variants is too many samples to plan", len(sources), P)}
	}
	p := &Plan{
		cfg:      cfg,
		classOff: make([]int, len(classes)+1),
		classSrc: make([]int32, len(sources)),
		where:    make([]int32, len(sources)),
		cuts:     make([]cut, len(classes)),
	}
	for i, s := range sources {
		if s.Class < 0 || s.Class >= len(classes) {
			return nil, &ConfigError{fmt.Sprintf("source %d has class %d, outside the %d classes", i, s.Class, len(classes))}
		}
		p.classOff[s.Class+1]++
	}
	for c := range classes {
		p.classOff[c+1] += p.classOff[c]
	}
	// A counting sort by class keeps the sources' index order within a
	// class; sorting by Group then index makes the canonical order.
	fill := slices.Clone(p.classOff[:len(classes)])
	for i, s := range sources {
		p.classSrc[fill[s.Class]] = int32(i)
		fill[s.Class]++
	}
	byGroup := func(x, y int32) int {
		if c := cmp.Compare(sources[x].Group, sources[y].Group); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	}

	names := schema.Splits()
	for s := range p.spaces {
		p.spaces[s].name = names[s]
	}
	var errs []error
	var sizes []int
	for c, class := range classes {
		run := p.classSrc[p.classOff[c]:p.classOff[c+1]]
		if len(run) == 0 {
			continue // as in split.Plan, a class is known by its items
		}
		if !slices.IsSortedFunc(run, byGroup) {
			slices.SortFunc(run, byGroup)
		}
		sizes = sizes[:0]
		for j, si := range run {
			if j == 0 || sources[si].Group != sources[run[j-1]].Group {
				sizes = append(sizes, 0)
			}
			sizes[len(sizes)-1] += P
		}
		rep, dest, err := split.PlanGroups(class, sizes, f, cfg.Seed)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.reports = append(p.reports, rep)
		if dest == nil {
			p.addVariantClass(c, class, len(run), rep)
			continue
		}
		g := -1
		for j, si := range run {
			if j == 0 || sources[si].Group != sources[run[j-1]].Group {
				g++
			}
			p.where[si] = int32(dest[g])
		}
	}
	switch len(errs) {
	case 0:
	case 1:
		return nil, errs[0]
	default:
		return nil, errors.Join(errs...)
	}
	p.layout(classes)
	return p, nil
}

// layout builds each split's index space: class by class, each
// source-level source's samples in canonical order, or a variant-level
// class's share. Segments are counted first so each split's slices are
// allocated once, at their size.
func (p *Plan) layout(classes []string) {
	var segs [3]int
	for c := range classes {
		if p.cuts[c].n > 0 {
			for s := range segs {
				if p.cuts[c].share(s) > 0 {
					segs[s]++
				}
			}
			continue
		}
		for _, si := range p.classSrc[p.classOff[c]:p.classOff[c+1]] {
			segs[p.where[si]]++
		}
	}
	for s := range p.spaces {
		p.spaces[s].starts = make([]int, 0, segs[s])
		p.spaces[s].refs = make([]int32, 0, segs[s])
	}
	P := p.cfg.PerSource
	for c := range classes {
		if ct := &p.cuts[c]; ct.n > 0 {
			for s := range p.spaces {
				if k := ct.share(s); k > 0 {
					p.spaces[s].add(^int32(c), k)
				}
			}
			continue
		}
		for _, si := range p.classSrc[p.classOff[c]:p.classOff[c+1]] {
			s := p.where[si]
			n := P
			if p.cfg.ValOriginals && s != 0 {
				n = 1
			}
			p.spaces[s].add(si, n)
		}
	}
	for s := range p.spaces {
		sp := &p.spaces[s]
		sp.order = newPerm(uint64(sp.count), p.cfg.Seed, "order", sp.name)
		sp.uniform = uniform(sp.starts, sp.count)
	}
}

func (p *Plan) addVariantClass(c int, class string, nsrc int, rep split.ClassReport) {
	n := nsrc * p.cfg.PerSource
	ct := cut{n: n, pi: newPerm(uint64(n), p.cfg.Seed, "cut", class)}
	names := schema.Splits()
	// Shares in the cut order val, test, train, as split.Plan cuts.
	lo := 0
	for _, s := range []int{1, 2, 0} {
		ct.lo[s] = lo
		lo += rep.Counts[names[s]]
	}
	p.cuts[c] = ct
	for i := p.classOff[c]; i < p.classOff[c+1]; i++ {
		p.where[p.classSrc[i]] = ^int32(i)
	}
}

func (sp *space) add(ref int32, n int) {
	sp.starts = append(sp.starts, sp.count)
	sp.refs = append(sp.refs, ref)
	sp.count += n
}

// uniform returns the common segment length, or 0 when lengths differ.
func uniform(starts []int, count int) int {
	if len(starts) == 0 {
		return 0
	}
	l := count / len(starts)
	if l*len(starts) != count {
		return 0
	}
	for i, s := range starts {
		if s != i*l {
			return 0
		}
	}
	return l
}

// Classes reports each class that has sources, in the order of the
// classes slice, as split.Plan reports them (Level, Groups, Counts of the
// planned items before ValOriginals). The caller must not modify them.
func (p *Plan) Classes() []split.ClassReport { return p.reports }

// Splits returns the non-empty splits in schema order.
func (p *Plan) Splits() []string {
	var out []string
	for _, sp := range p.spaces {
		if sp.count > 0 {
			out = append(out, sp.name)
		}
	}
	return out
}

func (p *Plan) space(name string) *space {
	switch name {
	case schema.Train:
		return &p.spaces[0]
	case schema.Val:
		return &p.spaces[1]
	case schema.Test:
		return &p.spaces[2]
	}
	return nil
}

// Count returns the number of samples of a split (0 for an unknown name).
func (p *Plan) Count(split string) int {
	if sp := p.space(split); sp != nil {
		return sp.count
	}
	return 0
}

// Total returns the number of samples of all splits.
func (p *Plan) Total() int { return p.spaces[0].count + p.spaces[1].count + p.spaces[2].count }

// At returns the pos-th sample of split's order, or Sample{-1, -1} when
// split is not a split name or pos is outside [0, Count(split)).
func (p *Plan) At(split string, pos int) Sample {
	sp := p.space(split)
	if sp == nil || pos < 0 || pos >= sp.count {
		return Sample{-1, -1}
	}
	q := int(sp.order.apply(uint64(pos)))
	var seg int
	if sp.uniform > 0 {
		seg = q / sp.uniform
	} else {
		// The last segment starting at or before q.
		lo, hi := 0, len(sp.starts)
		for hi-lo > 1 {
			m := int(uint(lo+hi) >> 1)
			if sp.starts[m] <= q {
				lo = m
			} else {
				hi = m
			}
		}
		seg = lo
	}
	o := q - sp.starts[seg]
	ref := sp.refs[seg]
	if ref >= 0 {
		if p.cfg.ValOriginals && sp != &p.spaces[0] {
			return Sample{int(ref), 0}
		}
		return Sample{int(ref), o + 1}
	}
	c := int(^ref)
	ct := &p.cuts[c]
	k := int(ct.pi.invert(uint64(ct.lo[p.splitIndex(sp)] + o)))
	P := p.cfg.PerSource
	return Sample{int(p.classSrc[p.classOff[c]+k/P]), k%P + 1}
}

func (p *Plan) splitIndex(sp *space) int {
	switch sp {
	case &p.spaces[1]:
		return 1
	case &p.spaces[2]:
		return 2
	}
	return 0
}

// SourceSplit returns the split holding all of src's samples, or "" when
// they straddle splits (variant level) or src is out of range. At variant
// level it looks at src's items until two splits differ, so it costs up to
// PerSource permutation steps for a source whose items happen to share a
// split, and a handful otherwise.
func (p *Plan) SourceSplit(src int) string {
	if src < 0 || src >= len(p.where) {
		return ""
	}
	names := schema.Splits()
	w := p.where[src]
	if w >= 0 {
		return names[w]
	}
	i := int(^w)
	// The class whose run holds classSrc[i]: the last with classOff <= i.
	c, _ := slices.BinarySearch(p.classOff, i+1)
	c--
	ct := &p.cuts[c]
	P := p.cfg.PerSource
	first := -1
	for v := range P {
		k := (i-p.classOff[c])*P + v
		s := ct.splitOf(int(ct.pi.apply(uint64(k))))
		if first < 0 {
			first = s
		} else if s != first {
			return ""
		}
	}
	return names[first]
}

// share returns the number of the class's items in split s.
func (ct *cut) share(s int) int {
	switch s {
	case 1:
		return ct.lo[2] - ct.lo[1]
	case 2:
		return ct.lo[0] - ct.lo[2]
	}
	return ct.n - ct.lo[0]
}

// splitOf returns the split whose share holds permuted index x.
func (ct *cut) splitOf(x int) int {
	switch {
	case x < ct.lo[2]:
		return 1
	case x < ct.lo[0]:
		return 2
	}
	return 0
}

// Units returns every split's shards, as schema.PlanShards(Count(split),
// Shards, ShardSize) lays them out, in schema order, then shard order.
// They are computed on each call (one per shard), not kept in the plan.
// With Config.ShardBytes there are none: Units returns nil.
func (p *Plan) Units() []Unit {
	if p.cfg.ShardBytes > 0 {
		return nil
	}
	var out []Unit
	for _, sp := range p.spaces {
		sizes := schema.PlanShards(sp.count, p.cfg.Shards, p.cfg.ShardSize)
		start := 0
		for i, n := range sizes {
			out = append(out, Unit{Index: len(out), Split: sp.name, Shard: i, Shards: len(sizes), Start: start, End: start + n})
			start += n
		}
	}
	return out
}
