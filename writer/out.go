package writer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/wds"
)

// Default sharding (Options with no Shards, ShardSize or ShardBytes): the
// rule of schema.PlanShards, whose constants these are.
const (
	DefaultShardSize = schema.DefaultShardSize
	DefaultShards    = schema.DefaultShards
	MinShardSamples  = schema.MinShardSamples
)

// Options configures Open.
type Options struct {
	// Classes is the dataset's class list, required: sorted, each name
	// valid (schema.ValidName) and listed once. A sample's ClassIndex is
	// its class's position in it, and the card's Classes and classes.txt
	// are this list.
	Classes []string
	// Splits are the planned splits (schema.Train, Val, Test); a sample of
	// another split is refused. nil means all three. The card lists those
	// that received samples.
	Splits []string

	Formats []string // schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord; default folder
	// Sharding. Shards is the number of shards per split (at most one per
	// sample). ShardSize is the most samples a shard holds. ShardBytes is
	// the most bytes a shard holds (a larger sample still gets a shard of
	// its own); with it, shards roll at whichever limit is reached first,
	// ShardSize defaulting to DefaultShardSize, and sizes are not balanced.
	// All zero means the default rule (DefaultShards). Without ShardBytes
	// and with SplitCounts, the shards of a split get balanced sizes,
	// differing by at most one sample (PlanShards). Shards excludes the
	// other two.
	Shards      int
	ShardSize   int
	ShardBytes  int64
	Force       bool   // remove augsplit's own entries of OUT first
	Fingerprint string // required: identifies the run, for up-to-date and resume checks
	FS          FS     // nil means OS
	// SplitCounts is the planned number of samples per split. With it (and
	// no ShardBytes) shard sizes are balanced and TFRecord shards get their
	// "-of-N" names as soon as they are closed; without it shards roll at
	// ShardSize (DefaultShardSize when 0) and TFRecord shards keep
	// temporary names until Commit.
	SplitCounts map[string]int
	// Metadata renders files derived from the finished card (generate
	// passes hub.Files: croissant.json and README.md). Commit calls it
	// once the card holds everything but Metadata and its seal, writes
	// each file before the manifest and records its sha256 in
	// card.Metadata, so verify checks them. nil writes none.
	Metadata func(card *schema.Card) (map[string][]byte, error)
}

// Out is an output folder being written. Its methods are not safe for
// concurrent use: Put is called from one goroutine, in the planned order.
type Out struct {
	fs   FS
	dir  string
	opts Options

	formats     []string
	classIdx    map[string]int            // class -> index in opts.Classes
	counts      map[string]map[string]int // class -> split -> samples Put
	total       int
	seqs        map[string]*shardSeq // key: format + "/" + split
	seqOrder    []*shardSeq
	madeDirs    map[[2]string]bool // (split, class) folders already created
	shardDirs   map[string]bool
	shards      []schema.Shard
	manifest    File
	manTmp      string
	manBuf      *bufio.Writer
	manHash     hash.Hash
	manEnc      *json.Encoder
	manRenamed  bool
	enc         encoder
	copyBuf     []byte
	err         error // first failure: every later call returns it
	done        bool
	lock        *lock // OUT's lock, held from Open to the end of Commit or Abort
	hashScratch [sha256.Size]byte
}

// Open prepares dir for writing a dataset identified by opts.Fingerprint.
//
//   - dir missing or empty: created, and a new run starts.
//   - a finished dataset (dataset.json) with the same fingerprint: ErrUpToDate.
//   - an unfinished run (marker file) with the same fingerprint: resumed;
//     files are rewritten atomically and identical sample files reused.
//   - anything else: *NotEmptyError, unless opts.Force, which first removes
//     what augsplit can prove it wrote (see below) and starts afresh.
//
// augsplit's files are those a sealed card lists (with its manifest, when
// the manifest's sha256 is the card's: the samples; the shards;
// classes.txt; preview.png and splits.png), or, in an unfinished run (the
// marker), those with the names it writes; its temporaries (IsTemp) are
// always its own. Anything else under a name augsplit writes (train/,
// webdataset/, dataset.json, ...) is a *NotEmptyError naming it, Force or
// not; other entries of OUT are kept. The root folder, the home folder
// and a folder holding .git, .hg or .svn are an *UnsafeDirError.
//
// Open locks OUT (schema.LockFile, flock) until Commit or Abort; a second
// Open of a locked OUT is a *LockedError naming the holder's pid.
//
// The marker is written before anything else, so an interrupted run is
// always recognisable as unfinished.
func Open(ctx context.Context, dir string, opts Options) (*Out, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := newOut(dir, opts)
	if err != nil {
		return nil, err
	}
	if err := o.checkSafeDir(); err != nil {
		return nil, err
	}
	if err := o.fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output folder: %w", err)
	}
	if o.lock, err = lockDir(dir); err != nil {
		return nil, err
	}
	if err := o.open(); err != nil {
		o.lock.release()
		return nil, err
	}
	return o, nil
}

func (o *Out) open() error {
	if err := o.checkState(); err != nil {
		return err
	}
	if err := WriteFileAtomic(o.fs, o.path(schema.MarkerFile), []byte(o.opts.Fingerprint+"\n")); err != nil {
		return err
	}
	f, err := o.fs.CreateTemp(o.dir, tempPrefix+schema.ManifestFile+"-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", o.path(schema.ManifestFile), err)
	}
	o.manifest, o.manTmp = f, f.Name()
	o.manHash = sha256.New()
	o.manBuf = bufio.NewWriterSize(io.MultiWriter(f, o.manHash), 64<<10)
	o.manEnc = json.NewEncoder(o.manBuf)
	return nil
}

func newOut(dir string, opts Options) (*Out, error) {
	if opts.Fingerprint == "" {
		return nil, errors.New("writer options need a fingerprint")
	}
	if strings.ContainsAny(opts.Fingerprint, "\n\r") {
		return nil, errors.New("writer fingerprint must be one line")
	}
	if opts.ShardSize < 0 || opts.ShardBytes < 0 || opts.Shards < 0 {
		return nil, fmt.Errorf("shard size %d, shard bytes %d and shards %d must not be negative", opts.ShardSize, opts.ShardBytes, opts.Shards)
	}
	if opts.Shards > 0 && (opts.ShardSize > 0 || opts.ShardBytes > 0) {
		return nil, fmt.Errorf("shards %d excludes shard size and shard bytes: give a number of shards or a size", opts.Shards)
	}
	if opts.FS == nil {
		opts.FS = OS
	}
	if len(opts.Splits) == 0 {
		opts.Splits = schema.Splits()
	}
	for _, s := range opts.Splits {
		if !schema.IsSplit(s) {
			return nil, fmt.Errorf("unknown split %q in the writer options (valid: %s)", s, strings.Join(schema.Splits(), ", "))
		}
	}
	classIdx, err := classIndex(opts.Classes)
	if err != nil {
		return nil, err
	}
	opts.Classes = slices.Clone(opts.Classes)
	o := &Out{
		fs:        opts.FS,
		dir:       dir,
		opts:      opts,
		classIdx:  classIdx,
		counts:    map[string]map[string]int{},
		seqs:      map[string]*shardSeq{},
		madeDirs:  map[[2]string]bool{},
		shardDirs: map[string]bool{},
		copyBuf:   make([]byte, 32<<10),
	}
	if len(opts.Formats) == 0 {
		opts.Formats = []string{schema.FormatFolder}
	}
	// Canonical order, duplicates dropped: the card must not depend on how
	// the user spelled --format.
	for _, want := range schema.Formats() {
		if slices.Contains(opts.Formats, want) {
			o.formats = append(o.formats, want)
		}
	}
	for _, f := range opts.Formats {
		if !schema.IsFormat(f) {
			return nil, fmt.Errorf("unknown output format %q (valid: %s)", f, strings.Join(schema.Formats(), ", "))
		}
	}
	return o, nil
}

// classIndex checks the class list given to Open and maps each class to its
// index, its label.
func classIndex(classes []string) (map[string]int, error) {
	if len(classes) == 0 {
		return nil, errors.New("writer options need the class list (Options.Classes): the sorted names whose positions are the labels")
	}
	idx := make(map[string]int, len(classes))
	for i, c := range classes {
		if !schema.ValidName(c) {
			return nil, fmt.Errorf("class %q in the writer options: want letters, digits, marks, '-' or '_' (dataset.SanitizeName makes such names)", c)
		}
		if i > 0 && classes[i-1] >= c {
			return nil, fmt.Errorf("class list in the writer options is not sorted and unique: %q comes after %q; sort it (sort.Strings), as labels are positions in the sorted list", c, classes[i-1])
		}
		idx[c] = i
	}
	return idx, nil
}

func (o *Out) path(name string) string { return filepath.Join(o.dir, name) }

// checkState decides between new, resumed, up to date and refused.
func (o *Out) checkState() error {
	fp := o.opts.Fingerprint
	card, err := o.fs.ReadFile(o.path(schema.CardFile))
	haveCard := err == nil
	switch {
	case err == nil:
		var c struct {
			Fingerprint string `json:"fingerprint"`
		}
		if json.Unmarshal(card, &c) == nil && c.Fingerprint == fp && !o.opts.Force {
			// A run killed between writing the card and removing the
			// marker is finished; the stale marker is all that is left.
			if err := o.fs.Remove(o.path(schema.MarkerFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove stale marker: %w", err)
			}
			return ErrUpToDate
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read dataset card: %w", err)
	}
	marker, err := o.fs.ReadFile(o.path(schema.MarkerFile))
	haveMarker := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read run marker: %w", err)
	}
	var sealed *schema.Card
	if haveCard {
		sealed = o.sealedCard()
	}
	s, err := o.survey(sealed, haveMarker)
	if err != nil {
		return err
	}
	if s.foreign != "" {
		return &NotEmptyError{Dir: o.dir, Foreign: s.foreign}
	}
	if !haveCard && haveMarker && strings.TrimSpace(string(marker)) == fp {
		// Resume. Shards are streamed again from the first sample, so old
		// ones are never reused; removing them guarantees no stale shard
		// survives next to the new set. Samples are kept for reuse.
		// What parts of this run left (generate --parts) is dropped too:
		// this run writes the whole dataset itself.
		for _, rel := range s.owned {
			if strings.HasPrefix(rel, schema.FormatWebDataset+"/") || strings.HasPrefix(rel, schema.FormatTFRecord+"/") || partsFile(rel) {
				if err := o.fs.Remove(filepath.Join(o.dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("resume: %w", err)
				}
			}
		}
		for _, d := range []string{schema.PartsUnitsDir, schema.PartsDir} {
			if err := o.fs.Remove(filepath.Join(o.dir, filepath.FromSlash(d))); err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotEmpty(err) {
				return fmt.Errorf("resume: %w", err)
			}
		}
		return o.removeTempFiles(s)
	}
	if s.empty() {
		// Nothing but temporaries and folders: what a run killed while it
		// created its marker, or while Force removed files, leaves.
		return o.remove(s)
	}
	if !o.opts.Force {
		switch {
		case haveCard:
			return &NotEmptyError{Dir: o.dir, Reason: "holds a finished dataset made with other inputs or settings"}
		case haveMarker:
			return &NotEmptyError{Dir: o.dir, Reason: "holds an unfinished run made with other inputs or settings"}
		}
		name := s.other
		if name == "" && len(s.owned) > 0 {
			name = s.owned[0]
		}
		return &NotEmptyError{Dir: o.dir, Reason: fmt.Sprintf("holds files augsplit did not write (%s, ...)", name)}
	}
	return o.removeOwned(s, sealed)
}

// removeOwned deletes augsplit's entries of OUT (see Open) and nothing
// else. The marker is written first, with the old run's fingerprint, so
// that OUT reads as an unfinished run if this is interrupted, never as a
// finished dataset missing files; a re-run with Force finishes the job.
func (o *Out) removeOwned(s *survey, card *schema.Card) error {
	if card != nil {
		if err := WriteFileAtomic(o.fs, o.path(schema.MarkerFile), []byte(card.Fingerprint+"\n")); err != nil {
			return fmt.Errorf("force: %w", err)
		}
	}
	// The marker stays until Open writes the new run's over it.
	s.owned = slices.DeleteFunc(s.owned, func(rel string) bool { return rel == schema.MarkerFile })
	return o.remove(s)
}

func (o *Out) mkdir(dir string) error {
	if o.shardDirs[dir] {
		return nil
	}
	if err := o.fs.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	o.shardDirs[dir] = true
	return nil
}

// Put writes one sample to every chosen format and appends its manifest
// line. A sample that does not fit the dataset the Out was opened for is
// refused with a *SampleError naming it: a class not in Options.Classes, a
// ClassIndex other than its class's position there, a split not in
// Options.Splits, a malformed id or sha256. Put fills s.Path (folder
// format), s.SHA256 when empty (a non-empty one must be the sha256 of
// s.Data and is not recomputed) and, for an original with no parameters,
// s.Params ("[]"). After an error the Out is unusable: call Abort.
func (o *Out) Put(ctx context.Context, s *Sample) error {
	if o.err != nil {
		return o.err
	}
	if o.done {
		return errors.New("put after commit or abort")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := o.put(s); err != nil {
		o.err = err
		return err
	}
	return nil
}

func (o *Out) put(s *Sample) error {
	if err := checkSample(s, o.opts.Splits, o.opts.Classes, o.classIdx); err != nil {
		return err
	}
	if err := fillSample(s, &o.hashScratch); err != nil {
		return err
	}
	s.Path = ""
	for _, f := range o.formats {
		var err error
		switch f {
		case schema.FormatFolder:
			err = o.putFolder(s)
		case schema.FormatWebDataset:
			err = o.putWebDataset(s)
		case schema.FormatTFRecord:
			err = o.putTFRecord(s)
		}
		if err != nil {
			return err
		}
	}
	if err := o.manEnc.Encode(&s.Record); err != nil {
		return fmt.Errorf("write %s: %w", o.path(schema.ManifestFile), err)
	}
	if o.counts[s.Class] == nil {
		o.counts[s.Class] = map[string]int{}
	}
	o.counts[s.Class][s.Split]++
	o.total++
	return nil
}

// lowerHex reports whether s is n lower-case hex digits, as the manifest
// reader requires.
func lowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// listSome joins names for a message, eliding the middle of a long list.
func listSome(names []string) string {
	const max = 8
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, ... %d more ..., %s", strings.Join(names[:max-1], ", "), len(names)-max, names[len(names)-1])
}

// putFolder writes OUT/.augsplit-stage/<split>/<class>/<id>.png (Commit
// moves each class folder to OUT/<split>/<class>), reusing an identical
// file left there by an interrupted run of the same fingerprint.
func (o *Out) putFolder(s *Sample) error {
	ext, err := sampleExt(s)
	if err != nil {
		return err
	}
	rel := schema.SamplePath(s.Split, s.Class, s.ID, ext)
	full := filepath.Join(o.dir, schema.StageDir, filepath.FromSlash(rel))
	key := [2]string{s.Split, s.Class}
	if !o.madeDirs[key] {
		if err := o.fs.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("create folder: %w", err)
		}
		o.madeDirs[key] = true
	}
	same, err := o.sameFile(full, s.Data)
	if err != nil {
		return err
	}
	switch {
	case same:
	case s.LinkFrom != "":
		if err := o.linkAtomic(s.LinkFrom, full); err != nil {
			return err
		}
	default:
		if err := writeFileAtomic(o.fs, full, s.Data, false); err != nil {
			return err
		}
	}
	s.Path = rel
	return nil
}

// linkAtomic hard-links src at a temporary name beside dst, then renames it
// into place, so dst is either absent or complete.
func (o *Out) linkAtomic(src, dst string) error {
	tmp := filepath.Join(filepath.Dir(dst), tempPrefix+"link-"+filepath.Base(dst))
	_ = o.fs.Remove(tmp)
	if err := o.fs.Link(src, tmp); err != nil {
		return fmt.Errorf("hard-link %s to %s (hard links need one file system; drop --link to copy): %w", src, dst, err)
	}
	if err := o.fs.Rename(tmp, dst); err != nil {
		_ = o.fs.Remove(tmp)
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return nil
}

// sameFile reports whether path already holds exactly data (size, then
// sha256), which makes resuming a long run cheap.
func (o *Out) sameFile(path string, data []byte) (bool, error) {
	fi, err := o.fs.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) {
		return false, nil
	}
	r, err := o.fs.Open(path)
	if err != nil {
		return false, err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{r}, o.copyBuf); err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	var got [sha256.Size]byte
	return bytes.Equal(h.Sum(got[:0]), o.hashScratch[:]), nil
}

func (o *Out) seq(format, split string) *shardSeq {
	key := format + "/" + split
	if q, ok := o.seqs[key]; ok {
		return q
	}
	q := &shardSeq{o: o, format: format, split: split}
	if format == schema.FormatWebDataset {
		q.trailer = wds.TrailerSize
	}
	if o.opts.ShardBytes == 0 {
		if n := o.opts.SplitCounts[split]; n > 0 {
			q.sizes = PlanShards(n, o.opts.Shards, o.opts.ShardSize)
			q.planned = len(q.sizes)
		}
	}
	o.seqs[key] = q
	o.seqOrder = append(o.seqOrder, q)
	return q
}

// Commit finishes the dataset: it closes the shards, renames the manifest
// into place, writes classes.txt and then the card, which is written last
// so that a dataset.json on disk always means a complete dataset. The
// marker is removed at the very end.
//
// What the writer knows it fills itself, replacing what the caller set:
// card.Classes (Options.Classes; a different non-empty list is an error),
// card.Splits (the splits that received samples, in schema order),
// card.Counts and card.Total (from what was Put), card.Formats,
// card.Shards (sorted by format, then path), card.ManifestSHA256, and
// card.Fingerprint when empty. The rest is the caller's: provenance, a
// split level for every class, sources, warnings. A card that
// dataset.Verify would reject (schema.Card.Check: a class missing from a
// split, a class without a split level, ...) is refused with a *CardError
// before anything final is written.
func (o *Out) Commit(card *schema.Card) error {
	if o.err != nil {
		return fmt.Errorf("commit after a failed write: %w", o.err)
	}
	if o.done {
		return errors.New("commit after commit or abort")
	}
	if err := o.commit(card); err != nil {
		o.err = err
		return err
	}
	o.done = true
	return nil
}

func (o *Out) commit(card *schema.Card) error {
	if err := o.fillCard(card); err != nil {
		return err
	}
	for _, q := range o.seqOrder {
		if err := q.finish(); err != nil {
			return err
		}
	}
	if err := o.writeIndexes(); err != nil {
		return err
	}
	if err := o.unstage(); err != nil {
		return err
	}
	manifest := o.path(schema.ManifestFile)
	if err := o.manBuf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", manifest, err)
	}
	if err := o.manifest.Chmod(fileMode); err != nil {
		return fmt.Errorf("write %s: %w", manifest, err)
	}
	if err := o.manifest.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", manifest, err)
	}
	f := o.manifest
	o.manifest = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", manifest, err)
	}
	if err := WriteFileAtomic(o.fs, o.path(schema.ClassesFile), schema.ClassesText(o.opts.Classes)); err != nil {
		return err
	}
	card.Shards = o.sortedShards()
	card.ManifestSHA256 = hex.EncodeToString(o.manHash.Sum(nil))
	if err := o.writeMetadata(card); err != nil {
		return err
	}
	if err := o.fs.Rename(o.manTmp, manifest); err != nil {
		return fmt.Errorf("write %s: %w", manifest, err)
	}
	o.manTmp = ""
	o.manRenamed = true

	data, err := schema.SealCard(card)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(o.fs, o.path(schema.CardFile), data); err != nil {
		return err
	}
	// The dataset is complete from here on: whatever fails below, Abort
	// must not remove the manifest (a card without its manifest).
	o.manRenamed = false
	o.done = true
	if err := o.fs.Remove(o.path(schema.MarkerFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A re-run finds the card and removes the stale marker.
		o.lock.release()
		return fmt.Errorf("remove run marker (the dataset is complete; re-run the same command to clean up): %w", err)
	}
	o.lock.release()
	return nil
}

// writeMetadata writes the files Options.Metadata derives from the card
// and seals them in card.Metadata.
func (o *Out) writeMetadata(card *schema.Card) error {
	return writeMetadata(card, o.opts.Metadata, func(name string, data []byte) error {
		return WriteFileAtomic(o.fs, o.path(name), data)
	})
}

// writeMetadata renders the files of render (nil: none) from card, writes
// each through put and records their sha256 in card.Metadata, sorted by
// path so that the card's bytes do not depend on map order. Out and Seal
// share it, so both write the same files and the same card.
func writeMetadata(card *schema.Card, render func(*schema.Card) (map[string][]byte, error), put func(name string, data []byte) error) error {
	card.Metadata = nil
	if render == nil {
		return nil
	}
	files, err := render(card)
	if err != nil {
		return fmt.Errorf("render dataset metadata: %w", err)
	}
	names := slices.Sorted(maps.Keys(files))
	sums := make([]schema.FileSum, 0, len(names))
	for _, name := range names {
		if !slices.Contains(augsplitNames(), name) || !schema.ValidPath(name) {
			return fmt.Errorf("metadata file %q is not one augsplit owns at the top of OUT", name)
		}
		if err := put(name, files[name]); err != nil {
			return err
		}
		sum := sha256.Sum256(files[name])
		sums = append(sums, schema.FileSum{Path: name, SHA256: hex.EncodeToString(sum[:])})
	}
	card.Metadata = sums
	return nil
}

// unstage moves every staged class folder into OUT/<split>/<class>, one
// rename per folder, and removes the staging folder. A folder already in
// place was left by a run of this fingerprint killed during an earlier
// unstage (the marker proves it ours); it is replaced, as its samples were
// all Put again into the stage.
func (o *Out) unstage() error {
	keys := slices.Collect(maps.Keys(o.madeDirs))
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	stage := o.path(schema.StageDir)
	for _, k := range keys {
		from := filepath.Join(stage, k[0], k[1])
		to := filepath.Join(o.dir, k[0], k[1])
		if err := o.fs.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return fmt.Errorf("create folder: %w", err)
		}
		if err := o.fs.RemoveAll(to); err != nil {
			return fmt.Errorf("replace %s: %w", to, err)
		}
		if err := o.fs.Rename(from, to); err != nil {
			return fmt.Errorf("move %s into place: %w", from, err)
		}
	}
	if err := o.fs.RemoveAll(stage); err != nil {
		return fmt.Errorf("remove %s: %w", stage, err)
	}
	return nil
}

// Abort stops the run: open shards and every temporary file are removed
// and no manifest or card is written. Finished sample files and shards are
// kept, as is the marker, so that re-running the same command resumes
// cheaply. Abort after Commit does nothing.
func (o *Out) Abort() {
	if o.done {
		o.lock.release()
		return
	}
	o.done = true
	defer o.lock.release()
	for _, q := range o.seqOrder {
		q.abort()
	}
	if o.manifest != nil {
		_ = o.manifest.Close()
		o.manifest = nil
	}
	if o.manTmp != "" {
		_ = o.fs.Remove(o.manTmp)
		o.manTmp = ""
	}
	if o.manRenamed {
		// Commit failed after the manifest was in place but before the
		// card was written: the card goes first (had a rename half
		// happened), then the manifest, which must not look final.
		_ = o.fs.Remove(o.path(schema.CardFile))
		_ = o.fs.Remove(o.path(schema.ManifestFile))
	}
}

// fillCard sets the card fields the writer knows from Open and Put, and
// refuses a card that would not verify.
func (o *Out) fillCard(card *schema.Card) error {
	switch card.Fingerprint {
	case "":
		card.Fingerprint = o.opts.Fingerprint
	case o.opts.Fingerprint:
	default:
		return fmt.Errorf("card fingerprint %q differs from the run's %q", card.Fingerprint, o.opts.Fingerprint)
	}
	if card.Classes != nil && !slices.Equal(card.Classes, o.opts.Classes) {
		return fmt.Errorf("card classes %q differ from the class list the writer was opened with %q; leave card.Classes empty, Commit fills it", card.Classes, o.opts.Classes)
	}
	card.Classes = slices.Clone(o.opts.Classes)
	card.Splits = nil
	for _, s := range schema.Splits() {
		for _, perSplit := range o.counts {
			if perSplit[s] > 0 {
				card.Splits = append(card.Splits, s)
				break
			}
		}
	}
	card.Counts = make(map[string]map[string]int, len(o.counts))
	for c, perSplit := range o.counts {
		card.Counts[c] = maps.Clone(perSplit)
	}
	card.Total = o.total
	card.Formats = slices.Clone(o.formats)
	if problems := card.Check(); len(problems) > 0 {
		return &CardError{Problems: problems}
	}
	return nil
}
