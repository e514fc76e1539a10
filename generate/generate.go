package generate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/hub"
	"github.com/augsplit/augsplit/internal/pngenc"
	"github.com/augsplit/augsplit/internal/shq"
	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/plan"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/split"
	"github.com/augsplit/augsplit/writer"
)

// ErrUpToDate means OUT already holds the finished result of this exact run;
// nothing was written.
var ErrUpToDate = writer.ErrUpToDate

// Options are the run's side channels: none of them changes an output byte.
type Options struct {
	// Log receives warnings and notes (stderr in the CLI).
	Log io.Writer
	// Progress, if set, is called once per committed sample with the number
	// committed so far and the total, from a single goroutine.
	Progress func(done, total int)
	// FS is the writer's file-system seam (tests inject failures); nil = OS.
	FS writer.FS
	// InDir, if set, is the local folder the sources are read from, and
	// cfg.In only names them in the card: a bucket URL whose objects were
	// fetched to a temporary InDir. The card and fingerprint record the
	// URL, so they do not depend on where the copy was made.
	InDir string
}

// job is one sample to make: a source and a variant number (0 = original).
type job struct {
	seq     int // position in the output order
	src     int // index into tree.Sources
	variant int
	split   string
}

// result is a made sample waiting for its turn to be committed.
type result struct {
	sample *writer.Sample
	err    error
}

// Run executes the generate pipeline and returns the committed card. An
// --out that is a URL (s3://, gs://, ...) is written as part 0 of 1 and
// sealed in the same call (RunPart, then Seal).
func Run(ctx context.Context, cfg Config, opts Options) (*schema.Card, error) {
	if IsURL(cfg.Out) {
		if _, err := RunPart(ctx, cfg, 0, 1, opts); err != nil {
			return nil, CheckFinished(ctx, cfg.Out, err)
		}
		st, err := OpenStore(ctx, cfg.Out, opts.FS)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		return Seal(ctx, st, opts)
	}
	r, err := prepare(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	out, err := writer.Open(ctx, r.cfg.Out, writer.Options{
		Metadata:    hub.Files,
		Classes:     r.classes,
		Splits:      r.plan.Splits(),
		Formats:     r.cfg.Formats,
		Shards:      r.cfg.Shards,
		ShardSize:   r.cfg.ShardSize,
		ShardBytes:  r.cfg.ShardBytes,
		Force:       r.cfg.Force,
		Fingerprint: r.card.Fingerprint,
		FS:          opts.FS,
		SplitCounts: r.splitCounts,
	})
	if err != nil {
		return nil, checkUpToDate(ctx, r.cfg.Out, err)
	}
	if err := produce(ctx, r.cfg, r.tree, r.plan, orderUnits(r.plan), r.classes, out, opts.Progress); err != nil {
		out.Abort()
		return nil, err
	}
	if err := out.Commit(r.card); err != nil {
		out.Abort()
		return nil, err
	}
	return r.card, nil
}

// prepared is a run before its first sample: the same for a one-machine
// run and for every part.
type prepared struct {
	cfg         Config
	tree        *dataset.Tree
	classes     []string
	plan        *plan.Plan
	card        *schema.Card
	splitCounts map[string]int
}

// prepare scans, plans and builds the card template (everything but what
// the writer fills), saying on opts.Log what it warns about.
func prepare(ctx context.Context, cfg Config, opts Options) (*prepared, error) {
	cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	inDir := cfg.In
	if opts.InDir != "" {
		inDir = opts.InDir
	}
	// A URL --in is compared as the URL, not as the folder it was fetched to.
	in := inDir
	if IsURL(cfg.In) {
		in = cfg.In
	}
	if err := dataset.CheckSeparate(in, cfg.Out); err != nil {
		return nil, err
	}
	tree, err := dataset.Scan(ctx, inDir, scanOptions(cfg.MaxPixels, cfg.SkipBad, cfg.FollowSymlinks))
	if err != nil {
		return nil, err
	}
	logScan(logw, tree)
	classes := classList(tree)

	pl, err := planRun(tree, cfg, classes)
	if err != nil {
		return nil, err
	}
	reports := pl.Classes()
	pw := append(decodeWarnings(tree), planWarnings(reports, cfg)...)
	if w := fractionWarning(reports, cfg.Val, cfg.Test, "sources"); w != "" {
		pw = append(pw, w)
	}
	if w := squashWarning(tree, cfg.Size); w != "" && cfg.Fit == FitSquash {
		pw = append(pw, w)
	}
	for _, w := range pw {
		fmt.Fprintf(logw, "warning: %s\n", w)
	}
	warnings := append(append([]string(nil), tree.Warnings...), pw...)

	cfgJSON, err := cfg.effectiveJSON()
	if err != nil {
		return nil, err
	}
	// Classes, splits, counts and totals are the writer's to fill from
	// what it is given and what is Put.
	card := &schema.Card{
		Tool:       "augsplit",
		Version:    Version,
		Command:    "generate",
		Seed:       cfg.Seed,
		Config:     cfgJSON,
		SplitLevel: splitLevels(reports),
		NonImages:  tree.NonImages,
		Skipped:    tree.Skipped,
		Renamed:    tree.Renamed,
		Warnings:   warnings,
	}
	card.Fingerprint = fingerprint(card, tree)
	card.Sources = sourceInfo(tree, pl.SourceSplit)

	splitCounts := map[string]int{}
	for _, sp := range pl.Splits() {
		splitCounts[sp] = pl.Count(sp)
	}
	return &prepared{cfg: cfg, tree: tree, classes: classes, plan: pl, card: card, splitCounts: splitCounts}, nil
}

// scanOptions are the scan settings of generate and split, whose errors
// may advise their --skip-bad and --max-pixels.
func scanOptions(maxPixels int, skipBad, followSymlinks bool) dataset.ScanOptions {
	return dataset.ScanOptions{
		MaxPixels: maxPixels, SkipBad: skipBad, FollowSymlinks: followSymlinks, UnicodeNames: true,
		SkipBadFlag: "--skip-bad", MaxPixelsFlag: "--max-pixels",
	}
}

// fractionWarning says how far rounding each class to whole groups (what
// sources or groups stand for) moved the share of each split from what
// was asked, or "" when every share is within a tenth of the asked one
// (or one percentage point). The shares are of the planned items, before
// --val-originals keeps one original per held-out source.
func fractionWarning(reports []split.ClassReport, val, test float64, groups string) string {
	asked := map[string]float64{schema.Train: 1 - val - test, schema.Val: val, schema.Test: test}
	got := map[string]int{}
	total := 0
	for _, c := range reports {
		for sp, n := range c.Counts {
			got[sp] += n
			total += n
		}
	}
	if total == 0 {
		return ""
	}
	moved := false
	var parts []string
	for _, sp := range []string{schema.Train, schema.Val, schema.Test} {
		if asked[sp] == 0 && got[sp] == 0 {
			continue
		}
		actual := float64(got[sp]) / float64(total)
		if math.Abs(actual-asked[sp]) > max(0.01, asked[sp]/10) {
			moved = true
		}
		parts = append(parts, fmt.Sprintf("%s %.2f -> %.2f", sp, asked[sp], actual))
	}
	if !moved {
		return ""
	}
	fewest := -1
	for _, c := range reports {
		if c.Level == schema.LevelSource && (fewest < 0 || c.Groups < fewest) {
			fewest = c.Groups
		}
	}
	why := "every class keeps at least one sample per split"
	if fewest > 0 {
		why = fmt.Sprintf("splits take whole %s, every class at least one per split, and the smallest class has %d %s", groups, fewest, groups)
	}
	return fmt.Sprintf("split fractions moved (asked -> actual): %s: %s; add %s per class or change --val/--test to get closer", strings.Join(parts, ", "), why, groups)
}

// planRun plans the run's samples without listing them: classes are the
// sorted class list, and a source's group is the rank of its sha256 among
// all sources' (same bytes, same group), so groups take the canonical
// order split.Plan gives them (by sha256) and a class split by source gets
// the sources split.Plan would give it.
func planRun(tree *dataset.Tree, cfg Config, classes []string) (*plan.Plan, error) {
	classIndex := make(map[string]int, len(classes))
	for i, c := range classes {
		classIndex[c] = i
	}
	shas := make([]string, len(tree.Sources))
	for i, s := range tree.Sources {
		shas[i] = s.SHA256
	}
	slices.Sort(shas)
	shas = slices.Compact(shas)
	sources := make([]plan.Source, len(tree.Sources))
	for i, s := range tree.Sources {
		g, _ := slices.BinarySearch(shas, s.SHA256)
		sources[i] = plan.Source{Class: classIndex[s.Class], Group: g}
	}
	return plan.New(classes, sources, plan.Config{
		Val: cfg.Val, Test: cfg.Test, Seed: cfg.Seed, PerSource: cfg.PerSource,
		ValOriginals: cfg.ValOriginals, Shards: cfg.Shards, ShardSize: cfg.ShardSize, ShardBytes: cfg.ShardBytes,
	})
}

// maxListedNames bounds the files one warning line names.
const maxListedNames = 10

// decodeWarnings says, one line per kind, what decoding changed in the
// sources' data: nothing done to pixels is silent. (split copies files as
// they are, so it has none of these.)
func decodeWarnings(tree *dataset.Tree) []string {
	var oriented, reduced, animated []string
	for _, s := range tree.Sources {
		if s.Orientation != 0 {
			oriented = append(oriented, fmt.Sprintf("%s (%s)", s.Path, dataset.OrientationName(s.Orientation)))
		}
		if s.Reduced {
			reduced = append(reduced, s.Path)
		}
		if s.Frames > 1 {
			animated = append(animated, fmt.Sprintf("%s (%d frames)", s.Path, s.Frames))
		}
	}
	list := func(names []string) string {
		if len(names) <= maxListedNames {
			return strings.Join(names, ", ")
		}
		return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListedNames], ", "), len(names)-maxListedNames)
	}
	var out []string
	if n := len(oriented); n > 0 {
		out = append(out, fmt.Sprintf(
			"%d JPEG source(s) carry an EXIF orientation, applied so that they stand as a viewer shows them (each is recorded in the card's sources): %s",
			n, list(oriented)))
	}
	if n := len(reduced); n > 0 {
		out = append(out, fmt.Sprintf(
			"%d source(s) are 16-bit colour, reduced to 8 bits a channel (augment has no 16-bit colour type; 16-bit grey stays 16-bit): %s",
			n, list(reduced)))
	}
	if n := len(animated); n > 0 {
		out = append(out, fmt.Sprintf(
			"%d source(s) are animated GIFs of which only the first frame is used; save the frames as separate images to use them all: %s",
			n, list(animated)))
	}
	return out
}

func planWarnings(reports []split.ClassReport, cfg Config) []string {
	var shared, bySource []string
	for _, c := range reports {
		if c.Level == schema.LevelVariant {
			shared = append(shared, c.Class)
		} else {
			bySource = append(bySource, c.Class)
		}
	}
	var out []string
	if w := cfg.identityWarning(); w != "" {
		out = append(out, w)
	}
	if cfg.ValOriginals && len(bySource) > 0 {
		out = append(out, fmt.Sprintf("--val-originals: val and test hold one un-augmented original per held-out source (not %d variants each) for: %s",
			cfg.PerSource, strings.Join(bySource, ", ")))
	}
	if len(shared) > 0 {
		out = append(out, fmt.Sprintf("%d of %d classes have fewer sources than splits, so their variants were split at variant level and train and val share sources (near-duplicates: val accuracy will be optimistic): %s; add more source images per class to split by source",
			len(shared), len(reports), strings.Join(shared, ", ")))
		if cfg.ValOriginals {
			out = append(out, "--val-originals applies only to classes split by source; it changed nothing for: "+strings.Join(shared, ", "))
		}
	}
	return out
}

func classList(tree *dataset.Tree) []string {
	seen := map[string]bool{}
	var classes []string
	for _, s := range tree.Sources {
		if !seen[s.Class] {
			seen[s.Class] = true
			classes = append(classes, s.Class)
		}
	}
	sort.Strings(classes)
	return classes
}

// fingerprint identifies a run's output: tool version, effective config and
// the exact source bytes. Same fingerprint, same bytes.
func fingerprint(card *schema.Card, tree *dataset.Tree) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", card.Tool, card.Version, card.Command)
	h.Write(card.Config)
	for _, s := range tree.Sources {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%s", s.Class, s.Path, s.SHA256)
		if s.Orientation != 0 {
			// Pixels of an EXIF-oriented source differ from its stored
			// ones (and from what versions that ignored EXIF made).
			fmt.Fprintf(h, "\x00orientation=%d", s.Orientation)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// splitLevels records, per class, whether its sources were kept whole.
func splitLevels(reports []split.ClassReport) map[string]string {
	levels := make(map[string]string, len(reports))
	for _, c := range reports {
		levels[c.Class] = c.Level
	}
	return levels
}

// sourceInfo lists the sources for the card, each with the split that
// holds all its samples (splitOf(i), "" when they straddle).
func sourceInfo(tree *dataset.Tree, splitOf func(i int) string) []schema.Source {
	out := make([]schema.Source, len(tree.Sources))
	for i, s := range tree.Sources {
		out[i] = schema.Source{Path: dataset.EscapePath(s.Path), Class: s.Class, SHA256: s.SHA256,
			Width: s.Width, Height: s.Height, Orientation: s.Orientation, Split: splitOf(i)}
	}
	return out
}

// sink takes the samples in order: a writer.Out, or a part's units.
type sink interface {
	Put(ctx context.Context, s *writer.Sample) error
}

// produce runs the workers and commits the samples of units (the plan's,
// or a part's) in order, each unit's positions in order. A
// window of in-flight jobs bounds memory to about window x one encoded
// image, and the plan makes each job from its position, so nothing grows
// with the number of variants.
func produce(ctx context.Context, cfg Config, tree *dataset.Tree, pl *plan.Plan, units []plan.Unit, classes []string, out sink, progress func(int, int)) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Cancel first so the feeder and workers see it, then wait for them: no
	// goroutine outlives the call, and none is left blocked.
	defer func() { cancel(); wg.Wait() }()

	classIndex := map[string]int{}
	for i, c := range classes {
		classIndex[c] = i
	}
	cache := newSourceCache(tree, cfg, 256<<20)
	level, err := pngenc.ParseLevel(cfg.PNGCompression)
	if err != nil {
		return err
	}

	window := 4 * cfg.Workers
	slots := make([]chan result, window)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	work := make(chan job)
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc := &pngenc.Encoder{Level: level} // one per worker: it reuses its buffers
			for j := range work {
				s, err := makeSample(ctx, cfg, cache, enc, j, classIndex)
				slots[j.seq%window] <- result{s, err}
			}
		}()
	}
	// The feeder may run at most `window` jobs ahead of the committer: job
	// i+window reuses job i's slot only after i was committed.
	free := make(chan struct{}, window)
	for i := 0; i < window; i++ {
		free <- struct{}{}
	}
	go func() {
		defer close(work)
		seq := 0
		for _, u := range units {
			for pos := u.Start; pos < u.End; pos++ {
				s := pl.At(u.Split, pos)
				select {
				case <-free:
				case <-ctx.Done():
					return
				}
				select {
				case work <- job{seq: seq, src: s.Source, variant: s.Variant, split: u.Split}:
				case <-ctx.Done():
					return
				}
				seq++
			}
		}
	}()
	total := 0
	for _, u := range units {
		total += u.End - u.Start
	}
	for i := range total {
		var r result
		select {
		case r = <-slots[i%window]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.err != nil {
			return r.err
		}
		if err := out.Put(ctx, r.sample); err != nil {
			return err
		}
		free <- struct{}{}
		if progress != nil {
			progress(i+1, total)
		}
	}
	return nil
}

// orderUnits returns the plan's units, or, for a run without fixed units
// (ShardBytes), one per split: either way the split-major order.
func orderUnits(pl *plan.Plan) []plan.Unit {
	if u := pl.Units(); u != nil {
		return u
	}
	var out []plan.Unit
	for _, sp := range pl.Splits() {
		out = append(out, plan.Unit{Index: len(out), Split: sp, Shards: 1, End: pl.Count(sp)})
	}
	return out
}

func makeSample(ctx context.Context, cfg Config, cache *sourceCache, enc *pngenc.Encoder, j job, classIndex map[string]int) (*writer.Sample, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src := cache.tree.Sources[j.src]
	id := sampleID(src, j.variant)
	img, err := cache.get(ctx, j.src)
	if err != nil {
		return nil, err
	}
	params := json.RawMessage("[]")
	if j.variant > 0 {
		r := augment.NewRand(cfg.Seed, src.SHA256, j.variant)
		var applied []augment.Applied
		img, applied = cfg.Pipeline.Apply(img, r)
		if params, err = json.Marshal(applied); err != nil {
			return nil, fmt.Errorf("record parameters of %s: %w", id, err)
		}
		if len(applied) == 0 {
			params = json.RawMessage("[]")
		}
	}
	if cfg.BitDepth != 16 {
		// After augmenting, so transforms work at the source's precision.
		img = to8Bit(img)
	}
	data, err := enc.Append(nil, img)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", id, err)
	}
	sum := sha256.Sum256(data)
	ch, depth := pixelFormat(img)
	b := img.Bounds()
	return &writer.Sample{
		Record: schema.Record{
			ID:           id,
			Split:        j.split,
			Class:        src.Class,
			ClassIndex:   classIndex[src.Class],
			Source:       dataset.EscapePath(src.Path),
			SourceSHA256: src.SHA256,
			Variant:      j.variant,
			Params:       params,
			Width:        b.Dx(),
			Height:       b.Dy(),
			Channels:     ch,
			BitDepth:     depth,
			SHA256:       hex.EncodeToString(sum[:]),
		},
		Data: data,
	}, nil
}

// pixelFormat is what the PNG of img holds, as the manifest records it:
// colour with any pixel not opaque keeps its alpha (pngenc writes RGBA),
// opaque colour is RGB.
func pixelFormat(img image.Image) (channels, depth int) {
	switch m := img.(type) {
	case *image.Gray:
		return 1, 8
	case *image.Gray16:
		return 1, 16
	case *image.NRGBA:
		if !m.Opaque() {
			return 4, 8
		}
	}
	return 3, 8
}

// sampleID names a sample "<class>_<stem>_<variant>": stable, readable,
// unique (Scan makes stems unique) and free of dots, so it is a valid
// WebDataset key. Made when needed, not kept per job, so memory does not
// grow with the variant count.
func sampleID(src dataset.Source, variant int) string {
	return fitID(src.Class+"_"+src.Stem, fmt.Sprintf("_%04d", variant))
}

// fitID returns base+suffix, or, when that is longer than the writer allows
// (ids must fit a tar header with their extension; class and stem may each
// be long), a cut base plus a hash of the whole base: still unique.
func fitID(base, suffix string) string {
	if len(base)+len(suffix) <= schema.MaxIDLen {
		return base + suffix
	}
	h := sha256.Sum256([]byte(base))
	tail := "-" + hex.EncodeToString(h[:4]) + suffix
	head := []byte(base[:schema.MaxIDLen-len(tail)])
	for len(head) > 0 && !utf8.Valid(head) { // never cut inside a character
		head = head[:len(head)-1]
	}
	return string(head) + tail
}

// sourceCache keeps decoded, resized sources so a shuffled order does not
// decode the same file again and again; it is bounded in bytes.
type sourceCache struct {
	tree  *dataset.Tree
	cfg   Config
	limit int

	mu      sync.Mutex
	entries map[int]*cacheEntry
	order   []int // insertion order, for eviction
	size    int
}

type cacheEntry struct {
	once sync.Once
	img  image.Image
	err  error
	size int
}

func newSourceCache(tree *dataset.Tree, cfg Config, limit int) *sourceCache {
	return &sourceCache{tree: tree, cfg: cfg, limit: limit, entries: map[int]*cacheEntry{}}
}

func (c *sourceCache) get(ctx context.Context, i int) (image.Image, error) {
	c.mu.Lock()
	e, ok := c.entries[i]
	if !ok {
		e = &cacheEntry{}
		c.entries[i] = e
		c.order = append(c.order, i)
	}
	c.mu.Unlock()
	e.once.Do(func() {
		e.img, e.err = c.load(ctx, i)
		if e.err == nil {
			b := e.img.Bounds()
			e.size = b.Dx() * b.Dy() * bytesPerPixel(e.img)
			c.mu.Lock()
			c.size += e.size
			c.evict(i)
			c.mu.Unlock()
		}
	})
	return e.img, e.err
}

// evict drops the oldest entries (never keep) once over the limit. Callers
// holding an evicted image keep using it; only the cache forgets it.
func (c *sourceCache) evict(keep int) {
	for c.size > c.limit && len(c.order) > 1 {
		old := c.order[0]
		if old == keep {
			c.order = append(c.order[1:], old)
			continue
		}
		c.order = c.order[1:]
		if e := c.entries[old]; e != nil {
			c.size -= e.size
		}
		delete(c.entries, old)
	}
}

func (c *sourceCache) load(ctx context.Context, i int) (image.Image, error) {
	src := c.tree.Sources[i]
	img, err := c.tree.Load(ctx, src)
	if err != nil {
		return nil, err
	}
	if c.cfg.Color != "keep" {
		if img, err = dataset.Convert(img, c.cfg.Color); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Path, err)
		}
	}
	if c.cfg.Size.W > 0 {
		img = fitImage(img, c.cfg.Size.W, c.cfg.Size.H, c.cfg.Fit)
	}
	return img, nil
}

func bytesPerPixel(img image.Image) int {
	switch img.(type) {
	case *image.Gray:
		return 1
	case *image.Gray16:
		return 2
	}
	return 4
}

// IsUpToDate reports whether err says OUT already held this run's result.
func IsUpToDate(err error) bool { return errors.Is(err, writer.ErrUpToDate) }

// maxRenameLines bounds the renamed files listed on stderr; every class
// rename is listed, and the card lists them all.
const maxRenameLines = 20

// logScan says what the scan found besides sources: warnings, renamed
// classes and files, and files it ignored or skipped, so nothing is left
// out silently.
func logScan(w io.Writer, tree *dataset.Tree) {
	files := 0
	for _, r := range tree.Renamed {
		if strings.Contains(r.From, "/") {
			files++
			if files > maxRenameLines {
				continue
			}
			fmt.Fprintf(w, "note: renamed file %s -> stem %s (its name is not safe as a file name or sample key)\n", r.From, r.To)
			continue
		}
		fmt.Fprintf(w, "note: renamed class %s -> %s (its folder name is not safe as a file name or sample key)\n", r.From, r.To)
	}
	if files > maxRenameLines {
		fmt.Fprintf(w, "note: ... and %d more renamed files; dataset.json lists every rename under \"renamed\"\n", files-maxRenameLines)
	}
	for _, m := range tree.Warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
	if tree.NonImages > 0 {
		fmt.Fprintf(w, "note: ignored %d files without an image extension under %s\n", tree.NonImages, tree.Root)
	}
	for _, sk := range tree.Skipped {
		fmt.Fprintf(w, "warning: skipped %s: %s\n", sk.Path, sk.Reason)
	}
}

// DamagedError says OUT holds this exact run's card, but its files no
// longer match it: "nothing to do" would be a lie.
type DamagedError struct {
	Dir      string
	Problems []string
	// URL is set for a bucket: the command line to check it, and
	// --force does not apply there (a bucket's objects are removed with
	// the cloud's own tool).
	URL string
}

func (e *DamagedError) Error() string {
	if e.URL != "" {
		return fmt.Sprintf("%s holds this run's dataset card, but %d objects or records no longer match it (first: %s): run augsplit verify %s for the list; to regenerate, delete the objects under %s/ with the cloud's tool (%s), or choose another --out",
			e.Dir, len(e.Problems), e.Problems[0], shq.Quote(e.URL), e.Dir, DeleteHint(e.Dir))
	}
	return fmt.Sprintf("%s holds this run's dataset card, but %d files or records no longer match it (first: %s): run augsplit verify %s for the list, or re-run with --force to regenerate",
		e.Dir, len(e.Problems), e.Problems[0], shq.Quote(e.Dir))
}

// DeleteHint is the cloud tool's command that deletes every object under
// the bucket URL name (without its query), for messages that say how to
// start a bucket --out afresh, which --force does not do.
func DeleteHint(name string) string {
	p := shq.Quote(strings.TrimSuffix(name, "/") + "/")
	switch {
	case strings.HasPrefix(name, "s3://"):
		return "e.g. aws s3 rm --recursive " + p + ", with --endpoint-url for a non-AWS server"
	case strings.HasPrefix(name, "gs://"):
		return "e.g. gcloud storage rm --recursive " + p
	case strings.HasPrefix(name, "azblob://"):
		return "e.g. az storage blob delete-batch"
	}
	return "the bucket's own tool"
}

// CheckFinished turns an "already finished" from writing OUT into a
// checked claim, as a folder's re-run does: any other err is returned as
// it is. A folder is verified in full (dataset.Verify). A bucket gets the
// check a listing allows (CheckObjects): reading every object again would
// cost a full download on every re-run.
func CheckFinished(ctx context.Context, out string, err error) error {
	if !errors.Is(err, writer.ErrUpToDate) {
		return err
	}
	if !IsURL(out) {
		return checkUpToDate(ctx, out, err)
	}
	st, oerr := OpenStore(ctx, out, nil)
	if oerr != nil {
		return oerr
	}
	defer st.Close()
	if st.Dir() != "" {
		return checkUpToDate(ctx, st.Dir(), err)
	}
	problems, cerr := CheckObjects(ctx, st)
	if cerr != nil {
		return fmt.Errorf("check the finished dataset in %s: %w", store.Name(out), cerr)
	}
	if len(problems) > 0 {
		return &DamagedError{Dir: store.Name(out), Problems: problems, URL: out}
	}
	return err
}

// CheckObjects checks a sealed dataset in a store against its card without
// reading the samples: the manifest's sha256 is the card's, every object
// the manifest and card list is there (one listing), and every shard has
// the card's size. A sample changed in place with the same size is not
// seen: augsplit verify reads every byte.
func CheckObjects(ctx context.Context, st store.Store) ([]string, error) {
	card, err := ReadCard(ctx, st)
	if err != nil {
		return nil, err
	}
	keys, err := st.List(ctx, "")
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(keys))
	for _, k := range keys {
		have[k] = true
	}
	var problems []string
	missing := func(key string) bool {
		if have[key] {
			return false
		}
		problems = append(problems, key+": missing")
		return true
	}
	if !missing(schema.ManifestFile) {
		r, err := st.Open(ctx, schema.ManifestFile)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		tee := io.TeeReader(r, h)
		err = schema.ReadManifest(tee, schema.ManifestFile, func(_ int, rec schema.Record) error {
			if rec.Path != "" {
				missing(rec.Path)
			}
			return nil
		})
		if err == nil {
			_, err = io.Copy(io.Discard, tee) // the hash covers the whole file
		}
		r.Close()
		if err != nil {
			problems = append(problems, err.Error())
		} else if hex.EncodeToString(h.Sum(nil)) != card.ManifestSHA256 {
			problems = append(problems, schema.ManifestFile+": changed since the card was sealed (sha256 differs)")
		}
	}
	for _, m := range card.Metadata {
		missing(m.Path)
	}
	for _, sh := range card.Shards {
		if missing(sh.Path) {
			continue
		}
		n, err := st.Stat(ctx, sh.Path)
		if err != nil {
			return nil, err
		}
		if n != sh.Bytes {
			problems = append(problems, fmt.Sprintf("%s: %d bytes, the card says %d", sh.Path, n, sh.Bytes))
		}
	}
	return problems, nil
}

// checkUpToDate turns the writer's "already finished" into a verified
// claim: the card matches, and so do the files it lists.
func checkUpToDate(ctx context.Context, dir string, err error) error {
	if !errors.Is(err, writer.ErrUpToDate) {
		return err
	}
	rep, verr := dataset.Verify(ctx, dir)
	if verr != nil {
		return fmt.Errorf("check the finished dataset in %s: %w", dir, verr)
	}
	if !rep.OK() {
		return &DamagedError{Dir: dir, Problems: rep.Problems}
	}
	return err
}
