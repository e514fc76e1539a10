package writer

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/wds"
)

// A unit is one shard's worth of a split: the samples at positions
// [Start, End) of the split in the planned order. Units are numbered in
// the order a one-machine run writes them (train's shards, then val's,
// then test's), and what a unit writes (its shards, its folder samples,
// its manifest lines) does not depend on which part writes it, so the
// sealed dataset does not depend on the number of parts. Part I of N
// writes the units with Index % N == I.
type Unit struct {
	Index  int    `json:"index"`
	Split  string `json:"split"`
	Shard  int    `json:"shard"`  // index of the unit's shard in its split
	Shards int    `json:"shards"` // shards of the split
	Start  int    `json:"start"`  // first position in the split
	End    int    `json:"end"`    // one past the last
}

// Units lays out the units of splits with counts samples each (schema
// order), sharded as Options.Shards and ShardSize would (PlanShards).
func Units(counts map[string]int, shards, shardSize int) []Unit {
	var units []Unit
	for _, sp := range schema.Splits() {
		sizes := PlanShards(counts[sp], shards, shardSize)
		start := 0
		for i, n := range sizes {
			units = append(units, Unit{Index: len(units), Split: sp, Shard: i, Shards: len(sizes), Start: start, End: start + n})
			start += n
		}
	}
	return units
}

// Name is the unit's base name under schema.PartsUnitsDir:
// <split>-%05d.
func (u Unit) Name() string { return fmt.Sprintf("%s-%05d", u.Split, u.Shard) }

// ManifestKey and SummaryKey are the unit's objects in the store.
func (u Unit) ManifestKey() string { return schema.PartsUnitsDir + "/" + u.Name() + ".jsonl" }
func (u Unit) SummaryKey() string  { return schema.PartsUnitsDir + "/" + u.Name() + ".json" }

// UnitSummary is a unit's done marker, written after all its objects: what
// seal needs of it without reading its samples.
type UnitSummary struct {
	Fingerprint string         `json:"fingerprint"`
	Unit        Unit           `json:"unit"`
	Counts      map[string]int `json:"counts"` // class -> samples
	Shards      []schema.Shard `json:"shards"` // one per shard format
	// ManifestBytes and ManifestSHA256 describe the unit's manifest
	// lines (ManifestKey).
	ManifestBytes  int64  `json:"manifest_bytes"`
	ManifestSHA256 string `json:"manifest_sha256"`
	// FolderBytes is the size of the unit's folder-format images, all
	// together: seal adds up their Stat sizes, which catches an image of
	// another run written under the same name (0: no folder format).
	FolderBytes int64 `json:"folder_bytes,omitempty"`
}

// UnitOptions configures OpenUnit.
type UnitOptions struct {
	Fingerprint string
	Classes     []string // sorted, as for Options.Classes
	Formats     []string // as for Options.Formats; default folder
	Unit        Unit
	// Config is the run's card config, for naming the settings that
	// differ when another run replaced OUT's plan (CheckPlan).
	Config json.RawMessage
}

// UnitOut writes one unit through a store. Its methods are not safe for
// concurrent use: Put is called from one goroutine, in the planned order.
type UnitOut struct {
	st       store.Store
	opts     UnitOptions
	formats  []string
	classIdx map[string]int
	splits   []string
	local    bool // st has a folder: folder samples go to the stage

	enc      encoder
	shards   []*unitShard
	man      store.Writer
	manBuf   *bufio.Writer
	manHash  hash.Hash
	manN     int64
	manEnc   *json.Encoder
	counts   map[string]int
	n        int
	folderN  int64 // bytes of the folder images written
	sum      [sha256.Size]byte
	open     []store.Writer // everything not yet committed, for Abort
	err      error
	finished bool
}

type unitShard struct {
	format string
	key    string
	w      store.Writer
	bw     *bufio.Writer
	st     *stream
}

// OpenUnit starts writing unit opts.Unit to st. Nothing is visible under
// a final key before its object is whole; the summary, written by Close
// last of all, is what says the unit is done (UnitDone).
func OpenUnit(ctx context.Context, st store.Store, opts UnitOptions) (*UnitOut, error) {
	if opts.Fingerprint == "" {
		return nil, errors.New("unit options need a fingerprint")
	}
	u := opts.Unit
	if !schema.IsSplit(u.Split) || u.Shard < 0 || u.Shard >= u.Shards || u.Start < 0 || u.End <= u.Start {
		return nil, fmt.Errorf("unit %d (%s shard %d of %d, positions %d to %d) is malformed", u.Index, u.Split, u.Shard, u.Shards, u.Start, u.End)
	}
	classIdx, err := classIndex(opts.Classes)
	if err != nil {
		return nil, err
	}
	formats, err := canonicalFormats(opts.Formats)
	if err != nil {
		return nil, err
	}
	w := &UnitOut{st: st, opts: opts, formats: formats, classIdx: classIdx, splits: []string{u.Split},
		local: st.Dir() != "", counts: map[string]int{}}
	ok := false
	defer func() {
		if !ok {
			w.Abort()
		}
	}()
	for _, f := range formats {
		if f == schema.FormatFolder {
			continue
		}
		key := ShardName(f, u.Split, u.Shard, u.Shards)
		sw, err := st.Create(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("create shard %s in %s: %w", key, st.URL(), err)
		}
		w.open = append(w.open, sw)
		bw := bufio.NewWriterSize(sw, 256<<10)
		w.shards = append(w.shards, &unitShard{format: f, key: key, w: sw, bw: bw, st: newStream(f, bw)})
	}
	if w.man, err = st.Create(ctx, u.ManifestKey()); err != nil {
		return nil, fmt.Errorf("create %s in %s: %w", u.ManifestKey(), st.URL(), err)
	}
	w.open = append(w.open, w.man)
	w.manHash = sha256.New()
	w.manBuf = bufio.NewWriterSize(io.MultiWriter(w.man, w.manHash, (*counter)(&w.manN)), 64<<10)
	w.manEnc = json.NewEncoder(w.manBuf)
	ok = true
	return w, nil
}

type counter int64

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }

// canonicalFormats checks formats and puts them in schema order, without
// duplicates: the card must not depend on how the user spelled --format.
func canonicalFormats(formats []string) ([]string, error) {
	for _, f := range formats {
		if !schema.IsFormat(f) {
			return nil, fmt.Errorf("unknown output format %q (valid: %s)", f, strings.Join(schema.Formats(), ", "))
		}
	}
	if len(formats) == 0 {
		return []string{schema.FormatFolder}, nil
	}
	var out []string
	for _, f := range schema.Formats() {
		if slices.Contains(formats, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Put writes one sample of the unit: exactly what Out.Put writes for it.
// After an error the UnitOut is unusable: call Abort.
func (w *UnitOut) Put(ctx context.Context, s *Sample) error {
	if w.err != nil {
		return w.err
	}
	if w.finished {
		return errors.New("put after close or abort")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.put(ctx, s); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *UnitOut) put(ctx context.Context, s *Sample) error {
	u := w.opts.Unit
	if w.n >= u.End-u.Start {
		return fmt.Errorf("unit %s has more samples than the %d planned", u.Name(), u.End-u.Start)
	}
	if err := checkSample(s, w.splits, w.opts.Classes, w.classIdx); err != nil {
		return err
	}
	if err := fillSample(s, &w.sum); err != nil {
		return err
	}
	s.Path = ""
	for _, f := range w.formats {
		if f == schema.FormatFolder {
			if err := w.putFolder(ctx, s); err != nil {
				return err
			}
		}
	}
	for _, sh := range w.shards {
		var err error
		if sh.format == schema.FormatWebDataset {
			var x wds.Sample
			if x, err = w.enc.webdataset(s); err == nil {
				err = sh.st.writeWDS(&x)
			}
			w.enc.release()
		} else {
			err = sh.st.writeExample(w.enc.example(s))
		}
		if err != nil {
			return fmt.Errorf("write shard %s in %s: %w", sh.key, w.st.URL(), err)
		}
	}
	if err := w.manEnc.Encode(&s.Record); err != nil {
		return fmt.Errorf("write %s in %s: %w", u.ManifestKey(), w.st.URL(), err)
	}
	w.counts[s.Class]++
	w.n++
	return nil
}

// putFolder writes the sample's image under its final key on a bucket
// (where the card, not a rename, makes the dataset final) and under the
// stage on a folder (seal moves each class folder into place, as Out
// does, so no image shows where ImageFolder loaders look before the
// seal).
func (w *UnitOut) putFolder(ctx context.Context, s *Sample) error {
	ext, err := sampleExt(s)
	if err != nil {
		return err
	}
	rel := schema.SamplePath(s.Split, s.Class, s.ID, ext)
	key := rel
	if w.local {
		key = schema.StageDir + "/" + rel
	}
	ow, err := w.st.Create(ctx, key)
	if err != nil {
		return fmt.Errorf("write sample %s in %s: %w", key, w.st.URL(), err)
	}
	if _, err := ow.Write(s.Data); err != nil {
		ow.Abort()
		return fmt.Errorf("write sample %s in %s: %w", key, w.st.URL(), err)
	}
	if err := ow.Commit(); err != nil {
		return fmt.Errorf("write sample %s in %s: %w", key, w.st.URL(), err)
	}
	s.Path = rel
	w.folderN += int64(len(s.Data))
	return nil
}

// Close finishes the unit: its shards, its manifest lines and, last, its
// summary, which it returns. A unit must get exactly its planned samples
// (shard boundaries are fixed up front).
func (w *UnitOut) Close(ctx context.Context) (*UnitSummary, error) {
	if w.err != nil {
		return nil, fmt.Errorf("close after a failed write: %w", w.err)
	}
	if w.finished {
		return nil, errors.New("close after close or abort")
	}
	sum, err := w.close(ctx)
	if err != nil {
		w.err = err
		w.Abort()
		return nil, err
	}
	w.finished = true
	return sum, nil
}

func (w *UnitOut) close(ctx context.Context) (*UnitSummary, error) {
	u := w.opts.Unit
	if w.n != u.End-u.Start {
		return nil, fmt.Errorf("unit %s got %d samples but %d were planned; its shard would be wrong", u.Name(), w.n, u.End-u.Start)
	}
	sum := &UnitSummary{Fingerprint: w.opts.Fingerprint, Unit: u, Counts: w.counts, Shards: []schema.Shard{}}
	for _, sh := range w.shards {
		if err := sh.st.finish(); err != nil {
			return nil, fmt.Errorf("write shard %s in %s: %w", sh.key, w.st.URL(), err)
		}
		if err := sh.bw.Flush(); err != nil {
			return nil, fmt.Errorf("write shard %s in %s: %w", sh.key, w.st.URL(), err)
		}
		if err := sh.w.Commit(); err != nil {
			return nil, fmt.Errorf("write shard %s in %s: %w", sh.key, w.st.URL(), err)
		}
		sum.Shards = append(sum.Shards, sh.st.shard(sh.format, u.Split, sh.key))
	}
	if err := w.manBuf.Flush(); err != nil {
		return nil, fmt.Errorf("write %s in %s: %w", u.ManifestKey(), w.st.URL(), err)
	}
	if err := w.man.Commit(); err != nil {
		return nil, fmt.Errorf("write %s in %s: %w", u.ManifestKey(), w.st.URL(), err)
	}
	sum.FolderBytes = w.folderN
	sum.ManifestBytes = w.manN
	sum.ManifestSHA256 = hex.EncodeToString(w.manHash.Sum(nil))
	// The summary says "done by this run": not if OUT's plan is now
	// another run's (a part of it started beside this one).
	if err := checkPlan(ctx, w.st, w.opts.Fingerprint, w.opts.Config); err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode unit summary %s: %w", u.SummaryKey(), err)
	}
	if err := putObject(ctx, w.st, u.SummaryKey(), append(data, '\n')); err != nil {
		return nil, err
	}
	return sum, nil
}

// Abort drops what is not yet committed. Objects already whole (folder
// samples) stay: the unit has no summary, so it is written again.
func (w *UnitOut) Abort() {
	w.finished = true
	for _, ow := range w.open {
		ow.Abort()
	}
	w.open = nil
}

// putObject writes data under key, whole.
func putObject(ctx context.Context, st store.Store, key string, data []byte) error {
	ow, err := st.Create(ctx, key)
	if err != nil {
		return fmt.Errorf("write %s in %s: %w", key, st.URL(), err)
	}
	if _, err := ow.Write(data); err != nil {
		ow.Abort()
		return fmt.Errorf("write %s in %s: %w", key, st.URL(), err)
	}
	if err := ow.Commit(); err != nil {
		return fmt.Errorf("write %s in %s: %w", key, st.URL(), err)
	}
	return nil
}

// maxSmallObject bounds what is read whole: a summary, the plan record.
const maxSmallObject = 1 << 30

// readObject reads key whole (at most maxSmallObject bytes).
func readObject(ctx context.Context, st store.Store, key string) ([]byte, error) {
	r, err := st.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxSmallObject+1))
	if err != nil {
		return nil, fmt.Errorf("read %s in %s: %w", key, st.URL(), err)
	}
	if len(data) > maxSmallObject {
		return nil, fmt.Errorf("read %s in %s: larger than %d bytes", key, st.URL(), maxSmallObject)
	}
	return data, nil
}

// ReadUnitSummary reads unit u's summary; a missing one wraps
// fs.ErrNotExist.
func ReadUnitSummary(ctx context.Context, st store.Store, u Unit) (*UnitSummary, error) {
	data, err := readObject(ctx, st, u.SummaryKey())
	if err != nil {
		return nil, err
	}
	var sum UnitSummary
	if err := json.Unmarshal(data, &sum); err != nil {
		return nil, fmt.Errorf("%s in %s: not a unit summary (delete it to have the unit written again): %w", u.SummaryKey(), st.URL(), err)
	}
	if sum.Unit != u {
		return nil, fmt.Errorf("%s in %s describes unit %+v, the plan's is %+v (delete it to have the unit written again)", u.SummaryKey(), st.URL(), sum.Unit, u)
	}
	return &sum, nil
}

// UnitDone reports whether unit u of the run fingerprint is done in st:
// its summary is there, of this run, and its shards and manifest lines
// have the sizes it records. (Folder samples are not listed in the
// summary; they are committed before it.)
func UnitDone(ctx context.Context, st store.Store, fingerprint string, u Unit) (bool, error) {
	sum, err := ReadUnitSummary(ctx, st, u)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if sum.Fingerprint != fingerprint {
		return false, nil
	}
	return checkUnitObjects(ctx, st, sum) == nil, nil
}

// checkUnitObjects checks the sizes of the objects sum records.
func checkUnitObjects(ctx context.Context, st store.Store, sum *UnitSummary) error {
	check := func(key string, want int64) error {
		n, err := st.Stat(ctx, key)
		if err != nil {
			return fmt.Errorf("unit %s: %w", sum.Unit.Name(), err)
		}
		if n != want {
			return fmt.Errorf("unit %s: %s in %s has %d bytes, its summary says %d", sum.Unit.Name(), key, st.URL(), n, want)
		}
		return nil
	}
	for _, sh := range sum.Shards {
		if err := check(sh.Path, sh.Bytes); err != nil {
			return err
		}
	}
	return check(sum.Unit.ManifestKey(), sum.ManifestBytes)
}
