package generate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/writer"
)

// partsConfig is a small run with every format and several units per
// split, on sources split by source (four per class).
func partsConfig(t *testing.T, in string) Config {
	cfg := small(t, in, 2)
	cfg.PerSource = 6
	cfg.Formats = []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}
	cfg.ShardSize = 7
	return cfg
}

// tree is every file (with its bytes) and every folder under dir.
func tree(t *testing.T, dir string) (map[string][]byte, []string) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return filetest.Read(t, dir), dirs
}

// sameTree fails unless got has exactly want's files, bytes and folders.
func sameTree(t *testing.T, what string, got, want string) {
	t.Helper()
	gf, gd := tree(t, got)
	wf, wd := tree(t, want)
	for name, b := range wf {
		g, ok := gf[name]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, name)
		case !bytes.Equal(g, b):
			t.Errorf("%s: %s differs from the one-machine run", what, name)
		}
	}
	for name := range gf {
		if _, ok := wf[name]; !ok {
			t.Errorf("%s: extra file %s", what, name)
		}
	}
	if !slices.Equal(gd, wd) {
		t.Errorf("%s: folders %q, the one-machine run has %q", what, gd, wd)
	}
}

// oneMachine runs generate into a fresh OUT and returns it.
func oneMachine(t *testing.T, cfg Config) string {
	t.Helper()
	cfg.Out = filepath.Join(t.TempDir(), "one")
	card, err := Run(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(card.Shards) < 8 {
		t.Fatalf("only %d shards: the test needs several units per split", len(card.Shards))
	}
	return cfg.Out
}

func runParts(t *testing.T, cfg Config, n int, concurrent bool) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		run := func() { _, errs[i] = RunPart(context.Background(), cfg, i, n, Options{}) }
		if concurrent {
			wg.Go(run)
		} else {
			run()
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("part %d of %d: %v", i, n, err)
		}
	}
}

func seal(t *testing.T, out string) *schema.Card {
	t.Helper()
	card, err := Seal(context.Background(), writer.DirStore(nil, out), Options{})
	if err != nil {
		t.Fatalf("seal %s: %v", out, err)
	}
	return card
}

// Issue 13: for every N, the sealed OUT is byte-identical to a
// one-machine run of the same command (every file, nothing extra).
func TestPartsByteIdenticalToOneMachine(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	want := oneMachine(t, cfg)
	for _, n := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			cfg := cfg
			cfg.Out = filepath.Join(t.TempDir(), "parts")
			runParts(t, cfg, n, n == 3)
			seal(t, cfg.Out)
			sameTree(t, fmt.Sprintf("%d parts", n), cfg.Out, want)
			rep, err := dataset.Verify(context.Background(), cfg.Out)
			if err != nil || !rep.OK() {
				t.Fatalf("verify: %v %v", err, rep)
			}
		})
	}
}

// The one-machine order is split-major, so a split's shards are runs of
// the order that parts can write apart.
func TestOrderIsSplitMajor(t *testing.T) {
	cfg := partsConfig(t, makeSources(t, []string{"ant", "bee", "cat"}, 4))
	out := oneMachine(t, cfg)
	recs := readManifest(t, out)
	last := -1
	for i, r := range recs {
		s := schema.SplitIndex(r.Split)
		if s < last {
			t.Fatalf("manifest line %d is %s after a later split", i+1, r.Split)
		}
		last = s
	}
}

// A part killed mid-way (its context cancelled after k samples) and run
// again gives the same bytes.
func TestPartKilledThenRerun(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	want := oneMachine(t, cfg)
	cfg.Out = filepath.Join(t.TempDir(), "parts")
	ctx, cancel := context.WithCancel(context.Background())
	_, err := RunPart(ctx, cfg, 0, 2, Options{Progress: func(done, total int) {
		if done == 10 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	sums, _ := filepath.Glob(filepath.Join(cfg.Out, schema.PartsUnitsDir, "*.json"))
	if len(sums) == 0 {
		t.Fatal("the killed part finished no unit: the test did not interrupt mid-way")
	}
	if _, err := Seal(context.Background(), writer.DirStore(nil, cfg.Out), Options{}); err == nil {
		t.Fatal("seal of a half-done run succeeded")
	}
	runParts(t, cfg, 2, false)
	s, err := RunPart(context.Background(), cfg, 0, 2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Skipped != s.Units || s.Samples != 0 {
		t.Errorf("third run of part 0: skipped %d of %d units, wrote %d samples; want every unit skipped", s.Skipped, s.Units, s.Samples)
	}
	seal(t, cfg.Out)
	sameTree(t, "killed and re-run", cfg.Out, want)
}

// Two copies of one part at once, then the other part and seal: the same
// bytes.
func TestTwoCopiesOfOnePart(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	want := oneMachine(t, cfg)
	cfg.Out = filepath.Join(t.TempDir(), "parts")
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, part := range []int{1, 1, 0} {
		wg.Go(func() { _, errs[i] = RunPart(context.Background(), cfg, part, 2, Options{}) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seal(t, cfg.Out)
	sameTree(t, "two copies of part 1", cfg.Out, want)
}

// Seal with a part missing refuses, naming the units and the --part to
// run; nothing final is written.
func TestSealMissingPart(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	cfg.Out = filepath.Join(t.TempDir(), "parts")
	for _, i := range []int{0, 2} {
		if _, err := RunPart(context.Background(), cfg, i, 3, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Seal(context.Background(), writer.DirStore(nil, cfg.Out), Options{})
	var me *writer.MissingUnitsError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a MissingUnitsError", err)
	}
	if !slices.Equal(me.Parts[3], []int{1}) || !strings.Contains(err.Error(), "--parts 3 --part 1") {
		t.Errorf("error %q (parts %v) does not name --parts 3 --part 1", err, me.Parts)
	}
	for _, u := range me.Units {
		if u.Index%3 != 1 {
			t.Errorf("unit %s (index %d) listed as missing, but part %d wrote it", u.Name(), u.Index, u.Index%3)
		}
		if !strings.Contains(err.Error(), me.Units[0].Name()) {
			t.Errorf("error %q does not name unit %s", err, me.Units[0].Name())
		}
	}
	for _, name := range []string{schema.CardFile, schema.ManifestFile} {
		if _, err := os.Stat(filepath.Join(cfg.Out, name)); err == nil {
			t.Errorf("%s written by a refused seal", name)
		}
	}
}

// A part refuses an OUT holding another run's plan or card, and finds
// its own sealed card up to date.
func TestPartRefusesOtherRun(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	cfg.Out = filepath.Join(t.TempDir(), "parts")
	if _, err := RunPart(context.Background(), cfg, 0, 2, Options{}); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.Seed++
	_, err := RunPart(context.Background(), other, 1, 2, Options{})
	var oe *writer.OtherRunError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "parts of another run (seed: ") || strings.Contains(err.Error(), "--force") {
		t.Fatalf("other run's part: err = %v, want an OtherRunError naming the seed, without --force", err)
	}
	var ne *writer.NotEmptyError
	runParts(t, cfg, 2, false)
	seal(t, cfg.Out)
	if _, err := RunPart(context.Background(), cfg, 1, 2, Options{}); !IsUpToDate(err) {
		t.Errorf("part after seal: err = %v, want up to date", err)
	}
	if _, err := RunPart(context.Background(), other, 1, 2, Options{}); !errors.As(err, &ne) {
		t.Errorf("other run's part after seal: err = %v, want a NotEmptyError", err)
	}
	if _, err := Seal(context.Background(), writer.DirStore(nil, cfg.Out), Options{}); !IsUpToDate(err) {
		t.Errorf("second seal: err = %v, want up to date", err)
	}
	_, err = RunPart(context.Background(), func() Config { c := cfg; c.ShardBytes = 1000; c.ShardSize = 0; return c }(), 0, 2, Options{})
	if err == nil || !strings.Contains(err.Error(), "--shard-bytes") {
		t.Errorf("parts with --shard-bytes: err = %v, want a refusal naming --shard-bytes", err)
	}
}

// A one-machine run over what parts of the same command left (a user
// gave up on the parts) finishes with nothing of theirs left.
func TestOneMachineOverParts(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	want := oneMachine(t, cfg)
	cfg.Out = filepath.Join(t.TempDir(), "parts")
	if _, err := RunPart(context.Background(), cfg, 1, 2, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "one machine over parts", cfg.Out, want)
}

// Issue 13 on a bucket (no rename: folder samples go to their final keys
// and the card is the commit): parts for every N, and a plain generate
// --out URL (part 0 of 1, then seal), give the one-machine bytes.
func TestPartsOnBucket(t *testing.T) {
	useMemStores(t)
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	want := oneMachine(t, cfg)
	for _, n := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			cfg := cfg
			cfg.Out = fmt.Sprintf("mem://parts%d/data", n)
			runParts(t, cfg, n, n == 3)
			st, err := OpenStore(context.Background(), cfg.Out, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Seal(context.Background(), st, Options{}); err != nil {
				t.Fatal(err)
			}
			sameTree(t, fmt.Sprintf("%d parts on a bucket", n), download(t, cfg.Out), want)
			if _, err := RunPart(context.Background(), cfg, 0, n, Options{}); !IsUpToDate(err) {
				t.Errorf("part after seal: err = %v, want up to date", err)
			}
		})
	}
	cfg.Out = "mem://one/data"
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "generate --out URL", download(t, cfg.Out), want)
	if _, err := Run(context.Background(), cfg, Options{}); !IsUpToDate(err) {
		t.Errorf("second generate --out URL: err = %v, want up to date", err)
	}
}

// A copy of a part that lags behind a finished seal writes nothing more.
func TestLaggingPartAfterSealWritesNothing(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	cfg.Out = filepath.Join(t.TempDir(), "parts")
	runParts(t, cfg, 2, false)
	r, err := prepare(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seal(t, cfg.Out)
	before, _ := tree(t, cfg.Out)
	pu := r.plan.Units()[:1]
	units := []writer.Unit{{Index: pu[0].Index, Split: pu[0].Split, Shard: pu[0].Shard, Shards: pu[0].Shards, Start: pu[0].Start, End: pu[0].End}}
	us := &unitSink{st: writer.DirStore(nil, cfg.Out), units: units,
		opts: writer.UnitOptions{Fingerprint: r.card.Fingerprint, Classes: r.classes, Formats: cfg.Formats}}
	err = produce(context.Background(), r.cfg, r.tree, r.plan, pu, r.classes, us, nil)
	if !IsUpToDate(err) {
		t.Errorf("lagging part: err = %v, want up to date", err)
	}
	after, _ := tree(t, cfg.Out)
	if len(after) != len(before) {
		t.Errorf("the lagging part changed the sealed OUT: %d files, %d before", len(after), len(before))
	}
}

// writer.Units (what writer-level callers lay out) and the plan's units
// are the same, so a part and a one-machine run agree on shard bounds.
func TestWriterUnitsArePlanUnits(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	for _, sh := range [][2]int{{0, 0}, {0, 7}, {3, 0}} {
		cfg := partsConfig(t, in)
		cfg.Shards, cfg.ShardSize = sh[0], sh[1]
		r, err := prepare(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := writer.Units(r.splitCounts, cfg.Shards, cfg.ShardSize)
		want := r.plan.Units()
		if len(got) != len(want) {
			t.Fatalf("shards %d, size %d: %d writer units, %d plan units", sh[0], sh[1], len(got), len(want))
		}
		for i, u := range want {
			if w := (writer.Unit{Index: u.Index, Split: u.Split, Shard: u.Shard, Shards: u.Shards, Start: u.Start, End: u.End}); got[i] != w {
				t.Errorf("unit %d: writer %+v, plan %+v", i, got[i], w)
			}
		}
	}
}

// QA: a one-machine generate and a part on one local OUT at once (either
// order) broke each other (rename errors, a stray temporary in the
// dataset, .augsplit-parts/ left). Whichever comes second now refuses at
// once, and the first finishes cleanly.
func TestPartAndOneMachineExcludeEachOther(t *testing.T) {
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	want := oneMachine(t, cfg)
	cfg.Out = filepath.Join(t.TempDir(), "out")

	var second error
	asked := false
	_, err := RunPart(context.Background(), cfg, 0, 1, Options{Progress: func(done, total int) {
		if !asked {
			asked = true
			_, second = Run(context.Background(), cfg, Options{})
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.As(second, new(*writer.PartsRunningError)) {
		t.Fatalf("generate while a part runs: err = %v, want a *writer.PartsRunningError", second)
	}
	seal(t, cfg.Out)
	sameTree(t, "part with a refused generate beside it", cfg.Out, want)

	cfg.Out = filepath.Join(t.TempDir(), "out2")
	asked, second = false, nil
	if _, err := Run(context.Background(), cfg, Options{Progress: func(done, total int) {
		if !asked {
			asked = true
			_, second = RunPart(context.Background(), cfg, 0, 2, Options{})
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if !errors.As(second, new(*writer.LockedError)) {
		t.Fatalf("part while generate runs: err = %v, want a *writer.LockedError", second)
	}
	sameTree(t, "generate with a refused part beside it", cfg.Out, want)
}
