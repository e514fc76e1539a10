// Package audit checks a dataset's splits for the mistakes that make a
// validation score meaningless: classes missing from a split (Keras's
// validation_split on class-ordered data: val_accuracy stuck at 0), skewed
// class shares, exact and near-duplicate images across splits, sources
// whose variants straddle splits, and what a Keras validation_split would
// do to the list as it is ordered.
//
// It reads folder datasets, augsplit outputs and CSV lists (see Load),
// and knows nothing of how the data was made beyond what the manifest and
// dataset card record.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/schema"
)

// Options tune the checks. Start from DefaultOptions: the zero value
// means Hamming 0 (only hash-identical images are near-duplicates).
type Options struct {
	// ShareThreshold: a class whose share of a split differs between two
	// splits by more than this (absolute, 0.1 = ten points) is reported.
	// 0 means the default, 0.1.
	ShareThreshold float64
	// Hamming is the largest perceptual-hash distance (of 64 bits) at
	// which two images in different splits are near-duplicates; negative
	// turns the near-duplicate check off.
	Hamming int
	// KerasValidationSplit, when in (0, 1), simulates Keras's
	// fit(validation_split=F) on the ordered list.
	KerasValidationSplit float64
	// MaxPairs caps the duplicate pairs named per kind (all are
	// counted). 0 means the default, 50.
	MaxPairs int
	// MaxPixels is the per-image decode budget; 0 means
	// dataset.DefaultMaxPixels.
	MaxPixels int
	// Workers read and hash files concurrently; 0 means GOMAXPROCS.
	Workers int
}

// DefaultOptions returns the options the CLI starts from.
func DefaultOptions() Options {
	return Options{ShareThreshold: 0.1, Hamming: 6, MaxPairs: 50}
}

// Severity of a finding.
const (
	Problem  = "problem"  // a leak or gap that makes validation misleading: exit 1
	Expected = "expected" // a known consequence the dataset card records
	Note     = "note"     // a check skipped or limited, and why
)

// Finding kinds.
const (
	FindingMissing  = "missing-class"
	FindingShare    = "class-share"
	FindingExact    = "exact-duplicate"
	FindingNear     = "near-duplicate"
	FindingStraddle = "source-straddle"
	FindingKeras    = "keras-validation-split"
	FindingNote     = "note"
)

// Finding is one line of the report's verdict.
type Finding struct {
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// Report is what Audit found. Maps are keyed class -> split.
type Report struct {
	Path     string                    `json:"path"`
	Kind     Kind                      `json:"kind"`
	Samples  int                       `json:"samples"`
	Splits   []string                  `json:"splits"`
	Classes  []string                  `json:"classes"`
	Counts   map[string]map[string]int `json:"counts"`
	Problems int                       `json:"problems"` // findings of severity "problem"
	Findings []Finding                 `json:"findings"`
	Checks   []string                  `json:"checks"` // what was checked, with its settings

	Missing         []Missing    `json:"missing,omitempty"`
	ShareSkews      []ShareSkew  `json:"share_skews,omitempty"`
	ExactDuplicates PairList     `json:"exact_duplicates"`
	NearDuplicates  PairList     `json:"near_duplicates"`
	Straddles       []Straddle   `json:"straddles,omitempty"`
	Keras           *KerasReport `json:"keras,omitempty"`

	// Hamming and ShareThreshold echo the options the checks ran with.
	Hamming        int     `json:"hamming"`
	ShareThreshold float64 `json:"share_threshold"`
}

// Clean reports whether no finding is a problem.
func (r *Report) Clean() bool { return r.Problems == 0 }

// Missing lists the classes a non-empty split lacks.
type Missing struct {
	Split   string   `json:"split"`
	Classes []string `json:"classes"`
}

// ShareSkew is a class whose share differs across splits.
type ShareSkew struct {
	Class  string             `json:"class"`
	Shares map[string]float64 `json:"shares"` // split -> fraction of that split
	Spread float64            `json:"spread"` // max - min share
}

// Ref names one sample in a pair.
type Ref struct {
	Path  string `json:"path"`
	Split string `json:"split"`
	Class string `json:"class"`
}

// Pair is two samples in different splits that are the same image, or
// nearly (Distance in bits, up to a flip or 90-degree rotation).
type Pair struct {
	A        Ref `json:"a"`
	B        Ref `json:"b"`
	Distance int `json:"distance"`
}

// PairList is every cross-split pair of one kind: Total counted, the first
// MaxPairs named. Pairs whose two samples share a source (group) are not
// named but counted in SameSource: the straddle finding already covers
// them.
type PairList struct {
	Total      int    `json:"total"`
	Pairs      []Pair `json:"pairs"`
	SameSource int    `json:"same_source"`
	Checked    int    `json:"checked"` // samples that took part in the check
}

// Straddle is a source (group) with samples in more than one split.
type Straddle struct {
	Class    string         `json:"class"`
	Source   string         `json:"source"`
	Group    string         `json:"group"`
	Splits   map[string]int `json:"splits"`
	Expected bool           `json:"expected"` // the card records the class as split at variant level
}

// KerasReport is what fit(validation_split=F) would do to the list.
type KerasReport struct {
	Fraction float64 `json:"fraction"`
	// Over names the list sliced: a split ("train") or "all" for an
	// input without splits; Order says how that list is ordered.
	Over             string       `json:"over"`
	Order            string       `json:"order"`
	Samples          int          `json:"samples"`
	TrainSamples     int          `json:"train_samples"`
	ValSamples       int          `json:"val_samples"`
	ValClasses       []ClassCount `json:"val_classes"` // what the last F holds
	MissingFromTrain []string     `json:"missing_from_train"`
	MissingFromVal   []string     `json:"missing_from_val"`
	Advice           string       `json:"advice"`
}

// ClassCount is a class and how many samples it has.
type ClassCount struct {
	Class string `json:"class"`
	Count int    `json:"count"`
}

// Audit reads the files of in (to hash them) and runs every check.
// Problems found are in the report, not the error: the error is for input
// that cannot be read.
func Audit(ctx context.Context, in Input, opts Options) (*Report, error) {
	if opts.ShareThreshold <= 0 {
		opts.ShareThreshold = 0.1
	}
	if opts.MaxPairs <= 0 {
		opts.MaxPairs = 50
	}
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = dataset.DefaultMaxPixels
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.KerasValidationSplit < 0 || opts.KerasValidationSplit >= 1 {
		return nil, fmt.Errorf("keras validation split %v: want a fraction in (0, 1)", opts.KerasValidationSplit)
	}
	if opts.Hamming > 64 {
		return nil, fmt.Errorf("hamming %d: want at most 64 (of 64 bits)", opts.Hamming)
	}

	r := &Report{
		Path:           in.Path,
		Kind:           in.Kind,
		Samples:        len(in.Items),
		Splits:         slices.Clone(in.Splits),
		Classes:        slices.Clone(in.Classes),
		Counts:         map[string]map[string]int{},
		Hamming:        opts.Hamming,
		ShareThreshold: opts.ShareThreshold,
	}
	for _, c := range r.Classes {
		r.Counts[c] = map[string]int{}
	}
	splitTotal := map[string]int{}
	for _, it := range in.Items {
		if r.Counts[it.Class] == nil {
			// An Input built by hand may not list every class.
			r.Counts[it.Class] = map[string]int{}
			r.Classes = append(r.Classes, it.Class)
		}
		key := it.Split
		if key == "" {
			key = "all"
		}
		r.Counts[it.Class][key]++
		splitTotal[it.Split]++
	}
	slices.Sort(r.Classes)
	for _, n := range in.Notes {
		r.note(n)
	}

	if len(r.Splits) == 0 {
		msg := "no splits in the input: split checks skipped"
		if opts.KerasValidationSplit == 0 {
			msg += " (--keras-validation-split F shows what Keras would make of it)"
		}
		r.note(msg)
	} else {
		r.checkMissing(splitTotal)
		r.checkShares(splitTotal)
		r.Checks = append(r.Checks, "every class in every split", fmt.Sprintf("class shares within %.2f", opts.ShareThreshold))
		groups := r.checkStraddles(in)
		if groups > 0 {
			r.Checks = append(r.Checks, fmt.Sprintf("sources kept within one split (%s)", count(groups, "source", "sources")))
		}
		if err := r.checkDuplicates(ctx, in, opts); err != nil {
			return nil, err
		}
		r.Checks = append(r.Checks, fmt.Sprintf("exact duplicates (%s)", count(r.ExactDuplicates.Checked, "file", "files")))
		if opts.Hamming >= 0 {
			r.Checks = append(r.Checks, fmt.Sprintf("near-duplicates within %d bits (%s)", opts.Hamming, count(r.NearDuplicates.Checked, "image", "images")))
		}
	}
	if opts.KerasValidationSplit > 0 {
		r.checkKeras(in, opts.KerasValidationSplit)
		r.Checks = append(r.Checks, fmt.Sprintf("Keras validation_split=%g", opts.KerasValidationSplit))
	}
	for _, f := range r.Findings {
		if f.Severity == Problem {
			r.Problems++
		}
	}
	return r, nil
}

func (r *Report) add(kind, severity, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Kind: kind, Severity: severity, Message: fmt.Sprintf(format, args...)})
}

func (r *Report) note(msg string) { r.add(FindingNote, Note, "%s", msg) }

// checkMissing is the user's bug: a non-empty split without some class.
func (r *Report) checkMissing(splitTotal map[string]int) {
	for _, s := range r.Splits {
		if splitTotal[s] == 0 {
			// An empty folder is not a split anyone trains or
			// validates on; say so, but it hides no class.
			r.note(fmt.Sprintf("split %s is empty: left out of the checks", s))
			continue
		}
		var miss []string
		for _, c := range r.Classes {
			if r.Counts[c][s] == 0 {
				miss = append(miss, c)
			}
		}
		if len(miss) > 0 {
			r.Missing = append(r.Missing, Missing{Split: s, Classes: miss})
			r.add(FindingMissing, Problem, "%s has no samples of %d of %d classes: %s", s, len(miss), len(r.Classes), strings.Join(miss, ", "))
		}
	}
}

// checkShares compares each class's share of every non-empty split. A
// class already missing somewhere is not reported again here.
func (r *Report) checkShares(splitTotal map[string]int) {
	missing := map[string]bool{}
	for _, m := range r.Missing {
		for _, c := range m.Classes {
			missing[c] = true
		}
	}
	for _, c := range r.Classes {
		if missing[c] {
			continue
		}
		sk := ShareSkew{Class: c, Shares: map[string]float64{}}
		lo, hi := 2.0, -1.0
		for _, s := range r.Splits {
			if splitTotal[s] == 0 {
				continue
			}
			f := float64(r.Counts[c][s]) / float64(splitTotal[s])
			sk.Shares[s] = f
			lo, hi = min(lo, f), max(hi, f)
		}
		if len(sk.Shares) < 2 || hi-lo <= r.ShareThreshold {
			continue
		}
		sk.Spread = hi - lo
		r.ShareSkews = append(r.ShareSkews, sk)
	}
	if len(r.ShareSkews) > 0 {
		names := make([]string, len(r.ShareSkews))
		for i, sk := range r.ShareSkews {
			names[i] = fmt.Sprintf("%s (%.2f)", sk.Class, sk.Spread)
		}
		r.add(FindingShare, Problem, "%s in share across splits by more than %.2f: %s",
			count(len(names), "class differs", "classes differ"), r.ShareThreshold, strings.Join(names, ", "))
	}
}

// checkStraddles finds groups (sources) with samples in several splits.
// For an augsplit OUT whose card records the class as split at variant
// level, that is the documented consequence of too few sources, not a
// hidden leak.
//
// It returns the number of groups seen.
func (r *Report) checkStraddles(in Input) int {
	type acc struct {
		class, source string
		splits        map[string]int
	}
	groups := map[string]*acc{}
	var order []string
	for _, it := range in.Items {
		if it.Group == "" {
			continue
		}
		g := groups[it.Group]
		if g == nil {
			g = &acc{class: it.Class, source: it.Source, splits: map[string]int{}}
			groups[it.Group] = g
			order = append(order, it.Group)
		}
		g.splits[it.Split]++
	}
	var expected, leaks []string
	for _, key := range order {
		g := groups[key]
		if len(g.splits) < 2 {
			continue
		}
		st := Straddle{Class: g.class, Source: g.source, Group: key, Splits: g.splits}
		if in.Card != nil && in.Card.SplitLevel[g.class] == schema.LevelVariant {
			st.Expected = true
			expected = append(expected, st.Source)
		} else {
			leaks = append(leaks, st.Source)
		}
		r.Straddles = append(r.Straddles, st)
	}
	slices.SortStableFunc(r.Straddles, func(a, b Straddle) int {
		return strings.Compare(a.Class+"\x00"+a.Source, b.Class+"\x00"+b.Source)
	})
	slices.Sort(leaks)
	slices.Sort(expected)
	if len(leaks) > 0 {
		r.add(FindingStraddle, Problem, "%s samples in more than one split (a leak: validation sees variants of training images): %s",
			count(len(leaks), "source has", "sources have"), list(leaks, 10))
	}
	if len(expected) > 0 {
		r.add(FindingStraddle, Expected, "%s splits as the dataset card records (split_level variant: the class has fewer sources than splits): %s",
			count(len(expected), "source straddles", "sources straddle"), list(expected, 10))
	}
	return len(groups)
}

// count says "1 pair" or "3 pairs".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// list joins at most n names, saying how many were left out.
func list(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// fileHash is what reading one item yields.
type fileHash struct {
	sha   string
	ph    phash
	image bool // ph is valid
}

// hashFiles reads every item that is a file: sha256 of the bytes and the
// perceptual hash of the decoded image. Results are by item index, so the
// order of the workers does not matter.
func hashFiles(ctx context.Context, in Input, opts Options, perceptual bool) ([]fileHash, error) {
	out := make([]fileHash, len(in.Items))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idx := make(chan int)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				it := in.Items[i]
				// Only regular files, capped, stopping on a signal: an
				// item may be a symlink to a FIFO or to /dev/zero.
				if !perceptual {
					sum, err := hashFile(ctx, it.File, dataset.SourceMaxBytes(opts.MaxPixels))
					if err != nil {
						fail(readError(it, err))
						continue
					}
					out[i].sha = sum
					continue
				}
				d, sum, err := dataset.DecodeFile(ctx, it.File, opts.MaxPixels)
				if err != nil {
					fail(readError(it, err))
					continue
				}
				out[i].sha = sum
				out[i].ph = hashImage(d.Image)
				out[i].image = true
			}
		}()
	}
feed:
	for i, it := range in.Items {
		if it.File == "" {
			continue
		}
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// hashFile is the sha256 of the file at p, read through safefile.
func hashFile(ctx context.Context, p string, max int64) (string, error) {
	f, err := safefile.Open(ctx, p, max)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readError names the item of a failed read, unless the error does.
func readError(it Item, err error) error {
	var de *dataset.DecodeError
	var tl *dataset.TooLargeError
	if safefile.IsRefused(err) || errors.As(err, &de) || errors.As(err, &tl) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("read %s: %w", it.Path, err)
}

// checkDuplicates finds exact (sha256) and near (perceptual hash) copies
// across splits.
func (r *Report) checkDuplicates(ctx context.Context, in Input, opts Options) error {
	hs, err := hashFiles(ctx, in, opts, opts.Hamming >= 0)
	if err != nil {
		return err
	}
	sha := make([]string, len(in.Items))
	notFiles := 0
	for i, it := range in.Items {
		sha[i] = hs[i].sha
		if it.File == "" {
			// Shards: trust the manifest's digest; the pixels are not
			// read (that needs a shard reader, see dataset.Walk).
			sha[i] = it.SHA256
			notFiles++
		}
	}
	if notFiles > 0 && opts.Hamming >= 0 {
		r.note(fmt.Sprintf("%d samples are not files of their own (shards): exact duplicates use the manifest sha256, near-duplicates skip them", notFiles))
	}

	exact := r.exactPairs(in, sha, opts.MaxPairs)
	r.ExactDuplicates = exact
	if exact.Total > 0 {
		r.add(FindingExact, Problem, "%s of byte-identical files across splits%s", count(exact.Total, "pair", "pairs"), sameSourceNote(exact.SameSource))
	}
	if opts.Hamming < 0 {
		r.note("near-duplicate check off")
		return nil
	}
	near := nearPairs(in, r.Splits, hs, sha, opts.Hamming, opts.MaxPairs)
	r.NearDuplicates = near
	if near.Total > 0 {
		r.add(FindingNear, Problem, "%s of near-duplicate images across splits (perceptual hash within %d bits, up to flips and 90-degree rotations)%s",
			count(near.Total, "pair", "pairs"), opts.Hamming, sameSourceNote(near.SameSource))
	}
	return nil
}

func sameSourceNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %s a source (the straddle finding covers them)", count(n, "more pair shares", "more pairs share"))
}

// pairFor orients a pair so that A is in the earlier split (train first).
func pairFor(in Input, rank map[string]int, i, j, d int) Pair {
	a, b := in.Items[i], in.Items[j]
	if rank[b.Split] < rank[a.Split] {
		a, b = b, a
	}
	return Pair{
		A:        Ref{Path: a.Path, Split: a.Split, Class: a.Class},
		B:        Ref{Path: b.Path, Split: b.Split, Class: b.Class},
		Distance: d,
	}
}

func splitRanks(splits []string) map[string]int {
	m := map[string]int{}
	for i, s := range splits {
		m[s] = i
	}
	return m
}

// exactPairs groups by digest and names cross-split pairs in item order.
func (r *Report) exactPairs(in Input, sha []string, maxPairs int) PairList {
	rank := splitRanks(r.Splits)
	bySHA := map[string][]int{}
	var pl PairList
	for i, s := range sha {
		if s == "" {
			continue
		}
		pl.Checked++
		bySHA[s] = append(bySHA[s], i)
	}
	for j, s := range sha {
		if s == "" {
			continue
		}
		for _, i := range bySHA[s] {
			if i >= j {
				break
			}
			countPair(in, &pl, rank, i, j, 0, maxPairs)
		}
	}
	return pl
}

// countPair records i, j if they are in different splits.
func countPair(in Input, pl *PairList, rank map[string]int, i, j, d, maxPairs int) {
	a, b := in.Items[i], in.Items[j]
	if a.Split == b.Split {
		return
	}
	if a.Group != "" && a.Group == b.Group {
		pl.SameSource++
		return
	}
	pl.Total++
	if len(pl.Pairs) < maxPairs {
		pl.Pairs = append(pl.Pairs, pairFor(in, rank, i, j, d))
	}
}
