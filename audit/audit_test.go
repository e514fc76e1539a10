package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func run(t *testing.T, path string, opts Options) *Report {
	t.Helper()
	in, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	r, err := Audit(context.Background(), in, opts)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return r
}

func kinds(r *Report, severity string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Severity == severity {
			out = append(out, f.Kind)
		}
	}
	return out
}

// classOrdered is the user's data: five classes, four images each, in
// class folders, as written class by class.
func classOrdered(t *testing.T, prefix string) map[string]image.Image {
	files := map[string]image.Image{}
	seed := uint64(100)
	for _, c := range []string{"a", "b", "c", "d", "e"} {
		for i := range 4 {
			files[fmt.Sprintf("%s%s/%d.png", prefix, c, i)] = blobs(seed, 40, 40)
			seed++
		}
	}
	return files
}

func TestKerasValidationSplitFolder(t *testing.T) {
	dir := folder(t, classOrdered(t, ""))
	opts := DefaultOptions()
	opts.KerasValidationSplit = 0.2
	r := run(t, dir, opts)

	k := r.Keras
	if k == nil {
		t.Fatal("no Keras section")
	}
	if k.Over != "all" || k.TrainSamples != 16 || k.ValSamples != 4 {
		t.Errorf("over %q train %d val %d, want all 16 4", k.Over, k.TrainSamples, k.ValSamples)
	}
	if got, want := k.MissingFromTrain, []string{"e"}; !slices.Equal(got, want) {
		t.Errorf("missing from train = %v, want %v", got, want)
	}
	if got, want := k.MissingFromVal, []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("missing from val = %v, want %v", got, want)
	}
	if got, want := k.ValClasses, []ClassCount{{"e", 4}}; !slices.Equal(got, want) {
		t.Errorf("val classes = %v, want %v", got, want)
	}
	if r.Clean() {
		t.Error("report is clean, want the Keras problem")
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"training would never see e", "validation would lack a, b, c, d", "shuffle"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestKerasOrder checks the Keras file order: folders sorted by
// path, files by name, so "10.png" comes before "2.png".
func TestKerasOrder(t *testing.T) {
	dir := folder(t, map[string]image.Image{
		"x/2.png": blobs(1, 8, 8), "x/10.png": blobs(2, 8, 8), "x/sub/1.png": blobs(3, 8, 8),
		"y/a.png": blobs(4, 8, 8),
	})
	filetest.Write(t, filepath.Join(dir, "x", "notes.txt"), []byte("hi"))
	filetest.Write(t, filepath.Join(dir, "x", ".hidden.png"), []byte("not read"))
	in, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range in.Items {
		got = append(got, it.Path)
	}
	want := []string{"x/10.png", "x/2.png", "x/sub/1.png", "y/a.png"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if len(in.Splits) != 0 {
		t.Errorf("splits = %v, want none (class layout)", in.Splits)
	}
}

// TestMissingClasses is the user's dataset after a Keras-style split was
// written to disk: val holds only the last class.
func TestMissingClasses(t *testing.T) {
	files := map[string]image.Image{}
	for rel, img := range classOrdered(t, "") {
		split := "train"
		if strings.HasPrefix(rel, "e/") {
			split = "val"
		}
		files[split+"/"+rel] = img
	}
	dir := folder(t, files)
	// An empty class folder in val still names the class as missing.
	if err := os.MkdirAll(filepath.Join(dir, "val", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, DefaultOptions())
	want := []Missing{
		{Split: "train", Classes: []string{"e"}},
		{Split: "val", Classes: []string{"a", "b", "c", "d"}},
	}
	if !equalJSON(r.Missing, want) {
		t.Errorf("missing = %+v, want %+v", r.Missing, want)
	}
	if got := kinds(r, Problem); !slices.Equal(got, []string{FindingMissing, FindingMissing}) {
		t.Errorf("problem kinds = %v, want two missing-class", got)
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// balancedFolder has two classes with the same share in train and val and
// no image related to another.
func balancedFolder(t *testing.T) map[string]image.Image {
	files := map[string]image.Image{}
	seed := uint64(200)
	for _, split := range []string{"train", "val"} {
		n := 4
		if split == schema.Val {
			n = 1
		}
		for _, c := range []string{"a", "b"} {
			for i := range n {
				files[fmt.Sprintf("%s/%s/%d.png", split, c, i)] = blobs(seed, 48, 40)
				seed++
			}
		}
	}
	return files
}

func TestCleanFolder(t *testing.T) {
	r := run(t, folder(t, balancedFolder(t)), DefaultOptions())
	if !r.Clean() {
		t.Errorf("findings %+v, want clean", r.Findings)
	}
	if r.NearDuplicates.Checked != 10 || r.ExactDuplicates.Checked != 10 {
		t.Errorf("checked near %d exact %d, want 10 10", r.NearDuplicates.Checked, r.ExactDuplicates.Checked)
	}
}

func TestDuplicates(t *testing.T) {
	train := blobs(300, 48, 40)
	tests := []struct {
		name      string
		val       image.Image
		wantExact int
		wantNear  int
	}{
		{"copy", train, 2, 0},
		{"hflip", d4(train, 1), 0, 2},
		{"vflip", d4(train, 2), 0, 2},
		{"rot180", d4(train, 3), 0, 2},
		{"transpose", d4(train, 4), 0, 2},
		{"rot90", d4(train, 5), 0, 2},
		{"rot270", d4(train, 6), 0, 2},
		{"noisy", noisy(train, 2, 9), 0, 2},
		{"noisy rot90", noisy(d4(train, 5), 2, 9), 0, 2},
		{"different", blobs(301, 48, 40), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := balancedFolder(t)
			files["train/a/x.png"] = train
			files["val/a/y.png"] = tt.val
			// A same-split copy is not a leak, but it pairs with the val
			// image too (under another label).
			files["train/b/x-copy.png"] = train
			r := run(t, folder(t, files), DefaultOptions())
			if r.ExactDuplicates.Total != tt.wantExact || r.NearDuplicates.Total != tt.wantNear {
				t.Fatalf("exact %d near %d, want %d %d (near pairs %+v)",
					r.ExactDuplicates.Total, r.NearDuplicates.Total, tt.wantExact, tt.wantNear, r.NearDuplicates.Pairs)
			}
			pairs := append(r.ExactDuplicates.Pairs, r.NearDuplicates.Pairs...)
			if len(pairs) == 0 {
				return
			}
			// Both train copies pair with the val image; the first named
			// is the one in class a.
			if got := pairs[0]; got.A.Path != "train/a/x.png" || got.B.Path != "val/a/y.png" {
				t.Errorf("pair = %s ~ %s, want train/a/x.png ~ val/a/y.png", got.A.Path, got.B.Path)
			}
		})
	}
}

// cleanOut is an augsplit OUT split by source: three classes, three
// sources each (two in train, one in val), three variants per source, in
// a class-interleaved manifest order.
func cleanOutSamples() []outSample {
	var ss []outSample
	for v := range 3 {
		for si := range 3 {
			for ci, c := range []string{"a", "b", "c"} {
				split := "train"
				if si == 2 {
					split = "val"
				}
				ss = append(ss, outSample{split: split, class: c, source: uint64(10 + 3*ci + si), variant: v + 1})
			}
		}
	}
	return ss
}

func TestCleanOut(t *testing.T) {
	dir := buildOut(t, cleanOutSamples(), map[string]string{"a": "source", "b": "source", "c": "source"})
	opts := DefaultOptions()
	opts.KerasValidationSplit = 0.2
	r := run(t, dir, opts)
	if r.Kind != KindOut {
		t.Errorf("kind = %s, want %s", r.Kind, KindOut)
	}
	if !r.Clean() || len(r.Findings) != 0 {
		t.Errorf("findings %+v, want none", r.Findings)
	}
	if r.Keras == nil || r.Keras.Over != schema.Train || r.Keras.Order != "manifest order" || len(r.Keras.ValClasses) != 3 {
		t.Errorf("keras = %+v, want all three classes in the last 20%% of train in manifest order", r.Keras)
	}
	if r.NearDuplicates.Checked != 27 {
		t.Errorf("near-duplicate check saw %d samples, want 27", r.NearDuplicates.Checked)
	}
}

// TestVariantLevelOut is the ten-image case: one source per class, so its
// variants are in train and val. Recorded in the card: expected, not a
// problem; the same OUT whose card claims a source-level split leaks.
func TestVariantLevelOut(t *testing.T) {
	var ss []outSample
	for v := range 5 {
		for ci, c := range []string{"a", "b"} {
			split := "train"
			if v == 4 {
				split = "val"
			}
			ss = append(ss, outSample{split: split, class: c, source: uint64(40 + ci), variant: v})
		}
	}
	tests := []struct {
		level        string
		wantProblems []string
		wantExpected []string
	}{
		{"variant", nil, []string{FindingStraddle}},
		{"source", []string{FindingStraddle}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			dir := buildOut(t, ss, map[string]string{"a": tt.level, "b": tt.level})
			r := run(t, dir, DefaultOptions())
			if got := kinds(r, Problem); !slices.Equal(got, tt.wantProblems) {
				t.Errorf("problems = %v, want %v (%+v)", got, tt.wantProblems, r.Findings)
			}
			if got := kinds(r, Expected); !slices.Equal(got, tt.wantExpected) {
				t.Errorf("expected = %v, want %v", got, tt.wantExpected)
			}
			if len(r.Straddles) != 2 || r.Straddles[0].Splits[schema.Train] != 4 || r.Straddles[0].Splits[schema.Val] != 1 {
				t.Errorf("straddles = %+v, want a and b with 4 train, 1 val", r.Straddles)
			}
			// Variants are flips of their source: near-duplicates, but
			// all explained by the straddle.
			if r.NearDuplicates.Total != 0 || r.NearDuplicates.SameSource != 8 {
				t.Errorf("near total %d same-source %d, want 0 and 8", r.NearDuplicates.Total, r.NearDuplicates.SameSource)
			}
		})
	}
}

func TestShareSkew(t *testing.T) {
	files := balancedFolder(t)
	// train: a 4, b 4 -> 0.5 each; val: a 1, b 3 -> 0.25, 0.75.
	files["val/b/extra1.png"] = blobs(400, 48, 40)
	files["val/b/extra2.png"] = blobs(401, 48, 40)
	r := run(t, folder(t, files), DefaultOptions())
	if len(r.ShareSkews) != 2 || r.ShareSkews[0].Class != "a" || r.ShareSkews[0].Spread != 0.25 {
		t.Errorf("share skews = %+v, want a and b with spread 0.25", r.ShareSkews)
	}
	opts := DefaultOptions()
	opts.ShareThreshold = 0.3
	if r := run(t, folder(t, files), opts); len(r.ShareSkews) != 0 || !r.Clean() {
		t.Errorf("threshold 0.3: share skews %+v, findings %+v, want none", r.ShareSkews, r.Findings)
	}
}

func TestCSV(t *testing.T) {
	dir := t.TempDir()
	imgs := map[string]image.Image{}
	for i, c := range []string{"cat", "cat", "cat", "dog", "dog", "dog"} {
		imgs[fmt.Sprintf("img/%s%d.png", c, i)] = blobs(uint64(500+i), 40, 40)
	}
	for rel, img := range imgs {
		filetest.WritePNG(t, filepath.Join(dir, rel), img)
	}
	// A rotated copy of cat0 under another name, for the group-less leak.
	filetest.WritePNG(t, filepath.Join(dir, "img", "cat0-rot.png"), d4(blobs(500, 40, 40), 5))

	tests := []struct {
		name         string
		csv          string
		keras        float64
		wantSplits   []string
		wantProblems []string
		wantNear     int
	}{
		{
			name:         "no split column, class ordered",
			csv:          "path,label\nimg/cat0.png,cat\nimg/cat1.png,cat\nimg/cat2.png,cat\nimg/dog3.png,dog\nimg/dog4.png,dog\nimg/dog5.png,dog\n",
			keras:        0.34,
			wantProblems: []string{FindingKeras},
		},
		{
			name:       "no split column, shuffled",
			csv:        "path,label\nimg/cat0.png,cat\nimg/dog3.png,dog\nimg/cat1.png,cat\nimg/dog4.png,dog\nimg/cat2.png,cat\nimg/dog5.png,dog\n",
			keras:      0.34,
			wantSplits: nil,
		},
		{
			name:       "split column, clean",
			csv:        "label,path,split\ncat,img/cat0.png,train\ncat,img/cat1.png,train\ndog,img/dog3.png,train\ndog,img/dog4.png,train\ncat,img/cat2.png,val\ndog,img/dog5.png,val\n",
			wantSplits: []string{"train", "val"},
		},
		{
			name:         "split and group columns, leaks",
			csv:          "path,label,split,group\nimg/cat0.png,cat,train,p1\nimg/cat1.png,cat,train,p1\nimg/dog3.png,dog,train,p2\nimg/dog4.png,dog,train,p3\nimg/cat0-rot.png,cat,val,p4\nimg/dog5.png,dog,val,p2\n",
			wantSplits:   []string{"train", "val"},
			wantProblems: []string{FindingStraddle, FindingNear},
			wantNear:     1,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("list%d.csv", i))
			filetest.Write(t, p, []byte(tt.csv))
			opts := DefaultOptions()
			opts.KerasValidationSplit = tt.keras
			r := run(t, p, opts)
			if r.Kind != KindCSV || !slices.Equal(r.Splits, tt.wantSplits) {
				t.Errorf("kind %s splits %v, want csv %v", r.Kind, r.Splits, tt.wantSplits)
			}
			if got := kinds(r, Problem); !slices.Equal(got, tt.wantProblems) {
				t.Errorf("problems = %v, want %v (%+v)", got, tt.wantProblems, r.Findings)
			}
			if r.NearDuplicates.Total != tt.wantNear {
				t.Errorf("near-duplicates = %d, want %d", r.NearDuplicates.Total, tt.wantNear)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	filetest.Write(t, filepath.Join(dir, "noheader.csv"), []byte("file,kind\na.png,x\n"))
	filetest.Write(t, filepath.Join(dir, "missing.csv"), []byte("path,label,split\ngone.png,x,train\n"))
	filetest.Write(t, filepath.Join(dir, "emptysplit.csv"), []byte("path,label,split\na.png,x,\n"))
	filetest.Write(t, filepath.Join(dir, "bad.csv"), []byte("path,label,split\nbad.png,x,train\n"))
	filetest.Write(t, filepath.Join(dir, "bad.png"), []byte("not a png"))
	filetest.Write(t, filepath.Join(dir, "escape", schema.ManifestFile), []byte(`{"id":"x","split":"train","class":"a","path":"../bad.png","sha256":"`+strings.Repeat("0", 64)+`"}`+"\n"))
	tests := []struct {
		path string
		want string
	}{
		{"nothing-here", "no such file"},
		{"noheader.csv", "lacks a path or label column"},
		{"emptysplit.csv", "line 2: empty split"},
		{"missing.csv", "gone.png"},
		{"bad.csv", "bad.png"},
		{"escape", "inside the dataset"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			in, err := Load(filepath.Join(dir, tt.path))
			if err == nil {
				_, err = Audit(context.Background(), in, DefaultOptions())
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestReportGolden guards the text and JSON layout on a report with every
// section: run with -update to accept a deliberate change.
func TestReportGolden(t *testing.T) {
	var ss []outSample
	for v := range 5 {
		for ci, c := range []string{"a", "b", "c"} {
			split := "train"
			if v == 4 && c != "c" {
				split = "val"
			}
			ss = append(ss, outSample{split: split, class: c, source: uint64(60 + ci), variant: v})
		}
	}
	dir := buildOut(t, ss, map[string]string{"a": "variant", "b": "source", "c": "source"})
	// A copy of c's first sample placed in val under class a: exact leak.
	data, err := os.ReadFile(filepath.Join(dir, "train", "c", "c_62_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	filetest.Write(t, filepath.Join(dir, "val", "a", "copy.png"), data)
	f, err := os.OpenFile(filepath.Join(dir, schema.ManifestFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `{"id":"copy","split":"val","class":"a","source":"a/other.png","source_sha256":"other","path":"val/a/copy.png","sha256":"%s"}`+"\n", filetest.SHA256(data))
	f.Close()

	opts := DefaultOptions()
	opts.KerasValidationSplit = 0.25
	r := run(t, dir, opts)
	r.Path = "OUT"
	for _, tc := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return r.WriteText(b) }},
		{"report.json", func(b *bytes.Buffer) error { return r.WriteJSON(b) }},
	} {
		var got bytes.Buffer
		if err := tc.write(&got); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", tc.name)
		if *update {
			filetest.Write(t, golden, got.Bytes())
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s differs from golden; got:\n%s", tc.name, got.String())
		}
	}
}
