package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/preview"
)

const cellsDir = "../../testdata/cells"

// TestGenerateAndSplitJSON: --json is one object on stdout with the
// documented fields, also when OUT is already up to date; logs stay on
// stderr.
func TestGenerateAndSplitJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"generate", "--in", cellsDir, "--out", out, "--per-source", "5", "--size", "16", "--quiet", "--json"}
	for _, upToDate := range []bool{false, true} {
		stdout, stderr, code := runCLI(args...)
		if code != 0 {
			t.Fatalf("generate --json: exit %d: %s", code, stderr)
		}
		var s runSummary
		dec := json.NewDecoder(strings.NewReader(stdout))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil || dec.More() {
			t.Fatalf("stdout is not one summary object (%v):\n%s", err, stdout)
		}
		if s.Command != "generate" || s.UpToDate != upToDate || s.Total != 50 || len(s.Classes) != 10 ||
			s.SplitTotals["train"] != 40 || s.SplitTotals["val"] != 10 || s.Fractions["val"] != (fraction{0.2, 0.2}) ||
			s.Card != filepath.Join(out, "dataset.json") || s.Counts["ring"]["val"] != 1 || s.SplitLevel["ring"] != "variant" ||
			s.Renamed == nil || len(s.Warnings) == 0 {
			t.Errorf("summary (up to date %v): %+v", upToDate, s)
		}
	}
	// Every field the help promises is in the object.
	stdout, _, _ := runCLI(args...)
	help, _, _ := runCLI("generate", "-h")
	var fields map[string]any
	if err := json.Unmarshal([]byte(stdout), &fields); err != nil {
		t.Fatal(err)
	}
	for k := range fields {
		if !strings.Contains(help, k) {
			t.Errorf("generate -h does not document the JSON field %q", k)
		}
	}

	in := t.TempDir()
	for ci, c := range []string{"a", "b"} {
		for i := range 5 {
			filetest.WritePNG(t, filepath.Join(in, c, fmt.Sprintf("%s%d.png", c, i)), mixedImage("gray8", 10, i+ci*5))
		}
	}
	stdout, stderr, code := runTrainCLI("split", "--in", in, "--out", filepath.Join(t.TempDir(), "s"), "--test", "0.1", "--json")
	var s runSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil || code != 0 {
		t.Fatalf("split --json: exit %d, %v:\n%s\n%s", code, err, stdout, stderr)
	}
	// 5 files per class cannot give 10%: 60/20/20, said everywhere.
	if s.Fractions["test"] != (fraction{0.1, 0.2}) || s.Fractions["train"] != (fraction{0.7, 0.6}) {
		t.Errorf("split fractions %+v", s.Fractions)
	}
	for _, where := range []string{stderr, strings.Join(s.Warnings, "\n")} {
		if !strings.Contains(where, "test 0.10 -> 0.20") {
			t.Errorf("the moved test fraction is not said in:\n%s", where)
		}
	}
	if !strings.Contains(stderr, "share    0.60    0.20    0.20\nasked    0.70    0.20    0.10") {
		t.Errorf("the summary table lacks the shares:\n%s", stderr)
	}
}

func TestVerifyJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := runCLI("generate", "--in", cellsDir, "--out", out, "--per-source", "3", "--size", "16", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	check := func(wantOK bool, wantCode int) verifyResult {
		t.Helper()
		stdout, stderr, code := runCLI("verify", out, "--json")
		var r verifyResult
		if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != wantCode || r.OK != wantOK || r.Dir != out || r.Problems == nil {
			t.Fatalf("verify --json: exit %d, %+v, %v:\n%s\n%s", code, r, err, stdout, stderr)
		}
		return r
	}
	if r := check(true, 0); r.Checked != 30 || len(r.Problems) != 0 {
		t.Errorf("clean: %+v", r)
	}
	if err := os.Remove(filepath.Join(out, "classes.txt")); err != nil {
		t.Fatal(err)
	}
	if r := check(false, 1); len(r.Problems) == 0 || !strings.Contains(strings.Join(r.Problems, "\n"), "classes.txt") {
		t.Errorf("damaged: %+v", r)
	}
}

func TestEvalJSON(t *testing.T) {
	data := t.TempDir()
	writeImageFolder(t, data, map[string]int{"train": 6, "val": 2}, trainClasses[:3])
	runDir := filepath.Join(t.TempDir(), "run")
	if _, errOut, code := runTrainCLI("train", "--data", data, "--out", runDir, "--epochs", "1", "--blocks", "2", "--dense", "4"); code != 0 {
		t.Fatalf("train: %s", errOut)
	}
	stdout, errOut, code := runTrainCLI("eval", "--model", filepath.Join(runDir, "model.bin"), "--data", data, "--json")
	var r evalResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 {
		t.Fatalf("eval --json: exit %d, %v:\n%s\n%s", code, err, stdout, errOut)
	}
	correct, total := 0, 0
	for i, row := range r.Confusion {
		for j, n := range row {
			total += n
			if i == j {
				correct += n
			}
		}
	}
	if r.Split != "val" || r.Images != 6 || total != 6 || len(r.Classes) != 3 || len(r.PerClass) != 3 ||
		r.PerClass[0].Support != 2 || r.PerClass[0].Accuracy == nil || r.Accuracy != float64(correct)/6 {
		t.Errorf("eval --json: %+v", r)
	}
}

// TestGroupRegexMatchingNothingExits2: a typo in --group-regex would split
// every file on its own; it is a usage error naming the pattern.
func TestGroupRegexMatchingNothingExits2(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, code := runTrainCLI("split", "--in", cellsDir, "--out", out, "--group-regex", `^(patient\d+)_`)
	if code != 2 || !strings.Contains(stderr, `--group-regex "^(patient\\d+)_" matches none of the 10 file names`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestTrainRefusesUsedRunFolder: a second train into the same folder is
// refused before any image is read; --force replaces the run.
func TestTrainRefusesUsedRunFolder(t *testing.T) {
	data := t.TempDir()
	writeImageFolder(t, data, map[string]int{"train": 4, "val": 2}, trainClasses[:2])
	runDir := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--data", data, "--out", runDir, "--epochs", "1", "--blocks", "2", "--dense", "4"}
	if _, errOut, code := runTrainCLI(args...); code != 0 {
		t.Fatalf("first train: %s", errOut)
	}
	before, _ := os.ReadFile(filepath.Join(runDir, "metrics.jsonl"))
	_, errOut, code := runTrainCLI(args...)
	if code != 1 || !strings.Contains(errOut, runDir+" already holds a training run (metrics.jsonl, curves.png") ||
		!strings.Contains(errOut, "pass --force") {
		t.Errorf("second train: exit %d, stderr:\n%s", code, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(runDir, "metrics.jsonl")); !bytes.Equal(before, after) {
		t.Error("the refused run changed metrics.jsonl")
	}
	// --force: a stale file of the old run does not survive.
	if err := os.WriteFile(filepath.Join(runDir, "last.bin"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runTrainCLI(append(args, "--force", "--epochs", "2")...); code != 0 {
		t.Fatalf("train --force: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(runDir, "last.bin")); bytes.Equal(b, []byte("stale")) {
		t.Error("--force left the old last.bin")
	}
	// Another file in the folder is not a run: no refusal.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runTrainCLI("train", "--data", data, "--out", other, "--epochs", "1", "--blocks", "2", "--dense", "4"); code != 0 {
		t.Errorf("train into a folder with notes: exit %d: %s", code, errOut)
	}
}

// TestTrainWithoutValSplitSaysTheFix: a dataset made with --val 0 has no
// val; train says how to get one instead of "no split val".
func TestTrainWithoutValSplitSaysTheFix(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := runCLI("generate", "--in", cellsDir, "--out", out, "--per-source", "4", "--size", "16", "--val", "0", "--test", "0.25", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	_, errOut, code := runTrainCLI("train", "--data", out, "--out", filepath.Join(t.TempDir(), "run"))
	for _, want := range []string{`has no "val" split to validate on (it has train, test)`, "--val 0.2", "--val-split test"} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d; stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}

// TestPreviewReadsShards: a dataset written only as shards previews the
// same pictures as its folder form, read from the shards.
func TestPreviewReadsShards(t *testing.T) {
	sheets := map[string][]byte{}
	for _, form := range []string{"folder", "webdataset", "tfrecord"} {
		out := filepath.Join(t.TempDir(), form)
		if _, stderr, code := runCLI("generate", "--in", cellsDir, "--out", out, "--per-source", "4", "--size", "24", "--format", form, "--quiet"); code != 0 {
			t.Fatalf("%s: %s", form, stderr)
		}
		if _, stderr, code := runCLI("preview", out, "--per-class", "3"); code != 0 {
			t.Fatalf("preview %s: %s", form, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, preview.SheetFile))
		if err != nil {
			t.Fatal(err)
		}
		sheets[form] = b
	}
	for _, form := range []string{"webdataset", "tfrecord"} {
		if !bytes.Equal(sheets[form], sheets["folder"]) {
			t.Errorf("the %s-only preview differs from the folder one (grey placeholder tiles?)", form)
		}
	}
}

// TestFitFlag: --fit reaches generate, is recorded, and without --size is
// a usage error.
func TestFitFlag(t *testing.T) {
	in := t.TempDir()
	for ci, c := range []string{"a", "b"} {
		img := image.NewGray(image.Rect(0, 0, 30, 20))
		for i := range img.Pix {
			img.Pix[i] = uint8(100 + ci)
		}
		img.SetGray(0, 0, color.Gray{Y: 255})
		filetest.WritePNG(t, filepath.Join(in, c, "x.png"), img)
	}
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, code := runCLI("generate", "--in", in, "--out", out, "--per-source", "2", "--size", "16")
	if code != 0 || !strings.Contains(stderr, "--fit pad or --fit crop keeps their aspect ratio") {
		t.Errorf("squash: exit %d, no aspect warning:\n%s", code, stderr)
	}
	_, stderr, code = runCLI("generate", "--in", in, "--out", out, "--per-source", "2", "--size", "16", "--fit", "pad", "--force")
	card, _ := os.ReadFile(filepath.Join(out, "dataset.json"))
	if code != 0 || strings.Contains(stderr, "squashes") || !strings.Contains(string(card), `"fit": "pad"`) {
		t.Errorf("pad: exit %d, stderr:\n%s", code, stderr)
	}
	if _, _, code := runCLI("generate", "--in", in, "--out", out, "--fit", "pad"); code != 2 {
		t.Errorf("--fit without --size: exit %d, want 2", code)
	}
	if out, _, _ := runCLI("generate", "--print-config", "--size", "32", "--fit", "crop"); !strings.Contains(out, "fit: crop") {
		t.Errorf("print-config lacks the fit:\n%s", out)
	}
}

// TestPublishFlags: --url, --creator and --date (and their config keys)
// reach croissant.json and README.md; bad values are usage errors in the
// config error format; without them a note names what Croissant lacks.
func TestPublishFlags(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	base := []string{"generate", "--in", cellsDir, "--out", out, "--per-source", "2", "--size", "16"}
	_, stderr, code := runCLI(base...)
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	if want := "note: croissant.json has no url, creator, datePublished, which Croissant 1.0 requires and its validators report; to publish it, add --url URL --creator NAME --date YYYY-MM-DD"; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}

	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("creator: Ada Lovelace\ndate: 2026-03-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCLI(append(base, "--force", "--config", file, "--url", "https://example.org/cells")...)
	if code != 0 {
		t.Fatalf("generate with --url and config: exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "note: croissant.json") {
		t.Errorf("note though url, creator and date were given:\n%s", stderr)
	}
	var doc struct {
		URL     string `json:"url"`
		Creator struct {
			Type string `json:"@type"`
			Name string `json:"name"`
		} `json:"creator"`
		Date string `json:"datePublished"`
	}
	b, err := os.ReadFile(filepath.Join(out, "croissant.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.URL != "https://example.org/cells" || doc.Creator.Name != "Ada Lovelace" || doc.Creator.Type != "sc:Person" || doc.Date != "2026-03-01" {
		t.Errorf("croissant.json: %v %+v", err, doc)
	}
	readme, _ := os.ReadFile(filepath.Join(out, "README.md"))
	for _, want := range []string{"Curated by: Ada Lovelace.", "Homepage: <https://example.org/cells>", "Published: 2026-03-01."} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README.md lacks %q", want)
		}
	}
	if _, _, code := runTrainCLI("verify", out); code != 0 {
		t.Errorf("verify after --url/--creator/--date: exit %d", code)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--in", cellsDir, "--out", out, "--date", "2026-02-30"}, `date: "2026-02-30" is not a date (valid: YYYY-MM-DD, e.g. 2026-03-01)`},
		{[]string{"generate", "--in", cellsDir, "--out", out, "--url", "example.org/cells"}, `url: "example.org/cells" is not an absolute http(s) URL (valid: an absolute http:// or https:// URL`},
		{[]string{"split", "--in", cellsDir, "--out", out, "--url", "ftp://example.org"}, `split: url: "ftp://example.org" is not an absolute http(s) URL`},
		{[]string{"split", "--in", cellsDir, "--out", out, "--date", "1.3.2026"}, `split: date: "1.3.2026" is not a date`},
	} {
		_, _, code := runCLI(tc.args...)
		err := run(t.Context(), tc.args, new(strings.Builder), new(strings.Builder))
		if code != 2 || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: exit %d, err %v; want exit 2 and %q", tc.args, code, err, tc.want)
		}
	}
	if err := os.WriteFile(file, []byte("url: /data/cells\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"generate", "--config", file, "--print-config"}
	_, _, code = runCLI(args...)
	err = run(t.Context(), args, new(strings.Builder), new(strings.Builder))
	if want := file + `:1: url: "/data/cells" is not an absolute http(s) URL`; code != 2 || err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("config url: exit %d, err %v; want %q", code, err, want)
	}
}
