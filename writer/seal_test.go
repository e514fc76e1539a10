package writer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/schema"
)

// splitMajor is samples in the order parts number units: train, val,
// test, each in its given order.
func splitMajor(samples []Sample) []Sample {
	var out []Sample
	for _, sp := range schema.Splits() {
		for _, s := range samples {
			if s.Split == sp {
				out = append(out, s)
			}
		}
	}
	return out
}

var allFormats = []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}

// writeUnits writes the units part `part` of `parts` owns, as a part does.
func writeUnits(t *testing.T, st store.Store, samples []Sample, units []Unit, part, parts int, fsys FS) error {
	t.Helper()
	rec := &PlanRecord{Fingerprint: "fp1", Classes: testClasses, Formats: allFormats, Card: testCard(testClasses), Units: units}
	rec.Card.Fingerprint = "fp1"
	if err := StartPart(context.Background(), st, PartOptions{Plan: rec, Part: part, Parts: parts, FS: fsys}); err != nil {
		return err
	}
	offset := map[string]int{}
	at := 0
	for _, sp := range schema.Splits() {
		offset[sp] = at
		at += splitCounts(samples)[sp]
	}
	for _, u := range units {
		if u.Index%parts != part {
			continue
		}
		if done, err := UnitDone(context.Background(), st, "fp1", u); err != nil || done {
			if err != nil {
				return err
			}
			continue
		}
		w, err := OpenUnit(context.Background(), st, UnitOptions{Fingerprint: "fp1", Classes: testClasses, Formats: allFormats, Unit: u})
		if err != nil {
			return err
		}
		for _, s := range samples[offset[u.Split]+u.Start : offset[u.Split]+u.End] {
			if err := w.Put(context.Background(), &s); err != nil {
				w.Abort()
				return err
			}
		}
		if _, err := w.Close(context.Background()); err != nil {
			return err
		}
	}
	return nil
}

// The writer-level promise under generate's: units written by any number
// of parts and sealed have the bytes Out writes from the same samples.
func TestUnitsSealToOutBytes(t *testing.T) {
	samples := splitMajor(makeSamples(90))
	counts := splitCounts(samples)
	one := t.TempDir()
	write(t, one, Options{Formats: allFormats, ShardSize: 8, SplitCounts: counts}, samples)
	units := Units(counts, 0, 8)
	for _, n := range []int{1, 4} {
		dir := t.TempDir()
		st := DirStore(nil, dir)
		for part := range n {
			if err := writeUnits(t, st, samples, units, part, n, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Seal(context.Background(), st, SealOptions{}); err != nil {
			t.Fatal(err)
		}
		if got, want := snapshot(t, dir), snapshot(t, one); !mapsEqual(got, want) {
			t.Errorf("%d parts: files %q, Out wrote %q", n, sortedKeys(got), sortedKeys(want))
		}
	}
}

// A part whose disk fills up part-way leaves no temporary file and no
// summary for the unit it was writing; run again, it finishes and the
// seal has Out's bytes.
func TestUnitDiskFullThenRerun(t *testing.T) {
	samples := splitMajor(makeSamples(90))
	counts := splitCounts(samples)
	one := t.TempDir()
	write(t, one, Options{Formats: allFormats, ShardSize: 8, SplitCounts: counts}, samples)
	units := Units(counts, 0, 8)
	dir := t.TempDir()
	fsys := &faultFS{FS: OS, budget: 100000}
	err := writeUnits(t, DirStore(fsys, dir), samples, units, 0, 1, fsys)
	if err == nil {
		t.Fatal("no error from a full disk")
	}
	if !errors.Is(err, errFull) {
		t.Fatalf("err = %v, want the full disk", err)
	}
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
	sums, _ := filepath.Glob(filepath.Join(dir, schema.PartsUnitsDir, "*.json"))
	if len(sums) == 0 || len(sums) == len(units) {
		t.Fatalf("%d of %d units done: the disk did not fill part-way", len(sums), len(units))
	}
	st := DirStore(nil, dir)
	if err := writeUnits(t, st, samples, units, 0, 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Seal(context.Background(), st, SealOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(t, dir), snapshot(t, one); !mapsEqual(got, want) {
		t.Errorf("files %q, Out wrote %q", sortedKeys(got), sortedKeys(want))
	}
}

// faultFS fails writes with a full disk once budget bytes are written.
type faultFS struct {
	FS
	budget int64
}

func (f *faultFS) CreateTemp(dir, pattern string) (File, error) {
	file, err := f.FS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

type faultFile struct {
	File
	fs *faultFS
}

var errFull = errors.New("no space left on device (test)")

func (f *faultFile) Write(p []byte) (int, error) {
	if int64(len(p)) > f.fs.budget {
		return 0, errFull
	}
	f.fs.budget -= int64(len(p))
	return f.File.Write(p)
}

// A summary whose objects are gone or cut short is not done, and seal
// names its unit.
func TestSealNamesUnitWithMissingObject(t *testing.T) {
	samples := splitMajor(makeSamples(90))
	units := Units(splitCounts(samples), 0, 8)
	dir := t.TempDir()
	st := DirStore(nil, dir)
	if err := writeUnits(t, st, samples, units, 0, 1, nil); err != nil {
		t.Fatal(err)
	}
	victim := units[3]
	key := ShardName(schema.FormatTFRecord, victim.Split, victim.Shard, victim.Shards)
	if err := st.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if done, err := UnitDone(context.Background(), st, "fp1", victim); err != nil || done {
		t.Errorf("unit without its shard: done %v, err %v", done, err)
	}
	_, err := Seal(context.Background(), st, SealOptions{})
	var me *MissingUnitsError
	if !errors.As(err, &me) || len(me.Units) != 1 || me.Units[0] != victim || !strings.Contains(err.Error(), "--parts 1 --part 0") {
		t.Fatalf("err = %v, want unit %s missing", err, victim.Name())
	}
}

// fragStore serves n manifest fragments of lines records each, made as
// they are read, and swallows what is written: a seal's merge through it
// allocates only what it keeps, never the records.
type fragStore struct {
	store.Store
	lines int
}

var fragLine = []byte(`{"id":"cell_0001","split":"train","class":"cell","class_index":0,"source":"cell/a.png","source_sha256":"` + strings.Repeat("ab", 32) + `","variant":1,"params":[],"width":64,"height":64,"channels":1,"bit_depth":8,"sha256":"` + strings.Repeat("cd", 32) + `","path":"train/cell/cell_0001.png"}` + "\n")

type lineReader struct{ left, off int }

func (r *lineReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], fragLine[r.off:])
		n += c
		r.off += c
		if r.off == len(fragLine) {
			r.off = 0
			r.left--
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (s *fragStore) Open(context.Context, string) (io.ReadCloser, error) {
	return io.NopCloser(&lineReader{left: s.lines}), nil
}
func (s *fragStore) URL() string { return "frag://" }

func fragments(units, lines int) []fragment {
	h := sha256Lines(lines)
	frags := make([]fragment, units)
	for i := range frags {
		frags[i] = fragment{key: fmt.Sprintf("u%d", i), bytes: int64(lines * len(fragLine)), sha256: h}
	}
	return frags
}

func sha256Lines(lines int) string {
	var b bytes.Buffer
	b.Write(bytes.Repeat(fragLine, lines))
	return sha256Hex(b.Bytes())
}

// Issue 13: seal's memory does not grow with samples. 10^5 manifest lines
// (33 MB) merge with the same allocations as 10^3.
func TestSealMergeStreams(t *testing.T) {
	alloc := func(units int) uint64 {
		st := &fragStore{lines: 1000}
		frags := fragments(units, 1000)
		buf := make([]byte, 256<<10)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if _, err := mergeFragments(context.Background(), st, io.Discard, frags, buf); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(1), alloc(100)
	t.Logf("merge allocated %d bytes for 10^3 lines, %d for 10^5 (%d MB of lines)", small, large, 100*1000*len(fragLine)>>20)
	if large > 1<<20 {
		t.Errorf("merging 10^5 lines allocated %d bytes: it buffers the records", large)
	}
}

func BenchmarkSealMerge(b *testing.B) {
	st := &fragStore{lines: 1000}
	frags := fragments(100, 1000)
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(100 * 1000 * len(fragLine)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mergeFragments(context.Background(), st, io.Discard, frags, buf); err != nil {
			b.Fatal(err)
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// A seal killed while cleaning up (card written, some of the parts'
// files left) is finished by the next seal, which says up to date.
func TestSealFinishesInterruptedCleanup(t *testing.T) {
	samples := splitMajor(makeSamples(90))
	units := Units(splitCounts(samples), 0, 8)
	dir := t.TempDir()
	st := DirStore(nil, dir)
	if err := writeUnits(t, st, samples, units, 0, 1, nil); err != nil {
		t.Fatal(err)
	}
	plan, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(schema.PartsPlanFile)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Seal(context.Background(), st, SealOptions{}); err != nil {
		t.Fatal(err)
	}
	sealed := snapshot(t, dir)
	// What a kill after the card, before the clean-up ended, leaves (the
	// plan record goes last).
	for k, data := range map[string][]byte{units[2].SummaryKey(): []byte("{}\n"), units[2].ManifestKey(): []byte("{}\n"),
		partsKey(1): []byte("{\"parts\": 1}\n"), schema.PartsPlanFile: plan} {
		if err := putObject(context.Background(), st, k, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFileAtomic(OS, filepath.Join(dir, schema.MarkerFile), []byte("fp1\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := Seal(context.Background(), st, SealOptions{}); !errors.Is(err, ErrUpToDate) {
		t.Fatalf("second seal: err = %v, want up to date", err)
	}
	if got := snapshot(t, dir); !mapsEqual(got, sealed) {
		t.Errorf("after the second seal: %q, want %q", sortedKeys(got), sortedKeys(sealed))
	}
	if _, err := os.Stat(filepath.Join(dir, schema.PartsDir)); err == nil {
		t.Errorf("%s left behind", schema.PartsDir)
	}
}

// QA: two runs with other flags writing parts into one OUT at once both
// finished. A part re-reads the plan before each unit's summary: once
// another run's part replaced it, the unit is not marked done and the
// part fails naming the settings that differ.
func TestUnitRefusesReplacedPlan(t *testing.T) {
	ctx := context.Background()
	samples := splitMajor(makeSamples(20))
	units := Units(splitCounts(samples), 0, 8)
	st := DirStore(nil, t.TempDir())
	rec := &PlanRecord{Fingerprint: "fp1", Classes: testClasses, Formats: allFormats, Card: testCard(testClasses), Units: units}
	rec.Card.Fingerprint, rec.Card.Config = "fp1", json.RawMessage(`{"seed":1,"val":0.2}`)
	if err := StartPart(ctx, st, PartOptions{Plan: rec, Part: 0, Parts: 1}); err != nil {
		t.Fatal(err)
	}
	u := units[0]
	w, err := OpenUnit(ctx, st, UnitOptions{Fingerprint: "fp1", Classes: testClasses, Formats: allFormats, Unit: u, Config: rec.Card.Config})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples[u.Start:u.End] {
		if err := w.Put(ctx, &s); err != nil {
			t.Fatal(err)
		}
	}
	// Another run's part writes its plan now.
	other := *rec
	other.Card = testCard(testClasses)
	other.Fingerprint, other.Card.Fingerprint, other.Card.Config = "fp2", "fp2", json.RawMessage(`{"seed":2,"val":0.2}`)
	data, _ := json.Marshal(&other)
	if err := putObject(ctx, st, schema.PartsPlanFile, data); err != nil {
		t.Fatal(err)
	}
	_, err = w.Close(ctx)
	var oe *OtherRunError
	if !errors.As(err, &oe) || !oe.Changed || oe.Theirs != "fp2" || !strings.Contains(err.Error(), "seed: 2 in OUT's plan, 1 here") {
		t.Fatalf("Close after the plan was replaced = %v, want an *OtherRunError naming seed", err)
	}
	if _, err := st.Stat(ctx, u.SummaryKey()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the unit was marked done under another run's plan (stat: %v)", err)
	}
	if err := CheckPlan(ctx, st, rec); !errors.As(err, &oe) {
		t.Errorf("CheckPlan = %v, want an *OtherRunError", err)
	}
	if err := CheckPlan(ctx, st, &other); err != nil {
		t.Errorf("CheckPlan of the plan's own run = %v", err)
	}
}

// QA 2c: seal checks that the folder images are the manifest's before it
// moves them into place. An image missing, or another run's under the
// same name (other bytes), removes its unit's summary and names the part
// to run again, which then seals to Out's bytes; another run's images
// under other names are refused naming the folder.
func TestSealChecksFolderImages(t *testing.T) {
	ctx := context.Background()
	samples := splitMajor(makeSamples(60))
	counts := splitCounts(samples)
	one := t.TempDir()
	write(t, one, Options{Formats: allFormats, ShardSize: 8, SplitCounts: counts}, samples)
	units := Units(counts, 0, 8)
	staged := func(dir string) string {
		var first string
		_ = filepath.WalkDir(filepath.Join(dir, schema.StageDir), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && first == "" {
				first = p
			}
			return nil
		})
		if first == "" {
			t.Fatal("no staged image")
		}
		return first
	}
	for _, tc := range []struct {
		name  string
		spoil func(img string) error
		want  string
	}{
		{"missing", os.Remove, "missing or were replaced by another run's"},
		{"same name, other bytes", func(img string) error { return os.WriteFile(img, []byte("another run's png"), 0o644) }, "bytes, its summary says"},
	} {
		dir := t.TempDir()
		st := DirStore(nil, dir)
		if err := writeUnits(t, st, samples, units, 0, 2, nil); err != nil {
			t.Fatal(err)
		}
		if err := writeUnits(t, st, samples, units, 1, 2, nil); err != nil {
			t.Fatal(err)
		}
		img := staged(dir)
		if err := tc.spoil(img); err != nil {
			t.Fatal(err)
		}
		_, err := Seal(ctx, st, SealOptions{})
		var me *MissingUnitsError
		if !errors.As(err, &me) || len(me.Units) != 1 || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--parts 2 --part ") {
			t.Fatalf("%s: Seal = %v, want a refusal naming the unit and its part", tc.name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, schema.CardFile)); err == nil {
			t.Fatalf("%s: sealed anyway", tc.name)
		}
		part := me.Units[0].Index % 2
		if err := writeUnits(t, st, samples, units, part, 2, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := Seal(ctx, st, SealOptions{}); err != nil {
			t.Fatalf("%s: Seal after re-running part %d = %v", tc.name, part, err)
		}
		if got, want := snapshot(t, dir), snapshot(t, one); !mapsEqual(got, want) {
			t.Errorf("%s: files %q, Out wrote %q", tc.name, sortedKeys(got), sortedKeys(want))
		}
	}

	// Another run's image under a name no manifest lists.
	dir := t.TempDir()
	st := DirStore(nil, dir)
	if err := writeUnits(t, st, samples, units, 0, 1, nil); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(filepath.Dir(staged(dir)), "other-run.png")
	if err := os.WriteFile(extra, []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Seal(ctx, st, SealOptions{})
	if err == nil || !strings.Contains(err.Error(), filepath.Dir(extra)+" holds ") || !strings.Contains(err.Error(), "not in any part") {
		t.Fatalf("Seal with another run's image = %v, want a refusal naming %s", err, filepath.Dir(extra))
	}
	if err := os.Remove(extra); err != nil {
		t.Fatalf("seal moved the stage although it refused: %v", err)
	}
	if _, err := Seal(ctx, st, SealOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(t, dir), snapshot(t, one); !mapsEqual(got, want) {
		t.Errorf("files %q, Out wrote %q", sortedKeys(got), sortedKeys(want))
	}
}

// QA 3: seal deleted a file under .augsplit-parts/units/ that augsplit did
// not write (a name like a unit's, of no unit of the plan). It deletes
// only the plan's units' objects and files it reads as its own, and says
// what it left.
func TestSealLeavesForeignUnitFiles(t *testing.T) {
	ctx := context.Background()
	samples := splitMajor(makeSamples(30))
	units := Units(splitCounts(samples), 0, 8)
	dir := t.TempDir()
	st := DirStore(nil, dir)
	if err := writeUnits(t, st, samples, units, 0, 1, nil); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, filepath.FromSlash(schema.PartsUnitsDir), "train-00099.json")
	if err := os.WriteFile(notes, []byte("my notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A unit of an earlier plan (more shards) that augsplit did write.
	old := units[0]
	old.Shard, old.Shards = 98, 99
	oldSum, _ := json.Marshal(&UnitSummary{Fingerprint: "fp0", Unit: old, ManifestSHA256: "ab"})
	for key, data := range map[string][]byte{old.SummaryKey(): oldSum, old.ManifestKey(): []byte("{}\n")} {
		if err := putObject(ctx, st, key, data); err != nil {
			t.Fatal(err)
		}
	}
	var log strings.Builder
	if _, err := Seal(ctx, st, SealOptions{Log: &log}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(notes); err != nil || string(got) != "my notes\n" {
		t.Fatalf("seal removed or changed %s (%q, %v)", notes, got, err)
	}
	if !strings.Contains(log.String(), "warning: left 1 files") || !strings.Contains(log.String(), "train-00099.json") {
		t.Errorf("seal's log %q does not say it left train-00099.json", log.String())
	}
	for _, key := range []string{old.SummaryKey(), old.ManifestKey(), schema.PartsPlanFile} {
		if _, err := st.Stat(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left after seal (stat: %v)", key, err)
		}
	}
}

// QA: the plan record listed every unit (15 MB at 10^8 samples). It stores
// each split's sample and shard counts, and gives the same units back.
func TestPlanRecordSizeDoesNotGrowWithSamples(t *testing.T) {
	size := func(perSplit int) int {
		units := Units(map[string]int{schema.Train: perSplit, schema.Val: perSplit / 4}, 0, 1000)
		rec := PlanRecord{Fingerprint: "fp", Classes: testClasses, Formats: allFormats, Card: testCard(testClasses), Units: units}
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var back PlanRecord
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.Units, units) {
			t.Fatalf("%d samples: units do not round-trip", perSplit)
		}
		return len(data)
	}
	small, large := size(10_000), size(100_000_000)
	if large > small+64 {
		t.Errorf("plan record: %d bytes for 10^4 samples a split, %d for 10^8: it grows with samples", small, large)
	}
	odd := PlanRecord{Fingerprint: "fp", Card: testCard(testClasses), Units: []Unit{{Split: schema.Train, Shards: 2, End: 3}, {Index: 1, Split: schema.Train, Shard: 1, Shards: 2, Start: 3, End: 10}}}
	if _, err := json.Marshal(odd); err == nil {
		t.Error("units off the balanced shard rule were stored; the counts cannot restore them")
	}
}
