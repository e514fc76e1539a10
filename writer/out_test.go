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
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

var testClasses = []string{"amoeba", "bacillus", "coccus"}

// makeSamples returns n samples in a planned order: classes and splits
// interleaved, as a shuffled plan puts them. Each class is split on its
// own, its last tenth (at least one) to test and the fifth before that (at
// least one) to val, so with n >= 9 every class is in every split and the
// writer can seal; a class of fewer than 3 samples stays in train. Data is
// arbitrary bytes of varying length: the writer never decodes it.
func makeSamples(n int) []Sample {
	out := make([]Sample, n)
	for i := range out {
		ci := (i * 7) % len(testClasses) // = i % 3
		m, r := (n-ci+2)/3, i/3          // the class's size, i's rank in it
		split := schema.Train
		if m >= 3 {
			nTest := max(1, (m+5)/10)
			nVal := max(1, (2*m+5)/10)
			switch {
			case r >= m-nTest:
				split = schema.Test
			case r >= m-nTest-nVal:
				split = schema.Val
			}
		}
		data := bytes.Repeat([]byte{byte(i), byte(ci), 0x89}, 40+(i*37)%300)
		out[i] = Sample{
			Record: schema.Record{
				ID:           fmt.Sprintf("src%d_v%03d", i%4, i),
				Split:        split,
				Class:        testClasses[ci],
				ClassIndex:   ci,
				Source:       fmt.Sprintf("%s/src%d.png", testClasses[ci], i%4),
				SourceSHA256: strings.Repeat("ab", 32),
				Variant:      i,
				Params:       json.RawMessage(fmt.Sprintf(`[{"name":"rotate","params":{"angle":%d.5}}]`, i)),
				Width:        16 + i%5,
				Height:       12,
				Channels:     1,
				BitDepth:     8 + 8*(i%2),
			},
			Data: data,
		}
	}
	out[0].Params = nil // an original: Params becomes "[]"
	return out
}

func splitCounts(samples []Sample) map[string]int {
	m := map[string]int{}
	for _, s := range samples {
		m[s.Split]++
	}
	return m
}

// testCard is what a caller gives Commit: provenance and a split level for
// every class. Classes, splits, counts and totals are the writer's to fill.
func testCard(classes []string) *schema.Card {
	levels := map[string]string{}
	for _, c := range classes {
		levels[c] = schema.LevelVariant
	}
	return &schema.Card{
		Tool:       "augsplit",
		Version:    "test",
		Command:    "generate",
		Seed:       1,
		Config:     json.RawMessage(`{}`),
		SplitLevel: levels,
	}
}

// noSyncFS is the OS without fsync. Each fsync waits for the disk, tens
// of milliseconds on a busy shared one, and the writer's tests would make
// over a thousand of them (a marker, classes.txt, manifest, card and every
// shard per run), while what they assert (bytes, names, atomic renames,
// leftovers) does not depend on it. Tests that pass OS or no FS to Open
// directly keep the real path covered.
type noSyncFS struct{ FS }

func (n noSyncFS) CreateTemp(dir, pattern string) (File, error) {
	f, err := n.FS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}

type noSyncFile struct{ File }

func (noSyncFile) Sync() error { return nil }

// write runs Open, Put for every sample (copies, so the caller's samples
// are not filled in) and Commit. opts.Classes defaults to testClasses and
// opts.FS to noSyncFS; pass OS for the real thing.
func write(t testing.TB, dir string, opts Options, samples []Sample) *schema.Card {
	t.Helper()
	if opts.Fingerprint == "" {
		opts.Fingerprint = "fp1"
	}
	if opts.FS == nil {
		opts.FS = noSyncFS{OS}
	}
	if opts.Classes == nil {
		opts.Classes = testClasses
	}
	o, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for i := range samples {
		s := samples[i]
		if err := o.Put(context.Background(), &s); err != nil {
			o.Abort()
			t.Fatalf("Put %s: %v", s.ID, err)
		}
	}
	card := testCard(opts.Classes)
	if err := o.Commit(card); err != nil {
		o.Abort()
		t.Fatalf("Commit: %v", err)
	}
	return card
}

// snapshot maps every file below dir (slash path) to its contents.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for k, v := range filetest.Read(t, dir) {
		m[k] = string(v)
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// tempFiles lists leftovers of the writer's temporary files below dir.
func tempFiles(t testing.TB, dir string) []string {
	var tmp []string
	for _, k := range sortedKeys(snapshot(t, dir)) {
		if IsTemp(filepath.Base(k)) {
			tmp = append(tmp, k)
		}
	}
	return tmp
}

func readManifest(t testing.TB, dir string) []schema.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, schema.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var recs []schema.Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var r schema.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("manifest line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestFolderOutput(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out") // Open creates it
	samples := makeSamples(20)
	card := write(t, dir, Options{FS: OS}, samples) // the real file system, fsync included
	files := snapshot(t, dir)

	recs := readManifest(t, dir)
	if len(recs) != len(samples) {
		t.Fatalf("manifest has %d lines, want %d", len(recs), len(samples))
	}
	for i, r := range recs {
		s := samples[i]
		if r.ID != s.ID {
			t.Errorf("manifest line %d id = %s, want %s (Put order)", i, r.ID, s.ID)
		}
		wantPath := s.Split + "/" + s.Class + "/" + s.ID + ".png"
		if r.Path != wantPath {
			t.Errorf("%s: path = %q, want %q", s.ID, r.Path, wantPath)
		}
		if got := files[wantPath]; got != string(s.Data) {
			t.Errorf("%s: file holds %d bytes, want the sample's %d", wantPath, len(got), len(s.Data))
		}
		sum := sha256.Sum256(s.Data)
		if r.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 = %s, want %x", s.ID, r.SHA256, sum)
		}
	}
	if got := string(recs[0].Params); got != "[]" {
		t.Errorf("original's params = %s, want []", got)
	}
	if got, want := files[schema.ClassesFile], "amoeba\nbacillus\ncoccus\n"; got != want {
		t.Errorf("classes.txt = %q, want %q", got, want)
	}
	manSum := sha256.Sum256([]byte(files[schema.ManifestFile]))
	if card.ManifestSHA256 != hex.EncodeToString(manSum[:]) {
		t.Errorf("card manifest_sha256 = %s, want %x", card.ManifestSHA256, manSum)
	}
	if !slices.Equal(card.Formats, []string{schema.FormatFolder}) {
		t.Errorf("card formats = %v, want [folder]", card.Formats)
	}
	if card.Fingerprint != "fp1" {
		t.Errorf("card fingerprint = %q, want fp1", card.Fingerprint)
	}
	var onDisk schema.Card
	if err := json.Unmarshal([]byte(files[schema.CardFile]), &onDisk); err != nil {
		t.Fatalf("dataset.json: %v", err)
	}
	if onDisk.ManifestSHA256 != card.ManifestSHA256 || !strings.HasSuffix(files[schema.CardFile], "}\n") {
		t.Errorf("dataset.json does not hold the committed card with a trailing newline")
	}
	if _, ok := files[schema.MarkerFile]; ok {
		t.Errorf("marker %s left after Commit", schema.MarkerFile)
	}
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	fi, err := os.Stat(filepath.Join(dir, recs[1].Path))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o644 {
		t.Errorf("sample file mode = %v, want 0644", got)
	}
}

func TestNoFolderFormatLeavesPathEmpty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, Options{Formats: []string{schema.FormatTFRecord}}, makeSamples(5))
	for _, r := range readManifest(t, dir) {
		if r.Path != "" {
			t.Errorf("%s: path = %q, want empty without the folder format", r.ID, r.Path)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, schema.Train)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("train/ exists without the folder format (stat err %v)", err)
	}
}

func TestDeterministicBytes(t *testing.T) {
	t.Parallel()
	samples := makeSamples(40)
	opts := Options{
		Formats:     []string{schema.FormatTFRecord, schema.FormatWebDataset, schema.FormatFolder, schema.FormatTFRecord},
		ShardSize:   7,
		SplitCounts: splitCounts(samples),
	}
	a, b := t.TempDir(), t.TempDir()
	write(t, a, opts, samples)
	write(t, b, opts, samples)
	sa, sb := snapshot(t, a), snapshot(t, b)
	if !slices.Equal(sortedKeys(sa), sortedKeys(sb)) {
		t.Fatalf("file lists differ:\n%v\n%v", sortedKeys(sa), sortedKeys(sb))
	}
	for k, v := range sa {
		if sb[k] != v {
			t.Errorf("%s differs between two identical runs", k)
		}
	}
	var card schema.Card
	if err := json.Unmarshal([]byte(sa[schema.CardFile]), &card); err != nil {
		t.Fatal(err)
	}
	if want := []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}; !slices.Equal(card.Formats, want) {
		t.Errorf("card formats = %v, want %v (canonical order, no duplicates)", card.Formats, want)
	}
}

func TestShardRolling(t *testing.T) {
	t.Parallel()
	samples := makeSamples(30) // 21 train, 6 val, 3 test
	counts := splitCounts(samples)
	tests := []struct {
		name       string
		opts       Options
		wantTrain  []string // train shard paths per format, in order
		wantCounts []int    // samples per train shard (same for both formats here)
	}{
		{
			name:       "by samples, planned names",
			opts:       Options{ShardSize: 8, SplitCounts: counts},
			wantTrain:  []string{"tfrecord/train-00000-of-00003.tfrecord", "tfrecord/train-00001-of-00003.tfrecord", "tfrecord/train-00002-of-00003.tfrecord", "webdataset/train-00000.tar", "webdataset/train-00001.tar", "webdataset/train-00002.tar"},
			wantCounts: []int{7, 7, 7}, // at most 8 each, balanced
		},
		{
			name:       "a number of shards",
			opts:       Options{Shards: 4, SplitCounts: counts},
			wantTrain:  []string{"tfrecord/train-00000-of-00004.tfrecord", "tfrecord/train-00001-of-00004.tfrecord", "tfrecord/train-00002-of-00004.tfrecord", "tfrecord/train-00003-of-00004.tfrecord", "webdataset/train-00000.tar", "webdataset/train-00001.tar", "webdataset/train-00002.tar", "webdataset/train-00003.tar"},
			wantCounts: []int{6, 5, 5, 5},
		},
		{
			name:       "by samples, names decided at commit",
			opts:       Options{ShardSize: 10},
			wantTrain:  []string{"tfrecord/train-00000-of-00003.tfrecord", "tfrecord/train-00001-of-00003.tfrecord", "tfrecord/train-00002-of-00003.tfrecord", "webdataset/train-00000.tar", "webdataset/train-00001.tar", "webdataset/train-00002.tar"},
			wantCounts: []int{10, 10, 1},
		},
		{
			name:       "default: one shard below 2*MinShardSamples",
			opts:       Options{SplitCounts: counts},
			wantTrain:  []string{"tfrecord/train-00000-of-00001.tfrecord", "webdataset/train-00000.tar"},
			wantCounts: []int{21},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tt.opts.Formats = []string{schema.FormatWebDataset, schema.FormatTFRecord}
			card := write(t, dir, tt.opts, samples)
			var gotPaths []string
			perFormat := map[string][]int{}
			for _, sh := range card.Shards {
				if sh.Split != schema.Train {
					continue
				}
				gotPaths = append(gotPaths, sh.Path)
				perFormat[sh.Format] = append(perFormat[sh.Format], sh.Samples)
			}
			if !slices.Equal(gotPaths, tt.wantTrain) {
				t.Errorf("train shards = %v, want %v", gotPaths, tt.wantTrain)
			}
			for f, got := range perFormat {
				if !slices.Equal(got, tt.wantCounts) {
					t.Errorf("%s samples per train shard = %v, want %v", f, got, tt.wantCounts)
				}
			}
			checkShardsOnDisk(t, dir, card)
		})
	}
}

// checkShardsOnDisk compares the card's shard list with the files.
func checkShardsOnDisk(t *testing.T, dir string, card *schema.Card) {
	t.Helper()
	files := snapshot(t, dir)
	listed := map[string]bool{}
	for _, sh := range card.Shards {
		listed[sh.Path] = true
		data, ok := files[sh.Path]
		if !ok {
			t.Errorf("card lists %s, not on disk", sh.Path)
			continue
		}
		sum := sha256.Sum256([]byte(data))
		if int64(len(data)) != sh.Bytes || hex.EncodeToString(sum[:]) != sh.SHA256 {
			t.Errorf("%s: card says %d bytes sha256 %s, file has %d bytes sha256 %x", sh.Path, sh.Bytes, sh.SHA256, len(data), sum)
		}
	}
	for k := range files {
		if (strings.HasPrefix(k, "tfrecord/") || strings.HasPrefix(k, "webdataset/")) && !listed[k] && path.Base(k) != schema.IndexFile {
			t.Errorf("%s on disk but not in the card", k)
		}
	}
	// Each shard format's index lists the card's shards of that format,
	// split by split, with their counts.
	for _, format := range []string{schema.FormatWebDataset, schema.FormatTFRecord} {
		name := format + "/" + schema.IndexFile
		data, ok := files[name]
		if !slices.Contains(card.Formats, format) {
			if ok {
				t.Errorf("%s written for a format not in the card", name)
			}
			continue
		}
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		x, err := schema.ReadIndex(strings.NewReader(data), name)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, split := range schema.Splits() {
			var want []schema.IndexEntry
			for _, sh := range card.Shards {
				if sh.Format == format && sh.Split == split {
					want = append(want, schema.IndexEntry{URL: path.Base(sh.Path), NSamples: sh.Samples, FileSize: sh.Bytes, SHA256: sh.SHA256})
				}
			}
			if got := x.Split(split); !slices.Equal(got, want) {
				t.Errorf("%s %s = %+v, want %+v", name, split, got, want)
			}
		}
	}
}

// TestPlanShards: writer's PlanShards is schema's (whose test has the
// cases), so the writer and the planner cut shards alike.
func TestPlanShards(t *testing.T) {
	t.Parallel()
	for _, c := range [][3]int{{0, 0, 0}, {600, 0, 0}, {8002, 0, 0}, {2100, 0, 1000}, {10, 4, 0}} {
		if got, want := PlanShards(c[0], c[1], c[2]), schema.PlanShards(c[0], c[1], c[2]); !slices.Equal(got, want) {
			t.Errorf("PlanShards%v = %v, schema's %v", c, got, want)
		}
	}
}

func TestShardRollingByBytes(t *testing.T) {
	t.Parallel()
	samples := makeSamples(30)
	for _, limit := range []int64{3000, 8000, 20000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			card := write(t, dir, Options{
				Formats:     []string{schema.FormatWebDataset, schema.FormatTFRecord},
				ShardSize:   1000,
				ShardBytes:  limit,
				SplitCounts: splitCounts(samples), // ignored for names: bytes decide
			}, samples)
			checkShardsOnDisk(t, dir, card)
			total := map[string]int{}
			shards := map[string]int{}
			for _, sh := range card.Shards {
				if sh.Bytes > limit && sh.Samples > 1 {
					t.Errorf("%s: %d bytes holds %d samples, over the %d byte limit", sh.Path, sh.Bytes, sh.Samples, limit)
				}
				total[sh.Format+"/"+sh.Split] += sh.Samples
				shards[sh.Format+"/"+sh.Split]++
			}
			for split, n := range splitCounts(samples) {
				for _, f := range []string{schema.FormatWebDataset, schema.FormatTFRecord} {
					if got := total[f+"/"+split]; got != n {
						t.Errorf("%s %s shards hold %d samples, want %d", f, split, got, n)
					}
				}
				if n := shards[schema.FormatTFRecord+"/"+split]; n > 0 {
					want := fmt.Sprintf("tfrecord/%s-00000-of-%05d.tfrecord", split, n)
					if _, ok := snapshot(t, dir)[want]; !ok {
						t.Errorf("missing %s", want)
					}
				}
			}
			if limit == 3000 && shards[schema.FormatTFRecord+"/"+schema.Train] < 3 {
				t.Errorf("a 3000 byte limit gave only %d train shards", shards[schema.FormatTFRecord+"/"+schema.Train])
			}
		})
	}
}

func TestSplitCountsMismatch(t *testing.T) {
	t.Parallel()
	samples := makeSamples(30) // 21 train
	tests := []struct {
		name    string
		planned int
		wantErr string
	}{
		{"more samples than planned", 5, "more samples than the 5 planned"},
		{"fewer samples than planned", 30, "were planned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			counts := splitCounts(samples)
			counts[schema.Train] = tt.planned
			o, err := Open(context.Background(), t.TempDir(), Options{Classes: testClasses, Fingerprint: "fp", Formats: []string{schema.FormatTFRecord}, ShardSize: 5, SplitCounts: counts})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Abort()
			for i := range samples {
				s := samples[i] // Put fills in its sample; the subtests share samples
				if err = o.Put(context.Background(), &s); err != nil {
					break
				}
			}
			if err == nil {
				err = o.Commit(testCard(testClasses))
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPutRejectsBadSamples(t *testing.T) {
	t.Parallel()
	good := makeSamples(1)[0]
	tests := []struct {
		name    string
		mod     func(*Sample)
		wantErr string
	}{
		{"dot in id", func(s *Sample) { s.ID = "a.b" }, "invalid sample id"},
		{"slash in id", func(s *Sample) { s.ID = "../x" }, "invalid sample id"},
		{"empty id", func(s *Sample) { s.ID = "" }, "invalid sample id"},
		{"long id", func(s *Sample) { s.ID = strings.Repeat("a", schema.MaxIDLen+1) }, "invalid sample id"},
		{"long unicode id", func(s *Sample) { s.ID = strings.Repeat("細", schema.MaxIDLen/3+1) }, "invalid sample id"},
		{"space in id", func(s *Sample) { s.ID = "細胞 1" }, "invalid sample id"},
		{"control char in id", func(s *Sample) { s.ID = "a\nb" }, "invalid sample id"},
		{"invalid utf-8 id", func(s *Sample) { s.ID = "a\xffb" }, "invalid sample id"},
		{"fullwidth dot in id", func(s *Sample) { s.ID = "a\uff0eb" }, "invalid sample id"},
		{"class escapes", func(s *Sample) { s.Class = ".." }, "not in the class list"},
		{"class with separator", func(s *Sample) { s.Class = "a/b" }, "not in the class list"},
		{"unknown split", func(s *Sample) { s.Split = "holdout" }, "unknown split"},
		{"bad extension", func(s *Sample) { s.Ext = ".P/G" }, "bad file extension"},
		{"sha256 not hex", func(s *Sample) { s.SHA256 = strings.Repeat("z", 64) }, "malformed sha256"},
		{"sha256 too short", func(s *Sample) { s.SHA256 = "abcd" }, "malformed sha256"},
		{"sha256 too long", func(s *Sample) { s.SHA256 = strings.Repeat("ab", 33) }, "malformed sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			o, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp", Formats: []string{schema.FormatFolder, schema.FormatWebDataset}})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Abort()
			s := good
			tt.mod(&s)
			err = o.Put(context.Background(), &s)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Put error = %v, want one containing %q", err, tt.wantErr)
			}
			if err2 := o.Put(context.Background(), &good); err2 == nil {
				t.Errorf("Put after a failed Put succeeded; want the first error again")
			}
		})
	}
}

func TestPutHonoursContext(t *testing.T) {
	t.Parallel()
	o, err := Open(context.Background(), t.TempDir(), Options{Classes: testClasses, Fingerprint: "fp"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Abort()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := makeSamples(1)[0]
	if err := o.Put(ctx, &s); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context = %v, want context.Canceled", err)
	}
}

// fileNamed reports whether err names a path at or below dir.
func namesPathIn(err error, dir string) bool {
	return err != nil && strings.Contains(err.Error(), dir)
}

func TestReadOnlyRealFolder(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop root; TestReadOnly covers this through FaultFS")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	_, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp"})
	if !errors.Is(err, fs.ErrPermission) || !namesPathIn(err, dir) {
		t.Errorf("Open on a read-only folder = %v, want a permission error naming %s", err, dir)
	}
}

func TestOpenStates(t *testing.T) {
	t.Parallel()
	samples := makeSamples(12)
	finished := func(t *testing.T) string {
		dir := t.TempDir()
		write(t, dir, Options{Classes: testClasses, Fingerprint: "fp1"}, samples)
		return dir
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T) string
		opts    Options
		wantErr error  // sentinel, or nil
		notEmpt string // a *NotEmptyError whose message contains this
	}{
		{
			name:  "missing folder is created",
			setup: func(t *testing.T) string { return filepath.Join(t.TempDir(), "a", "b") },
			opts:  Options{Classes: testClasses, Fingerprint: "fp1"},
		},
		{
			name:    "finished, same fingerprint",
			setup:   finished,
			opts:    Options{Classes: testClasses, Fingerprint: "fp1"},
			wantErr: ErrUpToDate,
		},
		{
			name:    "finished, other fingerprint",
			setup:   finished,
			opts:    Options{Classes: testClasses, Fingerprint: "fp2"},
			notEmpt: "finished dataset",
		},
		{
			name: "foreign files",
			setup: func(t *testing.T) string {
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "holiday.jpg"), []byte("x"), 0o644)
				return dir
			},
			opts:    Options{Classes: testClasses, Fingerprint: "fp1"},
			notEmpt: "holiday.jpg",
		},
		{
			name: "unfinished, other fingerprint",
			setup: func(t *testing.T) string {
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, schema.MarkerFile), []byte("fp0\n"), 0o644)
				return dir
			},
			opts:    Options{Classes: testClasses, Fingerprint: "fp1"},
			notEmpt: "unfinished run",
		},
		{
			name:  "finished, other fingerprint, force",
			setup: finished,
			opts:  Options{Classes: testClasses, Fingerprint: "fp2", Force: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.setup(t)
			before := snapshot(t, filepath.Dir(dir))
			o, err := Open(context.Background(), dir, tt.opts)
			if o != nil {
				defer o.Abort()
			}
			var ne *NotEmptyError
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Open = %v, want %v", err, tt.wantErr)
				}
			case tt.notEmpt != "":
				if !errors.As(err, &ne) {
					t.Fatalf("Open = %v, want *NotEmptyError", err)
				}
				if ne.Dir != dir || !strings.Contains(err.Error(), tt.notEmpt) || !strings.Contains(err.Error(), "--force") {
					t.Errorf("error %q: want it to name %s, say %q and suggest --force", err, dir, tt.notEmpt)
				}
			default:
				if err != nil {
					t.Fatalf("Open = %v, want success", err)
				}
				marker, err := os.ReadFile(filepath.Join(dir, schema.MarkerFile))
				if err != nil || string(marker) != tt.opts.Fingerprint+"\n" {
					t.Errorf("marker = %q (%v), want the fingerprint written first", marker, err)
				}
			}
			if err != nil {
				if after := snapshot(t, filepath.Dir(dir)); !mapsEqual(before, after) {
					t.Errorf("a refused Open changed the folder")
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestForceKeepsForeignFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, Options{Classes: testClasses, Fingerprint: "fp1", Formats: []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}}, makeSamples(12))
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, tempPrefix+"x"), []byte("stale"), 0o644)
	other := makeSamples(3)
	for i := range other {
		other[i].ID = fmt.Sprintf("new%d", i)
		other[i].Split = schema.Train
	}
	write(t, dir, Options{Classes: testClasses, Fingerprint: "fp2", Force: true}, other)
	var got []string
	for _, k := range sortedKeys(snapshot(t, dir)) {
		if !strings.HasPrefix(k, "train/") {
			got = append(got, k)
		}
	}
	want := []string{schema.ClassesFile, schema.CardFile, schema.ManifestFile, "notes.txt"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after --force the folder holds %v, want %v (old output gone, notes.txt kept)", got, want)
	}
	if n := len(readManifest(t, dir)); n != 3 {
		t.Errorf("manifest has %d lines, want 3", n)
	}
}

func TestStaleMarkerWithCard(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, Options{Classes: testClasses, Fingerprint: "fp1"}, makeSamples(5))
	// Killed between writing the card and removing the marker.
	os.WriteFile(filepath.Join(dir, schema.MarkerFile), []byte("fp1\n"), 0o644)
	if _, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1"}); !errors.Is(err, ErrUpToDate) {
		t.Fatalf("Open = %v, want ErrUpToDate", err)
	}
	if _, err := os.Stat(filepath.Join(dir, schema.MarkerFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale marker kept (stat err %v)", err)
	}
}

func TestResumeConverges(t *testing.T) {
	t.Parallel()
	samples := makeSamples(40)
	opts := Options{
		Classes:     testClasses,
		Fingerprint: "fp1",
		Formats:     []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord},
		ShardSize:   6,
		SplitCounts: splitCounts(samples),
	}
	clean := t.TempDir()
	write(t, clean, opts, samples)
	want := snapshot(t, clean)

	for _, kill := range []int{0, 1, 13, 39} {
		for _, how := range []string{"killed", "aborted"} {
			t.Run(fmt.Sprintf("%s after %d", how, kill), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				o, err := Open(context.Background(), dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				for i := range samples[:kill] {
					s := samples[i]
					if err := o.Put(context.Background(), &s); err != nil {
						t.Fatal(err)
					}
				}
				if how == "aborted" {
					o.Abort()
				} else {
					simulateKill(o) // open shards, the temp manifest and the lock file stay behind
				}
				// A leftover temp file deep in the tree, and a damaged sample.
				// Nothing is visible where loaders look until Commit.
				for _, sp := range schema.Splits() {
					if _, err := os.Stat(filepath.Join(dir, sp)); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("%s/ exists after the run was %s (stat: %v); samples must stay staged", sp, how, err)
					}
				}
				if kill > 0 {
					first := samples[0]
					stage := filepath.Join(dir, schema.StageDir)
					if _, err := os.Stat(filepath.Join(stage, first.Split, first.Class, first.ID+".png")); err != nil {
						t.Errorf("finished sample file gone after %s: %v", how, err)
					}
					os.WriteFile(filepath.Join(dir, schema.FormatWebDataset, "train-000099.tar"), []byte("stale"), 0o644)
					os.WriteFile(filepath.Join(stage, schema.Train, tempPrefix+"junk"), []byte("x"), 0o644)
					if r := samples[0]; r.Split == schema.Train {
						os.WriteFile(filepath.Join(stage, schema.Train, r.Class, r.ID+".png"), []byte("damaged"), 0o644)
						// A class folder already moved by a run killed
						// during Commit: replaced, not merged.
						os.MkdirAll(filepath.Join(dir, schema.Train, r.Class), 0o755)
						os.WriteFile(filepath.Join(dir, schema.Train, r.Class, "stale.png"), []byte("stale"), 0o644)
					}
				}
				if _, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp2"}); err == nil {
					t.Errorf("a partial run of another fingerprint was accepted")
				}
				write(t, dir, opts, samples)
				got := snapshot(t, dir)
				if !slices.Equal(sortedKeys(got), sortedKeys(want)) {
					t.Fatalf("files after resume:\n%v\nwant\n%v", sortedKeys(got), sortedKeys(want))
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s differs from an uninterrupted run", k)
					}
				}
			})
		}
	}
}

func TestCommitChecks(t *testing.T) {
	t.Parallel()
	o, err := Open(context.Background(), t.TempDir(), Options{Classes: testClasses, Fingerprint: "fp1"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Abort()
	card := testCard(testClasses)
	card.Fingerprint = "other"
	if err := o.Commit(card); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("Commit with another fingerprint = %v, want an error about it", err)
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"no fingerprint", Options{}, "fingerprint"},
		{"unknown format", Options{Classes: testClasses, Fingerprint: "f", Formats: []string{"parquet"}}, `unknown output format "parquet"`},
		{"negative shard size", Options{Classes: testClasses, Fingerprint: "f", ShardSize: -1}, "must not be negative"},
		{"bad split name", Options{Classes: testClasses, Fingerprint: "f", Splits: []string{"../x"}}, `unknown split "../x"`},
		{"split not of the schema", Options{Classes: testClasses, Fingerprint: "f", Splits: []string{"holdout"}}, `unknown split "holdout"`},
		{"no classes", Options{Fingerprint: "f"}, "class list"},
		{"unsorted classes", Options{Classes: []string{"b", "a"}, Fingerprint: "f"}, `"a" comes after "b"`},
		{"repeated class", Options{Classes: []string{"a", "a"}, Fingerprint: "f"}, "not sorted and unique"},
		{"class not a safe name", Options{Classes: []string{"a b"}, Fingerprint: "f"}, `class "a b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			_, err := Open(context.Background(), dir, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open = %v, want an error containing %q", err, tt.wantErr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("invalid options wrote %d entries", len(entries))
			}
		})
	}
}

// countingFS counts the temporary files created for sample images.
type countingFS struct {
	FS
	pngs int
}

func (c *countingFS) CreateTemp(dir, pattern string) (File, error) {
	if strings.Contains(pattern, ".png") {
		c.pngs++
	}
	return c.FS.CreateTemp(dir, pattern)
}

func TestResumeReusesIdenticalFiles(t *testing.T) {
	t.Parallel()
	samples := makeSamples(20)
	dir := t.TempDir()
	o, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range samples {
		s := samples[i]
		if err := o.Put(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
	}
	o.Abort()
	damaged := samples[3]
	os.WriteFile(filepath.Join(dir, schema.StageDir, damaged.Split, damaged.Class, damaged.ID+".png"), damaged.Data[1:], 0o644)

	cfs := &countingFS{FS: OS}
	write(t, dir, Options{Classes: testClasses, Fingerprint: "fp1", FS: cfs}, samples)
	if cfs.pngs != 1 {
		t.Errorf("resume wrote %d sample files, want 1 (only the damaged one)", cfs.pngs)
	}
	got, _ := os.ReadFile(filepath.Join(dir, damaged.Split, damaged.Class, damaged.ID+".png"))
	if !bytes.Equal(got, damaged.Data) {
		t.Errorf("damaged sample not rewritten")
	}
}
