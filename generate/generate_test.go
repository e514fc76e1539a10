package generate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/conf"
	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/split"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

const cells = "../testdata/cells"

// small is a fast version of the user's scenario: every source, few
// variants, small images.
func small(t *testing.T, in string, workers int) Config {
	t.Helper()
	cfg := Defaults()
	cfg.In = in
	cfg.Out = filepath.Join(t.TempDir(), "out")
	cfg.PerSource = 10
	cfg.Size = Size{W: 32, H: 32}
	cfg.Workers = workers
	cfg.PNGCompression = "speed"
	return cfg
}

func readManifest(t *testing.T, dir string) []schema.Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, schema.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []schema.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r schema.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("manifest line %d: %v", len(recs)+1, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestByteIdenticalForAnyWorkers(t *testing.T) {
	var want map[string][]byte
	for _, w := range []int{1, 2, 8} {
		cfg := small(t, cells, w)
		cfg.Formats = []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}
		cfg.ShardSize = 17 // several shards per split
		if _, err := Run(context.Background(), cfg, Options{}); err != nil {
			t.Fatalf("workers %d: %v", w, err)
		}
		got := filetest.Read(t, cfg.Out)
		if want == nil {
			want = got
			if len(want) < 100 {
				t.Fatalf("only %d files written", len(want))
			}
			// Issue 12: the hub metadata is part of the output compared.
			for _, name := range []string{schema.CroissantFile, schema.ReadmeFile} {
				if len(want[name]) == 0 {
					t.Errorf("%s not written", name)
				}
			}
			continue
		}
		if len(got) != len(want) {
			t.Fatalf("workers %d wrote %d files, workers 1 wrote %d", w, len(got), len(want))
		}
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("workers %d: %s differs from workers 1", w, name)
			}
		}
	}
}

func TestTenImageScenario(t *testing.T) {
	cfg := small(t, cells, 2)
	cfg.PerSource = 20
	var log bytes.Buffer
	card, err := Run(context.Background(), cfg, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Classes) != 10 {
		t.Fatalf("classes = %d, want 10", len(card.Classes))
	}
	for _, c := range card.Classes {
		if got := card.Counts[c]; got[schema.Train] != 16 || got[schema.Val] != 4 {
			t.Errorf("class %s counts = %v, want train 16 val 4", c, got)
		}
		if card.SplitLevel[c] != schema.LevelVariant {
			t.Errorf("class %s split level = %q, want variant (one source)", c, card.SplitLevel[c])
		}
	}
	if !strings.Contains(log.String(), "variant level") || !strings.Contains(log.String(), "share sources") {
		t.Errorf("no single-source warning on the log:\n%s", log.String())
	}
	if len(card.Warnings) == 0 {
		t.Error("card records no warning about shared sources")
	}
	recs := readManifest(t, cfg.Out)
	if len(recs) != 200 {
		t.Fatalf("manifest has %d lines, want 200", len(recs))
	}
	// The manifest order is shuffled: the first 20 lines hold many classes,
	// where a class-ordered list would hold one.
	first := map[string]bool{}
	for _, r := range recs[:20] {
		first[r.Class] = true
	}
	if len(first) < 5 {
		t.Errorf("first 20 manifest lines hold %d classes: not shuffled", len(first))
	}
	// Split-major: every train record, then every val record; within each
	// split the classes are mixed (cells is class-ordered on disk).
	for i := 1; i < len(recs); i++ {
		if recs[i-1].Split == schema.Val && recs[i].Split == schema.Train {
			t.Fatalf("record %d is train after a val record: the order is not split-major", i)
		}
	}
	for _, sp := range []string{schema.Train, schema.Val} {
		var in []schema.Record
		for _, r := range recs {
			if r.Split == sp {
				in = append(in, r)
			}
		}
		head := map[string]bool{}
		for _, r := range in[:len(in)/2] {
			head[r.Class] = true
		}
		run, longest := 0, 0
		for i, r := range in {
			if i > 0 && r.Class == in[i-1].Class {
				run++
			} else {
				run = 1
			}
			longest = max(longest, run)
		}
		// 160 train / 40 val in 10 classes: a shuffle shows 9 or 10 classes in
		// the first half; a class-ordered list would show 5 and run 16 (train)
		// or 4 (val) long.
		if len(head) < 7 || longest > 6 {
			t.Errorf("%s: first half holds %d classes, longest run of one class %d: not mixed", sp, len(head), longest)
		}
	}
	for _, r := range recs {
		if _, err := os.Stat(filepath.Join(cfg.Out, filepath.FromSlash(r.Path))); err != nil {
			t.Errorf("manifest path %s: %v", r.Path, err)
		}
		if r.Variant < 1 || string(r.Params) == "" || r.SHA256 == "" {
			t.Errorf("record %s incomplete: %+v", r.ID, r)
		}
	}
}

// The story: a class-ordered list cut Keras's way misses classes; augsplit's
// split of the same items has every class in val.
func TestClassOrderedLastSliceVersusPlan(t *testing.T) {
	cfg := small(t, cells, 2)
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	recs := readManifest(t, cfg.Out)
	ordered := append([]schema.Record(nil), recs...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].ClassIndex < ordered[j].ClassIndex })
	trainIdx, valIdx := split.LastFraction(len(ordered), 0.2)
	inTrain := map[string]bool{}
	for _, i := range trainIdx {
		inTrain[ordered[i].Class] = true
	}
	unseen := map[string]bool{}
	for _, i := range valIdx {
		if !inTrain[ordered[i].Class] {
			unseen[ordered[i].Class] = true
		}
	}
	if len(unseen) != 2 {
		t.Errorf("last-20%% slice: %d val classes unseen in train, want 2", len(unseen))
	}
	valClasses := map[string]bool{}
	for _, r := range recs {
		if r.Split == schema.Val {
			valClasses[r.Class] = true
		}
	}
	if len(valClasses) != 10 {
		t.Errorf("augsplit val holds %d classes, want 10", len(valClasses))
	}
}

// makeSources writes a class tree of small grey PNGs: n sources per class.
func makeSources(t *testing.T, classes []string, n int) string {
	t.Helper()
	dir := t.TempDir()
	for ci, c := range classes {
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			img := image.NewGray(image.Rect(0, 0, 16, 16))
			for p := range img.Pix {
				img.Pix[p] = uint8(ci*40 + i*7 + p%13)
			}
			img.SetGray(i, ci, color.Gray{Y: 255})
			filetest.WritePNG(t, filepath.Join(dir, c, "src"+string(rune('a'+i))+".png"), img)
		}
	}
	return dir
}

func TestNoSourceStraddlesWhenEnoughSources(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta", "gamma"}, 5)
	cfg := small(t, in, 2)
	cfg.Size = Size{}
	card, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for c, lvl := range card.SplitLevel {
		if lvl != schema.LevelSource {
			t.Errorf("class %s split level %q, want source", c, lvl)
		}
	}
	where := map[string]string{}
	for _, r := range readManifest(t, cfg.Out) {
		if s, ok := where[r.SourceSHA256]; ok && s != r.Split {
			t.Errorf("source %s straddles %s and %s", r.Source, s, r.Split)
		}
		where[r.SourceSHA256] = r.Split
	}
	for _, s := range card.Sources {
		if s.Split == "" {
			t.Errorf("card source %s has no split recorded", s.Path)
		}
	}
}

func TestValOriginals(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 5)
	cfg := small(t, in, 2)
	cfg.Size = Size{}
	cfg.ValOriginals = true
	var log bytes.Buffer
	if _, err := Run(context.Background(), cfg, Options{Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "--val-originals: val and test hold one un-augmented original") {
		t.Errorf("no note that val holds only originals:\n%s", log.String())
	}
	for _, r := range readManifest(t, cfg.Out) {
		if r.Split == schema.Val && (r.Variant != 0 || string(r.Params) != "[]") {
			t.Errorf("val sample %s is variant %d with params %s, want the original", r.ID, r.Variant, r.Params)
		}
		if r.Split == schema.Train && r.Variant == 0 {
			t.Errorf("train sample %s is an original", r.ID)
		}
	}
}

func TestImpossibleSplitIsTypedError(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 1)
	cfg := small(t, in, 1)
	cfg.PerSource = 2
	cfg.Val, cfg.Test = 0.2, 0.2
	_, err := Run(context.Background(), cfg, Options{})
	var ce *split.ClassError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *split.ClassError", err)
	}
	if !strings.Contains(err.Error(), "alpha") {
		t.Errorf("error %q does not name the class", err)
	}
	if _, statErr := os.Stat(filepath.Join(cfg.Out, schema.ManifestFile)); statErr == nil {
		t.Error("a manifest was written for an impossible split")
	}
}

func TestCorruptSourceNamesFileAndWritesNothing(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 2)
	bad := filepath.Join(in, "beta", "broken.png")
	good, _ := os.ReadFile(filepath.Join(in, "beta", "srca.png"))
	if err := os.WriteFile(bad, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := small(t, in, 2)
	_, err := Run(context.Background(), cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "broken.png") {
		t.Fatalf("err = %v, want an error naming broken.png", err)
	}
	if entries, _ := os.ReadDir(cfg.Out); len(entries) != 0 {
		t.Errorf("OUT holds %d entries after a failed scan, want none", len(entries))
	}

	// --skip-bad goes on and lists it in the card.
	cfg.SkipBad = true
	card, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Skipped) != 1 || !strings.Contains(card.Skipped[0].Path, "broken.png") {
		t.Errorf("card.Skipped = %+v, want broken.png", card.Skipped)
	}
}

func TestRerunChangesNothingAndOtherRunRefused(t *testing.T) {
	cfg := small(t, cells, 2)
	cfg.PerSource = 3
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	before := filetest.Read(t, cfg.Out)
	if _, err := Run(context.Background(), cfg, Options{}); !IsUpToDate(err) {
		t.Fatalf("re-run err = %v, want up to date", err)
	}
	after := filetest.Read(t, cfg.Out)
	if len(after) != len(before) {
		t.Fatalf("re-run changed the file count %d -> %d", len(before), len(after))
	}
	other := cfg
	other.Seed = 2
	if _, err := Run(context.Background(), other, Options{}); err == nil || IsUpToDate(err) {
		t.Fatalf("a different run into a finished OUT: err = %v, want a refusal", err)
	}
	other.Force = true
	if _, err := Run(context.Background(), other, Options{}); err != nil {
		t.Fatalf("--force: %v", err)
	}
}

func TestCancelLeavesNoTempFilesAndNoManifest(t *testing.T) {
	cfg := small(t, cells, 2)
	cfg.PerSource = 200
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, cfg, Options{Progress: func(done, total int) {
		if done == 50 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	for name := range filetest.Read(t, cfg.Out) {
		base := filepath.Base(name)
		if name == schema.ManifestFile || name == schema.CardFile {
			t.Errorf("%s written by a cancelled run", name)
		}
		if strings.Contains(base, ".tmp") || strings.HasPrefix(base, ".") && base != ".augsplit-partial" {
			t.Errorf("temporary file left behind: %s", name)
		}
		// Issue 12: an interrupted run is no loadable ImageFolder.
		if sp, _, _ := strings.Cut(name, "/"); schema.IsSplit(sp) {
			t.Errorf("image visible under %s/ before commit: %s", sp, name)
		}
	}
	staged := 0
	for name := range filetest.Read(t, cfg.Out) {
		if strings.HasPrefix(name, schema.StageDir+"/") {
			staged++
		}
	}
	if staged == 0 {
		t.Errorf("cancelled run staged no samples under %s/: the test did not interrupt mid-run", schema.StageDir)
	}

	// Re-running the same command resumes and gives a clean run's bytes.
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	clean := cfg
	clean.Out = t.TempDir()
	if _, err := Run(context.Background(), clean, Options{}); err != nil {
		t.Fatal(err)
	}
	got, want := filetest.Read(t, cfg.Out), filetest.Read(t, clean.Out)
	if len(got) != len(want) {
		t.Errorf("resumed run has %d files, a clean run %d", len(got), len(want))
	}
	for name, data := range want {
		if !bytes.Equal(got[name], data) {
			t.Errorf("%s differs between resumed and clean run", name)
		}
	}
}

func TestConfigFile(t *testing.T) {
	cfg := Defaults()
	err := cfg.ApplyFile("c.yaml", []byte("per_source: 7\nval: 0.25\nsize: 48x32\nformats: [folder, tfrecord]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PerSource != 7 || cfg.Val != 0.25 || cfg.Size != (Size{48, 32}) || len(cfg.Formats) != 2 {
		t.Errorf("config = %+v", cfg)
	}
	y, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back := Defaults()
	back.Pipeline = nil
	if err := back.ApplyFile("printed.yaml", y); err != nil {
		t.Fatalf("printed config does not read back: %v\n%s", err, y)
	}
	if back.PerSource != 7 || back.Size != cfg.Size || back.Pipeline == nil || len(back.Pipeline.Steps) != len(cfg.Pipeline.Steps) {
		t.Errorf("round trip lost settings:\n%s", y)
	}

	for _, tc := range []struct{ name, src, want string }{
		{"unknown key", "per_source: 3\nvall: 0.2\n", "c.yaml:2: vall: unknown key"},
		{"wrong type", "seed: lots\n", "c.yaml:1: seed"},
		{"bad size", "size: 0x9\n", "c.yaml:1: size"},
		{"not yaml", "val: [\n", "not valid YAML"},
		{"duplicate key", "val: 0.1\nseed: 3\nval: 0.3\n", "c.yaml:3: val: given twice (first on line 1)"},
		// One format for every mistake: FILE:LINE: key: problem (valid: ...).
		{"out of range", "val: 1.5\n", "c.yaml:1: val: 1.5 is out of range (valid: 0 to below 1)"},
		{"unknown key lists the valid ones", "vall: 0.2\n", "c.yaml:1: vall: unknown key (valid: per_source, val, test, seed,"},
		{"whole number", "per_source: 2.5\n", `c.yaml:1: per_source: want a whole number, got "2.5"`},
		{"unknown transform", "seed: 1\npipeline:\n  - {name: hflip}\n  - {name: twirl}\n", `c.yaml:4: name: unknown transform "twirl" (valid: affine,`},
		{"unknown transform key", "pipeline:\n  - {name: hflip, sigma: 1}\n", "c.yaml:2: sigma: unknown key for hflip (valid: name, p)"},
		{"unknown format", "formats: [folder, zip]\n", `c.yaml:1: formats: unknown value "zip" (valid: folder, webdataset, tfrecord)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			err := c.ApplyFile("c.yaml", []byte(tc.src))
			var ce *conf.Error
			if !errors.As(err, &ce) || ce.File != "c.yaml" || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v (%T), want a *conf.Error containing %q", err, err, tc.want)
			}
		})
	}
}

// TestNormalizeThenValidate: Validate reports without changing anything;
// Normalize fills in and spells one way.
func TestNormalizeThenValidate(t *testing.T) {
	c := Defaults()
	c.Workers, c.Color, c.Pipeline = 0, "grey", nil
	formats := []string{schema.FormatTFRecord, schema.FormatFolder}
	c.Formats = formats
	before := fmt.Sprintf("%+v", c)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprintf("%+v", c); after != before {
		t.Errorf("Validate changed the config:\n%s\n%s", before, after)
	}
	c.Normalize()
	if c.Workers < 1 || c.Color != "gray" || c.Pipeline == nil || strings.Join(c.Formats, ",") != "folder,tfrecord" {
		t.Errorf("Normalize: %+v", c)
	}
	if strings.Join(formats, ",") != "tfrecord,folder" {
		t.Errorf("Normalize reordered the caller's slice: %q", formats)
	}
	c.Val, c.Test, c.Color = 0.6, 0.5, "sepia"
	err := c.Validate()
	for _, want := range []string{`color: unknown value "sepia" (valid: keep, gray, grey, rgb)`, "val 0.6 + test 0.5 leave nothing to train on"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %q", err, want)
		}
	}
}

func TestSplitCommandCopiesAndGroups(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 6)
	out := filepath.Join(t.TempDir(), "out")
	card, err := Split(context.Background(), SplitConfig{In: in, Out: out, Val: 0.34, Seed: 3, GroupRegex: `^(src[a-c])`}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := readManifest(t, out)
	if len(recs) != 12 || card.Total != 12 {
		t.Fatalf("%d records, card total %d, want 12", len(recs), card.Total)
	}
	for _, r := range recs {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(r.Path)))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join(in, filepath.FromSlash(r.Source)))
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not a copy of %s", r.Path, r.Source)
		}
	}
	for _, c := range card.Classes {
		if card.Counts[c][schema.Val] == 0 || card.Counts[c][schema.Train] == 0 {
			t.Errorf("class %s counts %v: a split is empty", c, card.Counts[c])
		}
	}
}

// TestSplitKeepsJPEGsAndVerifies: `augsplit split` copies a JPEG as .jpg,
// and verify accepts the extension (it used to want .png and reject every
// file of such a dataset).
func TestSplitKeepsJPEGsAndVerifies(t *testing.T) {
	t.Parallel()
	in := t.TempDir()
	for ci, c := range []string{"alpha", "beta"} {
		if err := os.MkdirAll(filepath.Join(in, c), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			img.SetGray(i, ci, color.Gray{Y: 200})
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, nil); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(in, c, fmt.Sprintf("s%d.jpg", i)), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Split(context.Background(), SplitConfig{In: in, Out: out, Val: 0.34, Seed: 1}, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range readManifest(t, out) {
		if filepath.Ext(r.Path) != ".jpg" {
			t.Errorf("%s: want the .jpg extension of the JPEG it copies", r.Path)
		}
	}
	rep, err := dataset.Verify(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("verify of a split JPEG dataset: %q", rep.Problems)
	}
}

func TestSplitLinkSharesInode(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 3)
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Split(context.Background(), SplitConfig{In: in, Out: out, Val: 0.34, Seed: 1, Link: true}, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range readManifest(t, out) {
		a, err := os.Stat(filepath.Join(out, filepath.FromSlash(r.Path)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.Stat(filepath.Join(in, filepath.FromSlash(r.Source)))
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(a, b) {
			t.Errorf("%s is not a hard link of %s", r.Path, r.Source)
		}
	}
}

func TestNonImagesAndSkippedAreReported(t *testing.T) {
	in := makeSources(t, []string{"alpha", "beta"}, 2)
	if err := os.WriteFile(filepath.Join(in, "alpha", "notes.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "beta", "bad.png"), []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := small(t, in, 1)
	cfg.SkipBad = true
	var log bytes.Buffer
	card, err := Run(context.Background(), cfg, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if card.NonImages != 1 || !strings.Contains(log.String(), "ignored 1 files without an image extension") {
		t.Errorf("non-images: card %d, log:\n%s", card.NonImages, log.String())
	}
	if !strings.Contains(log.String(), "skipped beta/bad.png") {
		t.Errorf("skipped file not on the log:\n%s", log.String())
	}
}

// Grey and RGB sources keep their channels by default; 16-bit grey
// becomes 8-bit unless --bit-depth 16; --color converts.
func TestPixelFormatsKeptOrConverted(t *testing.T) {
	dir := t.TempDir()
	write := func(class, name string, img image.Image) {
		filetest.WritePNG(t, filepath.Join(dir, class, name), img)
	}
	g16 := image.NewGray16(image.Rect(0, 0, 12, 12))
	for i := range g16.Pix {
		g16.Pix[i] = uint8(i * 37)
	}
	rgb := image.NewNRGBA(image.Rect(0, 0, 12, 12))
	for i := range rgb.Pix {
		rgb.Pix[i] = uint8(i * 11)
		if i%4 == 3 {
			rgb.Pix[i] = 255
		}
	}
	write("deep", "a.png", g16)
	write("colour", "b.png", rgb)

	for _, tc := range []struct {
		color string
		depth int
		want  map[string][2]int // class -> channels, bit depth
	}{
		{"keep", 8, map[string][2]int{"deep": {1, 8}, "colour": {3, 8}}},
		{"keep", 16, map[string][2]int{"deep": {1, 16}, "colour": {3, 8}}},
		{"gray", 8, map[string][2]int{"deep": {1, 8}, "colour": {1, 8}}},
		{"gray", 16, map[string][2]int{"deep": {1, 16}, "colour": {1, 8}}}, // grey keeps its depth
		{"rgb", 16, map[string][2]int{"deep": {3, 8}, "colour": {3, 8}}},
	} {
		t.Run(fmt.Sprint(tc.color, tc.depth), func(t *testing.T) {
			cfg := small(t, dir, 2)
			cfg.Size = Size{}
			cfg.PerSource = 3
			cfg.Val = 0.34
			cfg.Color = tc.color
			cfg.BitDepth = tc.depth
			if _, err := Run(context.Background(), cfg, Options{}); err != nil {
				t.Fatal(err)
			}
			for _, r := range readManifest(t, cfg.Out) {
				want := tc.want[r.Class]
				if r.Channels != want[0] || r.BitDepth != want[1] {
					t.Errorf("%s: channels %d depth %d, want %v", r.ID, r.Channels, r.BitDepth, want)
				}
				f, err := os.Open(filepath.Join(cfg.Out, filepath.FromSlash(r.Path)))
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				_, is16 := img.(*image.Gray16)
				if is16 != (want[1] == 16) {
					t.Errorf("%s decodes as %T", r.ID, img)
				}
			}
		})
	}
}

// Shards follow the manifest's shuffled order: with several classes and
// several shards, no shard holds a single class, in either format. With 80
// train and 20 val samples per class, a class-ordered shard of 25 would span
// at most two classes; a shuffled one spans most of the ten.
func TestShardsMixClasses(t *testing.T) {
	cfg := small(t, cells, 2)
	cfg.PerSource = 100
	cfg.Formats = []string{schema.FormatWebDataset, schema.FormatTFRecord}
	cfg.ShardSize = 25
	card, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Shards) < 8 {
		t.Fatalf("%d shards, want several per split and format", len(card.Shards))
	}
	for _, sh := range card.Shards {
		f, err := os.Open(filepath.Join(cfg.Out, filepath.FromSlash(sh.Path)))
		if err != nil {
			t.Fatal(err)
		}
		classes := map[int]bool{}
		n := 0
		switch sh.Format {
		case schema.FormatWebDataset:
			r := wds.NewReader(f)
			for {
				s, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				c, err := s.Class()
				if err != nil {
					t.Fatal(err)
				}
				classes[c] = true
				n++
			}
		case schema.FormatTFRecord:
			r := tfrecord.NewReader(f)
			for {
				data, off, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				s, err := dataset.ReadTFSample(sh.Path, off, data)
				if err != nil {
					t.Fatal(err)
				}
				classes[s.Label] = true
				n++
			}
		}
		f.Close()
		if n != sh.Samples {
			t.Errorf("%s: read %d samples, card says %d", sh.Path, n, sh.Samples)
		}
		if n >= 20 && len(classes) < 5 {
			t.Errorf("%s: %d samples from only %d classes: not shuffled", sh.Path, n, len(classes))
		}
	}
}

func TestRerunOnDamagedOutSaysSo(t *testing.T) {
	cfg := small(t, cells, 2)
	cfg.PerSource = 3
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	recs := readManifest(t, cfg.Out)
	victim := filepath.Join(cfg.Out, filepath.FromSlash(recs[0].Path))
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), cfg, Options{})
	var de *DamagedError
	if !errors.As(err, &de) || IsUpToDate(err) {
		t.Fatalf("re-run on a damaged OUT: err = %v, want *DamagedError", err)
	}
	if !strings.Contains(err.Error(), filepath.Base(victim)) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("message %q should name the missing file and the fix", err)
	}
	cfg.Force = true
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if _, err := os.Stat(victim); err != nil {
		t.Errorf("--force did not restore %s", victim)
	}
}

func TestForceRemovesStalePictures(t *testing.T) {
	cfg := small(t, cells, 2)
	cfg.PerSource = 2
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"preview.png", "splits.png"} {
		if err := os.WriteFile(filepath.Join(cfg.Out, name), []byte("old picture"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Seed, cfg.Force = 5, true
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"preview.png", "splits.png"} {
		if _, err := os.Stat(filepath.Join(cfg.Out, name)); err == nil {
			t.Errorf("--force kept the old dataset's %s", name)
		}
	}
}

// The hub metadata is sealed in the card: verify finds a hand edit.
func TestMetadataSealedAndVerified(t *testing.T) {
	cfg := small(t, cells, 2)
	cfg.Name, cfg.License, cfg.Description = "cells", "cc-by-4.0", "bundled test cells"
	card, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range card.Metadata {
		paths = append(paths, m.Path)
	}
	if !slices.Equal(paths, []string{schema.ReadmeFile, schema.CroissantFile}) {
		t.Fatalf("card seals %v, want README.md and croissant.json", paths)
	}
	readme, err := os.ReadFile(filepath.Join(cfg.Out, schema.ReadmeFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"license: cc-by-4.0", "pretty_name: cells", "bundled test cells"} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README.md lacks %q", want)
		}
	}
	if rep, err := dataset.Verify(context.Background(), cfg.Out); err != nil || !rep.OK() {
		t.Fatalf("verify of a fresh dataset: %v %v", err, rep)
	}
	os.WriteFile(filepath.Join(cfg.Out, schema.CroissantFile), []byte("{}\n"), 0o644)
	rep, err := dataset.Verify(context.Background(), cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), schema.CroissantFile) {
		t.Errorf("verify missed an edited %s: %v", schema.CroissantFile, rep.Problems)
	}
}

// TestPerSourceCap: the plan no longer grows with variants, so per_source
// goes to 10^8 (it stopped at 10^6 while every sample was listed).
func TestPerSourceCap(t *testing.T) {
	for _, tc := range []struct {
		src string
		ok  bool
	}{
		{"per_source: 100000000\n", true},
		{"per_source: 2000000\n", true},
		{"per_source: 100000001\n", false},
		{"per_source: 0\n", false},
	} {
		c := Defaults()
		err := c.ApplyFile("c.yaml", []byte(tc.src))
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok=%v", tc.src, err, tc.ok)
		}
		if tc.ok && fmt.Sprint(c.PerSource)+"\n" != strings.TrimPrefix(tc.src, "per_source: ") {
			t.Errorf("%q: PerSource = %d", tc.src, c.PerSource)
		}
	}
}
