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
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/schema"
)

// PlanRecord is schema.PartsPlanFile: what seal needs to finish a dataset
// whose units were written by parts. Every part writes the same bytes.
type PlanRecord struct {
	Fingerprint string   `json:"fingerprint"`
	Classes     []string `json:"classes"`
	Formats     []string `json:"formats"`
	// Card is the card as the run knows it before any sample is made:
	// everything but classes, splits, counts, total, formats, shards,
	// metadata and the manifest's sha256, which seal fills from the units.
	Card *schema.Card `json:"card"`
	// Units are every split's shards in order. The record stores them as
	// a split's sample and shard counts (planSplit), since units follow
	// the balanced shard rule (schema.PlanShards): a list of units would
	// make the record grow with samples (150 bytes a shard, 15 MB at 10^8
	// samples), the counts do not.
	Units []Unit `json:"-"`
}

// planSplit is one split's units in the plan record.
type planSplit struct {
	Split   string `json:"split"`
	Samples int    `json:"samples"`
	Shards  int    `json:"shards"`
}

// planRecordJSON is PlanRecord as stored.
type planRecordJSON struct {
	Fingerprint string       `json:"fingerprint"`
	Classes     []string     `json:"classes"`
	Formats     []string     `json:"formats"`
	Card        *schema.Card `json:"card"`
	Splits      []planSplit  `json:"splits"`
}

// MarshalJSON stores the units as counts; it refuses units that do not
// follow the balanced shard rule, which the counts could not restore.
func (r PlanRecord) MarshalJSON() ([]byte, error) {
	out := planRecordJSON{Fingerprint: r.Fingerprint, Classes: r.Classes, Formats: r.Formats, Card: r.Card}
	for _, u := range r.Units {
		if n := len(out.Splits); n == 0 || out.Splits[n-1].Split != u.Split {
			out.Splits = append(out.Splits, planSplit{Split: u.Split})
		}
		last := &out.Splits[len(out.Splits)-1]
		last.Samples += u.End - u.Start
		last.Shards++
	}
	if !slices.Equal(unitsOf(out.Splits), r.Units) {
		return nil, errors.New("plan record: the units are not each split's balanced shards in order (schema.PlanShards)")
	}
	return json.Marshal(out)
}

// UnmarshalJSON restores the units from the stored counts.
func (r *PlanRecord) UnmarshalJSON(data []byte) error {
	var in planRecordJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	for _, sp := range in.Splits {
		if !schema.IsSplit(sp.Split) || sp.Samples < 0 || sp.Shards < 0 || sp.Shards > sp.Samples {
			return fmt.Errorf("plan record: split %q with %d samples in %d shards", sp.Split, sp.Samples, sp.Shards)
		}
	}
	*r = PlanRecord{Fingerprint: in.Fingerprint, Classes: in.Classes, Formats: in.Formats, Card: in.Card, Units: unitsOf(in.Splits)}
	return nil
}

// unitsOf lays out the units of the stored splits, in order.
func unitsOf(splits []planSplit) []Unit {
	var units []Unit
	for _, sp := range splits {
		start := 0
		for i, n := range PlanShards(sp.Samples, sp.Shards, 0) {
			units = append(units, Unit{Index: len(units), Split: sp.Split, Shard: i, Shards: sp.Shards, Start: start, End: start + n})
			start += n
		}
	}
	return units
}

// partsKey is the object a part of N writes to say so, for seal's message
// about missing units (which --part values to run again).
func partsKey(n int) string { return fmt.Sprintf("%s/parts-%d.json", schema.PartsDir, n) }

var partsName = regexp.MustCompile(`^parts-([0-9]{1,9})\.json$`)

// unitFile matches what a part writes under schema.PartsUnitsDir.
var unitFile = regexp.MustCompile(`^(train|val|test)-[0-9]{5,}\.jsonl?$`)

// ownPartsObject reports whether key, under schema.PartsDir but of no
// unit of the plan, is one augsplit wrote: a parts-N.json of that form,
// a unit summary that parses as one (of another plan's unit: a run with
// more shards), or the manifest lines beside such a summary. Seal deletes
// only those.
func ownPartsObject(ctx context.Context, st store.Store, key string) bool {
	rel := strings.TrimPrefix(key, schema.PartsDir+"/")
	if partsName.MatchString(rel) {
		data, err := readSmall(ctx, st, key)
		var p struct {
			Parts *int `json:"parts"`
		}
		return err == nil && json.Unmarshal(data, &p) == nil && p.Parts != nil && *p.Parts > 0
	}
	name, ok := strings.CutPrefix(key, schema.PartsUnitsDir+"/")
	if !ok || !unitFile.MatchString(name) {
		return false
	}
	summary := strings.TrimSuffix(key, "l") // x.jsonl's summary is x.json
	data, err := readSmall(ctx, st, summary)
	var sum UnitSummary
	if err != nil || json.Unmarshal(data, &sum) != nil || sum.Fingerprint == "" || sum.ManifestSHA256 == "" {
		return false
	}
	return sum.Unit.SummaryKey() == summary
}

// readSmall reads key when it is at most 1 MiB (a summary or a
// parts-N.json is a few hundred bytes).
func readSmall(ctx context.Context, st store.Store, key string) ([]byte, error) {
	n, err := st.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	if n > 1<<20 {
		return nil, fmt.Errorf("%s: %d bytes, more than a summary has", key, n)
	}
	return readObject(ctx, st, key)
}

// PartOptions configures StartPart.
type PartOptions struct {
	Plan  *PlanRecord
	Part  int // this part, 0 <= Part < Parts
	Parts int
	FS    FS // a local OUT's file-system seam; nil means OS
}

// StartPart prepares st for part opts.Part of opts.Parts: it refuses an
// OUT that holds another run's card, plan or unfinished run, or files
// augsplit did not write (a *NotEmptyError); returns ErrUpToDate when
// OUT's card is this run's; and otherwise writes the run marker (a local
// OUT) and the plan record. Parts run at once (a local OUT's lock is
// held shared by each, LockPart), and each writes only whole objects with
// the same bytes as any other copy.
func StartPart(ctx context.Context, st store.Store, opts PartOptions) error {
	rec := opts.Plan
	if rec == nil || rec.Fingerprint == "" || rec.Card == nil {
		return errors.New("start part: the plan record needs a fingerprint and a card")
	}
	if opts.Parts < 1 || opts.Part < 0 || opts.Part >= opts.Parts {
		return fmt.Errorf("part %d of %d: want 0 <= part < parts", opts.Part, opts.Parts)
	}
	fsys := opts.FS
	if fsys == nil {
		fsys = OS
	}
	if dir := st.Dir(); dir != "" {
		if err := (&Out{dir: dir, fs: fsys}).checkSafeDir(); err != nil {
			return err
		}
		if err := fsys.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create output folder: %w", err)
		}
	}
	if err := checkPartState(ctx, st, fsys, rec.Fingerprint, rec.Card.Config); err != nil {
		return err
	}
	if dir := st.Dir(); dir != "" {
		if err := WriteFileAtomic(fsys, filepath.Join(dir, schema.MarkerFile), []byte(rec.Fingerprint+"\n")); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", schema.PartsPlanFile, err)
	}
	if err := putObject(ctx, st, schema.PartsPlanFile, append(data, '\n')); err != nil {
		return err
	}
	return putObject(ctx, st, partsKey(opts.Parts), fmt.Appendf(nil, "{\"parts\": %d}\n", opts.Parts))
}

// LockPart takes a local OUT's lock shared for a part's whole run (call
// unlock at its end): parts run together, but a part cannot start while
// a seal or a one-machine run holds OUT (a *LockedError), and those
// cannot start while a part runs (a *PartsRunningError), so a seal never
// moves the stage under a part still writing into it. It creates dir.
func LockPart(dir string, fsys FS) (unlock func(), err error) {
	if fsys == nil {
		fsys = OS
	}
	if err := (&Out{dir: dir, fs: fsys}).checkSafeDir(); err != nil {
		return nil, err
	}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output folder: %w", err)
	}
	l, err := lockShared(dir)
	if err != nil {
		return nil, err
	}
	return l.release, nil
}

// CheckPlan fails with an *OtherRunError (Changed) when OUT's plan record
// is no longer rec's: a part of another run replaced it. Parts check
// before each unit's summary and at their end, so two runs with other
// flags on one OUT cannot both finish. A missing plan (sealed since, or
// cleared) is not this check's business.
func CheckPlan(ctx context.Context, st store.Store, rec *PlanRecord) error {
	var config json.RawMessage
	if rec.Card != nil {
		config = rec.Card.Config
	}
	return checkPlan(ctx, st, rec.Fingerprint, config)
}

func checkPlan(ctx context.Context, st store.Store, fp string, config json.RawMessage) error {
	got, err := readPlan(ctx, st)
	if err != nil || got == nil || got.Fingerprint == fp {
		return err
	}
	return otherRun(ctx, st, fp, config, true)
}

// otherRun is the *OtherRunError for OUT's plan against fingerprint fp
// and the config ours.
func otherRun(ctx context.Context, st store.Store, fp string, ours json.RawMessage, changed bool) error {
	e := &OtherRunError{Where: st.URL(), Ours: fp, Changed: changed}
	if rec, err := readPlan(ctx, st); err == nil && rec != nil {
		e.Theirs = rec.Fingerprint
		e.Differences = configDifferences(rec.Card.Config, ours)
	}
	return e
}

// cardFingerprint reads the fingerprint of OUT's card, "" when there is
// none.
func cardFingerprint(ctx context.Context, st store.Store) (string, bool, error) {
	data, err := readObject(ctx, st, schema.CardFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read dataset card: %w", err)
	}
	var c struct {
		Fingerprint string `json:"fingerprint"`
	}
	_ = json.Unmarshal(data, &c)
	return c.Fingerprint, true, nil
}

// readPlan reads the plan record, nil when there is none.
func readPlan(ctx context.Context, st store.Store) (*PlanRecord, error) {
	data, err := readObject(ctx, st, schema.PartsPlanFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read plan record: %w", err)
	}
	var rec PlanRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.Fingerprint == "" || rec.Card == nil {
		return nil, fmt.Errorf("%s in %s is not a plan record augsplit wrote: %v", schema.PartsPlanFile, st.URL(), err)
	}
	return &rec, nil
}

// partAdvice ends a part's refusals: --force, which a one-machine run
// offers, is refused with --parts.
const partAdvice = "choose another --out, or clear it (a part never removes what is in OUT)"

func checkPartState(ctx context.Context, st store.Store, fsys FS, fp string, config json.RawMessage) error {
	where := st.URL()
	cardFP, haveCard, err := cardFingerprint(ctx, st)
	if err != nil {
		return err
	}
	if haveCard {
		if cardFP == fp {
			return ErrUpToDate
		}
		return &NotEmptyError{Dir: where, Reason: "holds a finished dataset made with other inputs or settings", Advice: partAdvice}
	}
	planFP := func() (string, error) {
		rec, err := readPlan(ctx, st)
		if err != nil || rec == nil {
			return "", err
		}
		return rec.Fingerprint, nil
	}
	got, err := planFP()
	if err != nil {
		return err
	}
	if got != "" && got != fp {
		return otherRun(ctx, st, fp, config, false)
	}
	if dir := st.Dir(); dir != "" {
		marker, err := fsys.ReadFile(filepath.Join(dir, schema.MarkerFile))
		switch {
		case err == nil && strings.TrimSpace(string(marker)) != fp:
			return &NotEmptyError{Dir: where, Reason: "holds an unfinished run made with other inputs or settings", Advice: partAdvice}
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("read run marker: %w", err)
		case err == nil:
			return nil
		}
	}
	if got == fp {
		return nil
	}
	// A new run: OUT must hold nothing but what parts of this run (which
	// may be starting at this moment) write.
	keys, err := st.List(ctx, "")
	if err != nil {
		return fmt.Errorf("list %s: %w", where, err)
	}
	for _, k := range keys {
		if k == schema.MarkerFile || strings.HasPrefix(k, schema.PartsDir+"/") {
			continue
		}
		// Another part of this run may have written its plan since.
		if again, err := planFP(); err == nil && again == fp {
			return nil
		}
		return &NotEmptyError{Dir: where, Reason: fmt.Sprintf("holds files augsplit did not write (%s, ...)", k), Advice: partAdvice}
	}
	return nil
}

// MissingUnitsError is Seal's refusal when units have no summary (or a
// summary that does not check out): the parts that own them must run
// (again).
type MissingUnitsError struct {
	Where string
	Units []Unit
	// Parts maps each number of parts seen in OUT to the --part values
	// that own a missing unit.
	Parts map[int][]int
}

func (e *MissingUnitsError) Error() string {
	names := make([]string, 0, min(len(e.Units), 10))
	for _, u := range e.Units[:min(len(e.Units), 10)] {
		names = append(names, u.Name())
	}
	more := ""
	if len(e.Units) > 10 {
		more = fmt.Sprintf(" and %d more", len(e.Units)-10)
	}
	var runs []string
	for _, n := range slices.Sorted(maps.Keys(e.Parts)) {
		parts := make([]string, len(e.Parts[n]))
		for i, p := range e.Parts[n] {
			parts[i] = strconv.Itoa(p)
		}
		runs = append(runs, fmt.Sprintf("--parts %d --part %s", n, strings.Join(parts, ",")))
	}
	how := "re-run the parts that own them (part I of N owns the units whose index modulo N is I)"
	if len(runs) > 0 {
		how = "re-run generate with " + strings.Join(runs, "; or ")
	}
	return fmt.Sprintf("%s: %d units are not done (%s%s): %s, then seal again", e.Where, len(e.Units), strings.Join(names, ", "), more, how)
}

// SealOptions configures Seal.
type SealOptions struct {
	FS       FS // a local OUT's file-system seam; nil means OS
	Metadata func(card *schema.Card) (map[string][]byte, error)
	// Log gets warnings (files under schema.PartsDir seal leaves because
	// augsplit did not write them); nil discards them.
	Log io.Writer
}

// Seal finishes a dataset whose units parts wrote to st: it checks that
// every unit of the plan record is done, moves a local OUT's staged
// folder samples into place, streams the units' manifest lines in unit
// order into manifest.jsonl (memory does not grow with the samples),
// writes the shard indexes, classes.txt, the metadata files and then the
// card, last; and finally deletes what the parts kept (schema.PartsDir,
// the marker). The result has the bytes a one-machine Out would have
// written. A local OUT is locked while sealing: a *PartsRunningError
// while parts hold it (LockPart). Before anything moves, the folder
// images are checked against the manifest lines (checkSamples,
// checkFolders). ErrUpToDate: OUT's card is already the plan's.
func Seal(ctx context.Context, st store.Store, opts SealOptions) (*schema.Card, error) {
	fsys := opts.FS
	if fsys == nil {
		fsys = OS
	}
	dir := st.Dir()
	if dir != "" {
		if _, err := fsys.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, &notFoundError{what: "no dataset or parts at " + dir}
		}
		l, err := lockDir(dir)
		if err != nil {
			return nil, err
		}
		defer l.release()
	}
	rec, err := readPlan(ctx, st)
	if err != nil {
		return nil, err
	}
	cardFP, haveCard, err := cardFingerprint(ctx, st)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		if haveCard {
			// A seal killed while cleaning up may have left the units
			// (the plan record goes last).
			if err := cleanParts(ctx, st, fsys, nil, opts.Log); err != nil {
				return nil, err
			}
			return nil, ErrUpToDate
		}
		return nil, fmt.Errorf("%s has no %s: nothing to seal (run generate --parts N --part I for every I first)", st.URL(), schema.PartsPlanFile)
	}
	if haveCard {
		if cardFP != rec.Fingerprint {
			return nil, &NotEmptyError{Dir: st.URL(), Reason: "holds a finished dataset made with other inputs or settings next to the parts of another run"}
		}
		// Killed after the card was written: only the clean-up is left.
		if err := cleanParts(ctx, st, fsys, rec, opts.Log); err != nil {
			return nil, err
		}
		return nil, ErrUpToDate
	}
	s := &sealer{st: st, fs: fsys, dir: dir, rec: rec, opts: opts}
	return s.seal(ctx)
}

// notFoundError is a missing OUT: its message says so plainly, and it
// is fs.ErrNotExist for callers.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string { return e.what }
func (e *notFoundError) Unwrap() error { return fs.ErrNotExist }

type sealer struct {
	st   store.Store
	fs   FS
	dir  string
	rec  *PlanRecord
	opts SealOptions

	counts map[string]map[string]int
	total  int
	shards []schema.Shard
	frags  []fragment
}

// fragment is what seal keeps per unit while merging: O(units), never
// O(samples).
type fragment struct {
	key    string
	bytes  int64
	sha256 string
	unit   Unit
	folder int64 // UnitSummary.FolderBytes
}

func (s *sealer) seal(ctx context.Context) (*schema.Card, error) {
	if err := s.readSummaries(ctx); err != nil {
		return nil, err
	}
	if slices.Contains(s.rec.Formats, schema.FormatFolder) {
		if err := s.checkSamples(ctx); err != nil {
			return nil, err
		}
		if s.dir != "" {
			if err := s.checkFolders(); err != nil {
				return nil, err
			}
			if err := s.unstage(); err != nil {
				return nil, err
			}
		}
	}
	manSHA, err := s.mergeManifest(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(s.shards, func(a, b schema.Shard) int {
		if c := strings.Compare(a.Format, b.Format); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	for _, format := range []string{schema.FormatWebDataset, schema.FormatTFRecord} {
		if !slices.Contains(s.rec.Formats, format) {
			continue
		}
		data, err := schema.MarshalIndex(schema.IndexOf(format, s.shards))
		if err != nil {
			return nil, err
		}
		if err := putObject(ctx, s.st, format+"/"+schema.IndexFile, data); err != nil {
			return nil, err
		}
	}
	if err := putObject(ctx, s.st, schema.ClassesFile, schema.ClassesText(s.rec.Classes)); err != nil {
		return nil, err
	}
	card, err := s.card(manSHA)
	if err != nil {
		return nil, err
	}
	if err := s.writeMetadata(ctx, card); err != nil {
		return nil, err
	}
	data, err := schema.SealCard(card)
	if err != nil {
		return nil, err
	}
	if err := putObject(ctx, s.st, schema.CardFile, data); err != nil {
		return nil, err
	}
	if err := cleanParts(ctx, s.st, s.fs, s.rec, s.opts.Log); err != nil {
		return card, fmt.Errorf("the dataset is sealed, but cleaning up failed (run seal again to finish): %w", err)
	}
	return card, nil
}

// readSummaries reads every unit's summary, refusing (MissingUnitsError)
// when one is missing or does not check out.
func (s *sealer) readSummaries(ctx context.Context) error {
	s.counts = map[string]map[string]int{}
	var missing []Unit
	for _, u := range s.rec.Units {
		sum, err := ReadUnitSummary(ctx, s.st, u)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, u)
			continue
		}
		if err != nil {
			return err
		}
		if sum.Fingerprint != s.rec.Fingerprint || checkUnitObjects(ctx, s.st, sum) != nil {
			missing = append(missing, u)
			continue
		}
		for class, n := range sum.Counts {
			if s.counts[class] == nil {
				s.counts[class] = map[string]int{}
			}
			s.counts[class][u.Split] += n
			s.total += n
		}
		s.shards = append(s.shards, sum.Shards...)
		s.frags = append(s.frags, fragment{key: u.ManifestKey(), bytes: sum.ManifestBytes, sha256: sum.ManifestSHA256, unit: u, folder: sum.FolderBytes})
	}
	if len(missing) > 0 {
		return s.missing(ctx, missing)
	}
	return nil
}

func (s *sealer) missing(ctx context.Context, units []Unit) error {
	e := &MissingUnitsError{Where: s.st.URL(), Units: units, Parts: map[int][]int{}}
	keys, err := s.st.List(ctx, schema.PartsDir+"/")
	if err != nil {
		return fmt.Errorf("%w (and listing the parts failed: %v)", e, err)
	}
	for _, k := range keys {
		m := partsName.FindStringSubmatch(strings.TrimPrefix(k, schema.PartsDir+"/"))
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if n < 1 {
			continue
		}
		var parts []int
		for _, u := range units {
			if p := u.Index % n; !slices.Contains(parts, p) {
				parts = append(parts, p)
			}
		}
		slices.Sort(parts)
		e.Parts[n] = parts
	}
	return e
}

// checkSamples checks that the folder-format images are the manifest's:
// each record's object is there (Stat: a local OUT's under the stage, or
// in place where a killed seal moved its folder) and each unit's images
// add up to the bytes its summary recorded (an image another run wrote
// under the same name has other bytes). The summaries of units that fail
// are deleted, so that their parts write them again, and the error names
// those parts. One manifest line in memory at a time.
func (s *sealer) checkSamples(ctx context.Context) error {
	var bad []Unit
	var paths []string
	for _, f := range s.frags {
		missing, total, err := s.statUnit(ctx, f)
		if err != nil {
			return err
		}
		if len(missing) == 0 && (f.folder == 0 || total == f.folder) {
			continue
		}
		bad = append(bad, f.unit)
		for _, p := range missing {
			if len(paths) < 3 {
				paths = append(paths, p)
			}
		}
		if len(missing) == 0 && len(paths) < 3 {
			paths = append(paths, fmt.Sprintf("%s's images (%d bytes, its summary says %d)", f.unit.Name(), total, f.folder))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	for _, u := range bad {
		if err := s.st.Delete(ctx, u.SummaryKey()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("images of unit %s in %s are missing or another run's, and removing its summary failed: %w", u.Name(), s.st.URL(), err)
		}
	}
	return fmt.Errorf("images of %d units are missing or were replaced by another run's (%s): their summaries are removed so their parts write them again: %w",
		len(bad), strings.Join(paths, ", "), s.missing(ctx, bad))
}

// statUnit Stats the folder image of each of f's manifest lines: the
// paths missing (at most 3) and the total size of those found.
func (s *sealer) statUnit(ctx context.Context, f fragment) (missing []string, total int64, err error) {
	r, err := s.st.Open(ctx, f.key)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s in %s: %w", f.key, s.st.URL(), err)
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), schema.MaxManifestLine)
	var nMissing int
	for line := 1; sc.Scan(); line++ {
		var rec struct {
			Path string `json:"path"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, 0, fmt.Errorf("%s in %s line %d: %w (delete the unit's summary, .json beside it, and re-run its part)", f.key, s.st.URL(), line, err)
		}
		if rec.Path == "" {
			continue
		}
		if !schema.ValidPath(rec.Path) {
			return nil, 0, fmt.Errorf("%s in %s line %d: sample path %q is not a clean relative path", f.key, s.st.URL(), line, rec.Path)
		}
		n, err := s.statSample(ctx, rec.Path)
		if errors.Is(err, fs.ErrNotExist) {
			nMissing++
			if len(missing) < 3 {
				missing = append(missing, rec.Path)
			}
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("stat sample %s in %s: %w", rec.Path, s.st.URL(), err)
		}
		total += n
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("read %s in %s: %w", f.key, s.st.URL(), err)
	}
	return missing, total, nil
}

// statSample is the size of the folder image at rel: on a local OUT the
// staged copy, or, once moved into place, the final one.
func (s *sealer) statSample(ctx context.Context, rel string) (int64, error) {
	if s.dir == "" {
		return s.st.Stat(ctx, rel)
	}
	n, err := s.st.Stat(ctx, schema.StageDir+"/"+rel)
	if errors.Is(err, fs.ErrNotExist) {
		return s.st.Stat(ctx, rel)
	}
	return n, err
}

// checkFolders checks, on a local OUT, that each class folder (staged,
// or in place) holds as many images as the manifest lists: more are
// another run's, written under other names, which verify would reject.
func (s *sealer) checkFolders() error {
	var bad []string
	var splits []string
	for _, sp := range schema.Splits() {
		for _, class := range s.rec.Classes {
			want := s.counts[class][sp]
			dir := filepath.Join(s.dir, sp, class)
			if want > 0 {
				// unstage replaces the folder in place with the staged one.
				if staged := filepath.Join(s.dir, schema.StageDir, sp, class); s.exists(staged) {
					dir = staged
				}
			}
			got, err := s.countFiles(dir)
			if err != nil {
				return err
			}
			if got == want {
				continue
			}
			if len(bad) < 3 {
				bad = append(bad, fmt.Sprintf("%s holds %d images, the parts' manifests list %d", dir, got, want))
			}
			if !slices.Contains(splits, sp) {
				splits = append(splits, sp)
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s: folder images that are not the manifest's, another run's (%s): delete OUT's %s/ objects that are not in any part (no %s/%s-*.jsonl lists them) and seal again, or delete %s/ and %s/ and re-run every part",
		s.st.URL(), strings.Join(bad, "; "), strings.Join(splits, "/, "), schema.PartsUnitsDir, splits[0], schema.StageDir, schema.PartsUnitsDir)
}

func (s *sealer) exists(path string) bool {
	_, err := s.fs.Stat(path)
	return err == nil
}

// countFiles counts the files in dir, temporaries aside (0 when dir is
// missing).
func (s *sealer) countFiles(dir string) (int, error) {
	entries, err := s.fs.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", dir, err)
	}
	n := 0
	for _, e := range entries {
		if !IsTemp(e.Name()) {
			n++
		}
	}
	return n, nil
}

// unstage moves each staged class folder into OUT/<split>/<class>, as
// Out.unstage does. A folder already moved by a seal that was killed is
// left in place; temporaries a killed part left are removed.
func (s *sealer) unstage() error {
	stage := filepath.Join(s.dir, schema.StageDir)
	for _, sp := range schema.Splits() {
		for _, class := range s.rec.Classes {
			if s.counts[class][sp] == 0 {
				continue
			}
			from := filepath.Join(stage, sp, class)
			to := filepath.Join(s.dir, sp, class)
			if _, err := s.fs.Stat(from); errors.Is(err, fs.ErrNotExist) {
				if _, err := s.fs.Stat(to); err == nil {
					if err := s.removeTemps(to); err != nil {
						return err
					}
					continue
				}
			}
			if err := s.fs.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return fmt.Errorf("create folder: %w", err)
			}
			if err := s.fs.RemoveAll(to); err != nil {
				return fmt.Errorf("replace %s: %w", to, err)
			}
			if err := s.fs.Rename(from, to); err != nil {
				return fmt.Errorf("move %s into place: %w", from, err)
			}
			if err := s.removeTemps(to); err != nil {
				return err
			}
		}
	}
	if err := s.fs.RemoveAll(stage); err != nil {
		return fmt.Errorf("remove %s: %w", stage, err)
	}
	return nil
}

// removeTemps deletes the writer's temporaries in dir (a part killed
// while writing leaves them).
func (s *sealer) removeTemps(dir string) error {
	entries, err := s.fs.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		if IsTemp(e.Name()) && !e.IsDir() {
			if err := s.fs.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("clean up temporary files: %w", err)
			}
		}
	}
	return nil
}

// mergeManifest streams the units' manifest lines, in unit order, into
// manifest.jsonl, checking each against its summary on the way: one copy
// buffer, whatever the number of samples.
func (s *sealer) mergeManifest(ctx context.Context) (string, error) {
	w, err := s.st.Create(ctx, schema.ManifestFile)
	if err != nil {
		return "", fmt.Errorf("create %s in %s: %w", schema.ManifestFile, s.st.URL(), err)
	}
	sum, err := mergeFragments(ctx, s.st, w, s.frags, make([]byte, 256<<10))
	if err != nil {
		w.Abort()
		return "", err
	}
	if err := w.Commit(); err != nil {
		return "", fmt.Errorf("write %s in %s: %w", schema.ManifestFile, s.st.URL(), err)
	}
	return sum, nil
}

// mergeFragments copies the manifest fragments of frags (key, bytes,
// sha256) in order to w through buf, checking each, and returns the hex
// sha256 of all that was written. Memory is buf and two hashes.
func mergeFragments(ctx context.Context, st store.Store, w io.Writer, frags []fragment, buf []byte) (string, error) {
	total := sha256.New()
	one := sha256.New()
	for _, f := range frags {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if err := copyFragment(ctx, st, io.MultiWriter(w, total), one, f, buf); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(total.Sum(nil)), nil
}

func copyFragment(ctx context.Context, st store.Store, w io.Writer, one hash.Hash, f fragment, buf []byte) error {
	r, err := st.Open(ctx, f.key)
	if err != nil {
		return fmt.Errorf("read %s in %s: %w", f.key, st.URL(), err)
	}
	defer r.Close()
	one.Reset()
	n, err := io.CopyBuffer(io.MultiWriter(w, one), struct{ io.Reader }{r}, buf)
	if err != nil {
		return fmt.Errorf("merge %s in %s: %w", f.key, st.URL(), err)
	}
	if got := hex.EncodeToString(one.Sum(nil)); n != f.bytes || got != f.sha256 {
		return fmt.Errorf("%s in %s changed after its unit was done (%d bytes, sha256 %.12s...; its summary says %d, %.12s...): delete the unit's summary (.json beside it) and re-run its part", f.key, st.URL(), n, got, f.bytes, f.sha256)
	}
	return nil
}

// card fills the plan's card template from the units, as Out.fillCard
// and Commit do from what was Put.
func (s *sealer) card(manSHA string) (*schema.Card, error) {
	data, err := json.Marshal(s.rec.Card)
	if err != nil {
		return nil, fmt.Errorf("copy the card template: %w", err)
	}
	card := &schema.Card{}
	if err := json.Unmarshal(data, card); err != nil {
		return nil, fmt.Errorf("copy the card template: %w", err)
	}
	if card.Fingerprint != s.rec.Fingerprint {
		return nil, fmt.Errorf("%s: the card template's fingerprint %q differs from the plan's %q", schema.PartsPlanFile, card.Fingerprint, s.rec.Fingerprint)
	}
	card.Classes = slices.Clone(s.rec.Classes)
	card.Splits = nil
	for _, sp := range schema.Splits() {
		for _, perSplit := range s.counts {
			if perSplit[sp] > 0 {
				card.Splits = append(card.Splits, sp)
				break
			}
		}
	}
	card.Counts = s.counts
	card.Total = s.total
	card.Formats = slices.Clone(s.rec.Formats)
	card.Shards = s.shards
	card.ManifestSHA256 = manSHA
	card.Metadata = nil
	card.CardSHA256 = ""
	if problems := card.Check(); len(problems) > 0 {
		return nil, &CardError{Problems: problems}
	}
	return card, nil
}

// writeMetadata is Out.writeMetadata through the store.
func (s *sealer) writeMetadata(ctx context.Context, card *schema.Card) error {
	return writeMetadata(card, s.opts.Metadata, func(name string, data []byte) error {
		return putObject(ctx, s.st, name, data)
	})
}

// cleanParts deletes what parts wrote besides the dataset: under
// schema.PartsDir, the plan record, the objects of the plan's units (rec;
// nil once the plan record is gone) and the files it reads as its own (a
// parts-N.json, a unit summary and the manifest lines beside it), nothing
// else: others are left, with a warning to log; and, locally, the
// marker, leftover temporaries and the empty folders.
func cleanParts(ctx context.Context, st store.Store, fsys FS, rec *PlanRecord, log io.Writer) error {
	keys, err := st.List(ctx, schema.PartsDir+"/")
	if err != nil {
		return fmt.Errorf("list %s in %s: %w", schema.PartsDir, st.URL(), err)
	}
	planned := map[string]bool{}
	if rec != nil {
		for _, u := range rec.Units {
			planned[u.ManifestKey()], planned[u.SummaryKey()] = true, true
		}
	}
	// The plan record goes last: while it is there, a seal run again
	// knows whose leftovers these are.
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == schema.PartsPlanFile })
	// Decide first: a manifest fragment is known by the summary beside
	// it, which must still be there.
	var left, del []string
	for _, k := range keys {
		if planned[k] || ownPartsObject(ctx, st, k) {
			del = append(del, k)
		} else {
			left = append(left, k)
		}
	}
	for _, k := range append(del, schema.PartsPlanFile) {
		if err := st.Delete(ctx, k); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if len(left) > 0 && log != nil {
		fmt.Fprintf(log, "warning: left %d files in %s/%s that augsplit did not write (%s): delete them yourself if they are not needed\n",
			len(left), st.URL(), schema.PartsDir, strings.Join(left[:min(len(left), 3)], ", "))
	}
	dir := st.Dir()
	if dir == "" {
		return nil
	}
	for _, d := range []string{schema.PartsUnitsDir, schema.PartsDir, schema.FormatWebDataset, schema.FormatTFRecord, "."} {
		full := filepath.Join(dir, filepath.FromSlash(d))
		if _, err := fsys.Stat(full); err != nil {
			continue
		}
		s := &sealer{fs: fsys}
		if err := s.removeTemps(full); err != nil {
			return err
		}
	}
	for _, d := range []string{schema.PartsUnitsDir, schema.PartsDir} {
		err := fsys.Remove(filepath.Join(dir, filepath.FromSlash(d)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotEmpty(err) {
			return fmt.Errorf("remove %s: %w", d, err)
		}
	}
	if err := fsys.Remove(filepath.Join(dir, schema.MarkerFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove run marker: %w", err)
	}
	return nil
}
