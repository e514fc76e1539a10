package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
)

func TestTrainEvalPredictCLI(t *testing.T) {
	data := t.TempDir()
	writeImageFolder(t, data, map[string]int{"train": 8, "val": 3}, trainClasses[:3])
	runDir := filepath.Join(t.TempDir(), "run")
	small := []string{"--epochs", "2", "--blocks", "2", "--dense", "8"}

	out, errOut, code := runTrainCLI(append([]string{"train", "--data", data, "--out", runDir}, small...)...)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "best epoch") || !strings.Contains(errOut, "Epoch 2/2 - ") {
		t.Errorf("train output:\n%s\nstderr:\n%s", out, errOut)
	}
	model := filepath.Join(runDir, "model.bin")
	for _, f := range []string{"model.bin", "last.bin", "metrics.jsonl", "curves.png", "confusion.txt", "confusion.png"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}

	out, errOut, code = runTrainCLI("eval", "--model", model, "--data", data, "--split", "val")
	if code != 0 || !strings.Contains(out, "accuracy:") || !strings.Contains(out, "(9 samples)") {
		t.Errorf("eval: exit %d\n%s\n%s", code, out, errOut)
	}
	// Without --split, eval must say which split it took and how much.
	_, errOut, code = runTrainCLI("eval", "--model", model, "--data", data)
	if want := "eval: val split of " + data + ": 9 images"; code != 0 || !strings.Contains(errOut, want) {
		t.Errorf("eval without --split: exit %d, stderr %q; want %q", code, errOut, want)
	}

	// A flat DIR/<class>/* folder holding a class the model never saw.
	unknown := t.TempDir()
	writeImageFolder(t, unknown, map[string]int{"x": 2}, []string{"blob", "triangle"})
	_, errOut, code = runTrainCLI("eval", "--model", model, "--data", filepath.Join(unknown, "x"))
	if code != 1 || !strings.Contains(errOut, `"triangle"`) {
		t.Errorf("eval with an unknown class: exit %d, stderr %q; want 1 naming triangle", code, errOut)
	}

	files := []string{filepath.Join(data, "val", "hbar", "00.png"), filepath.Join(data, "val", "blob", "01.png")}
	out, errOut, code = runTrainCLI(append([]string{"predict", "--model", model, "--top", "2"}, files...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || strings.Count(lines[0], "\t") != 2 {
		t.Errorf("predict: exit %d, output %q, stderr %s", code, out, errOut)
	}
	// --json after the files is a flag, not a file. JSON lines: one
	// complete object per line, one line per file (a stream, as the help
	// and README say), not one object or array for the run.
	out, errOut, code = runTrainCLI(append(append([]string{"predict", "--model", model}, files...), "--json")...)
	jsonLines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(jsonLines) != len(files) || !strings.HasSuffix(out, "\n") {
		t.Errorf("predict --json: %d lines for %d files:\n%s", len(jsonLines), len(files), out)
	}
	for i := range min(len(files), len(jsonLines)) {
		var p prediction
		if err := json.Unmarshal([]byte(jsonLines[i]), &p); err != nil || p.File != files[i] || len(p.Top) != 3 {
			t.Errorf("predict FILE... --json line %d: %+v, %v (exit %d, stderr %s)", i, p, err, code, errOut)
		}
	}
	help, _, _ := runCLI("predict", "-h")
	readme, _ := os.ReadFile("../../README.md")
	if !strings.Contains(help, "JSON lines") || !strings.Contains(string(readme), "`predict --json` prints JSON lines") {
		t.Errorf("predict -h or README.md does not say --json prints JSON lines")
	}

	// Bad files are reported one by one and do not stop the good ones.
	notImage := filepath.Join(t.TempDir(), "notes.png")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(data, "val", "hbar")
	out, errOut, code = runTrainCLI("predict", "--model", model, folder, notImage, files[0], "missing.png", files[1])
	if code != 1 {
		t.Errorf("predict with bad files: exit %d, want 1", code)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 ||
		!strings.HasPrefix(lines[0], files[0]+"\t") || !strings.HasPrefix(lines[1], files[1]+"\t") {
		t.Errorf("predict with bad files: want both good files predicted, got %q", out)
	}
	for _, want := range []string{
		folder + ": is a folder: pass image files",
		notImage + ": not a readable image: not a PNG",
		"missing.png: no such file",
		"3 of 5 files could not be read",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("predict stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "--skip-bad") {
		t.Errorf("predict suggests --skip-bad, which it does not have:\n%s", errOut)
	}
}

func TestTrainConfigFile(t *testing.T) {
	data := t.TempDir()
	writeImageFolder(t, data, map[string]int{"train": 4, "val": 2}, trainClasses[:2])
	dir := t.TempDir()
	tests := []struct {
		name string
		yaml string
		args []string
		code int
		want string // in stderr
	}{
		{"file sets epochs", "epochs: 1\nblocks: 2\ndense: 4\n", nil, 0, "Epoch 1/1 - "},
		{"flag overrides file", "epochs: 1\nblocks: 2\ndense: 4\n", []string{"--epochs", "2"}, 0, "Epoch 2/2 - "},
		{"generate config's train section", "per_source: 300\npipeline:\n  - {name: hflip}\ntrain:\n  epochs: 1\n  blocks: 2\n  dense: 4\n", nil, 0, "Epoch 1/1 - "},
		{"unknown key", "epochz: 1\n", nil, 2, "epochz"},
		{"unknown key names line and valid keys", "epochs: 1\nlearning_rate: 0.1\n", nil, 2,
			`c4.yaml:2: learning_rate: unknown key (valid: filters, blocks, dense, lr, momentum,`},
		{"line within a train: section is the file's", "per_source: 3\ntrain:\n  epochs: 1\n  lr_rate: 1\n", nil, 2, `c5.yaml:4: lr_rate: unknown key`},
		{"key given twice", "epochs: 1\nepochs: 2\n", nil, 2, "c6.yaml:2: epochs: given twice (first on line 1)"},
		{"wrong type", "epochs: many\n", nil, 2, `c7.yaml:1: epochs: want a whole number, got "many"`},
		{"bad value", "epochs: 1\nbatch: 1\nblocks: 2\n", nil, 2, "c8.yaml:2: batch: 1 is out of range"},
		{"flag overrides a bad file value", "epochs: 1\nbatch: 1\nblocks: 2\n", []string{"--batch", "4"}, 2, "c9.yaml:2: batch:"},
		{"fraction out of range", "momentum: 1.5\n", nil, 2, "c10.yaml:1: momentum: 1.5 is out of range (valid: 0 to below 1)"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, fmt.Sprintf("c%d.yaml", i))
			if err := os.WriteFile(cfg, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"train", "--data", data, "--out", filepath.Join(dir, fmt.Sprint("run", i)), "--config", cfg}, tc.args...)
			_, errOut, code := runTrainCLI(args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want %d; stderr should contain %q:\n%s", code, tc.code, tc.want, errOut)
			}
			if strings.Contains(errOut, "train.Config") {
				t.Errorf("stderr names a Go type:\n%s", errOut)
			}
		})
	}
}

func TestTrainHelpListsConfigKeys(t *testing.T) {
	out, _, code := runTrainCLI("train", "-h")
	if code != 0 || strings.Contains(out, "train.Config") ||
		!strings.Contains(out, "keys filters, blocks, dense, lr,") || !strings.Contains(out, "early_patience") {
		t.Errorf("train -h: exit %d, want the config keys listed on stdout and no Go type:\n%s", code, out)
	}
}

func TestTrainOnSourceFolderSaysGenerateFirst(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "cells")
	_, errOut, code := runTrainCLI("train", "--data", src, "--out", filepath.Join(t.TempDir(), "run"))
	if code != 1 || !strings.Contains(errOut, "this looks like a source folder") ||
		!strings.Contains(errOut, "augsplit generate --in "+src+" --out OUT (or augsplit split) first") {
		t.Errorf("train on a source folder: exit %d, stderr:\n%s", code, errOut)
	}
}

// TestTrainMixedChannelsUsesRGB: classes of 16-bit grey, RGBA, RGB and
// 8-bit grey train on 3 channels (grey sorted first, so the loader must
// convert what it already read), not on the first file's 1.
func TestTrainMixedChannelsUsesRGB(t *testing.T) {
	data := t.TempDir()
	kinds := map[string]string{"a-gray16": "gray16", "b-rgba": "rgba", "c-rgb": "rgb", "d-gray8": "gray8"}
	for sp, n := range map[string]int{"train": 4, "val": 2} {
		for class, kind := range kinds {
			for i := range n {
				filetest.WritePNG(t, filepath.Join(data, sp, class, fmt.Sprintf("%02d.png", i)), mixedImage(kind, 16, i+len(kind)))
			}
		}
	}
	runDir := filepath.Join(t.TempDir(), "run")
	_, errOut, code := runTrainCLI("train", "--data", data, "--out", runDir, "--epochs", "1", "--blocks", "2", "--dense", "4")
	if code != 0 || !strings.Contains(errOut, "16x16x3") {
		t.Fatalf("train: exit %d; want 16x16x3 images:\n%s", code, errOut)
	}
	if want := "first colour one: " + filepath.Join(data, "train", "b-rgba", "00.png"); !strings.Contains(errOut, want) {
		t.Errorf("stderr does not say %q:\n%s", want, errOut)
	}
	// A grey file still goes through the RGB model.
	out, errOut, code := runTrainCLI("predict", "--model", filepath.Join(runDir, "model.bin"), filepath.Join(data, "val", "d-gray8", "00.png"))
	if code != 0 || out == "" {
		t.Errorf("predict on grey with an RGB model: exit %d, %q, %s", code, out, errOut)
	}

}

func TestTrainImagesOfDifferentSizes(t *testing.T) {
	data := t.TempDir()
	for _, sp := range []string{"train", "val"} {
		for i := range 4 {
			filetest.WritePNG(t, filepath.Join(data, sp, "a", fmt.Sprintf("%d.png", i)), mixedImage("gray8", 16, i))
			size := 16
			if sp == "train" && i == 2 {
				size = 20
			}
			filetest.WritePNG(t, filepath.Join(data, sp, "b", fmt.Sprintf("%d.png", i)), mixedImage("gray8", size, i))
		}
	}
	args := []string{"train", "--data", data, "--out", filepath.Join(t.TempDir(), "run"), "--epochs", "1", "--blocks", "2", "--dense", "4"}
	_, errOut, code := runTrainCLI(args...)
	want := filepath.Join(data, "train", "b", "2.png") + " is 20x20 but " + filepath.Join(data, "train", "a", "0.png") + " is 16x16"
	if code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "pass --size N") {
		t.Errorf("--size 0 with mixed sizes: exit %d; stderr should contain %q and --size N:\n%s", code, want, errOut)
	}
	_, errOut, code = runTrainCLI(append(args, "--size", "16")...)
	if code != 0 || !strings.Contains(errOut, "16x16x1") {
		t.Errorf("--size 16: exit %d:\n%s", code, errOut)
	}
}

func TestTrainInterruptedSaysWhatWasSaved(t *testing.T) {
	data := t.TempDir()
	writeImageFolder(t, data, map[string]int{"train": 8, "val": 3}, trainClasses[:3])
	runDir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &cancelOnWrite{at: "Epoch 2/5 - ", cancel: cancel}
	var out bytes.Buffer
	err := run(ctx, []string{"train", "--data", data, "--out", runDir, "--epochs", "5", "--blocks", "2", "--dense", "8",
		"--early-patience", "0"}, &out, errOut)
	if code := exitCode(ctx, err); code != 130 || !errors.Is(err, context.Canceled) {
		t.Errorf("exit %d, err %v; want 130 and context.Canceled", code, err)
	}
	re := regexp.MustCompile(`interrupted at epoch 3: best model so far \(epoch [12], val_loss \d+\.\d{4}\) is in ` +
		regexp.QuoteMeta(filepath.Join(runDir, "model.bin")) + `; last finished epoch in ` + regexp.QuoteMeta(filepath.Join(runDir, "last.bin")))
	if !re.MatchString(errOut.String()) {
		t.Errorf("stderr does not say what was saved:\n%s", errOut.String())
	}
	for _, f := range []string{"model.bin", "last.bin", "metrics.jsonl", "curves.png", "confusion.txt", "confusion.png"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
}

// TestTrainSameMetricsForEveryForm generates one dataset in all three forms
// and trains on each: the metrics must be byte-identical (issue 4).
func TestTrainSameMetricsForEveryForm(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a dataset and trains three times")
	}
	out := filepath.Join(t.TempDir(), "out")
	_, errOut, code := runTrainCLI("generate", "--in", filepath.Join("..", "..", "testdata", "cells"), "--out", out,
		"--size", "16", "--per-source", "12", "--format", "folder,webdataset,tfrecord", "--quiet")
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, errOut)
	}
	var first []byte
	for _, form := range []string{"folder", "webdataset", "tfrecord"} {
		run := filepath.Join(t.TempDir(), form)
		_, errOut, code := runTrainCLI("train", "--data", out, "--form", form, "--out", run,
			"--epochs", "2", "--blocks", "2", "--dense", "8")
		if code != 0 {
			t.Fatalf("train --form %s: exit %d\n%s", form, code, errOut)
		}
		b, err := os.ReadFile(filepath.Join(run, "metrics.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		// Seconds are a timing; every other field must match.
		b = regexp.MustCompile(`,"seconds":[0-9.e+-]+`).ReplaceAll(b, nil)
		if !bytes.Contains(b, []byte(`"val_sources":10,`)) {
			t.Errorf("--form %s: val_sources is not the 10 sources of testdata/cells:\n%s", form, b)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Errorf("--form %s metrics differ from folder's:\n%s\nvs\n%s", form, b, first)
		}
	}
}

// TestTrainSaysWhatValHolds trains on the user's case (one source per class)
// and checks the summary names the variant level, the interval and the fix;
// then scores a holdout, evaluates by source and refuses --cv.
func TestTrainSaysWhatValHolds(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a dataset and trains")
	}
	cells := filepath.Join("..", "..", "testdata", "cells")
	out := filepath.Join(t.TempDir(), "out")
	if _, errOut, code := runTrainCLI("generate", "--in", cells, "--out", out, "--size", "16", "--per-source", "12", "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, errOut)
	}
	run := filepath.Join(t.TempDir(), "run")
	stdout, errOut, code := runTrainCLI("train", "--data", out, "--out", run, "--epochs", "2", "--blocks", "2", "--dense", "8",
		"--holdout", cells, "--holdout-every", "1", "--restore", "last")
	if code != 0 {
		t.Fatalf("train: exit %d\n%s", code, errOut)
	}
	if want := "train: validating on 10 sources (20 images), 1 per class; split level: variant for all 10 classes"; !strings.Contains(errOut, want) {
		t.Errorf("start of training does not say %q:\n%s", want, errOut)
	}
	for _, want := range []string{
		"last epoch 2: ",
		"validated on 10 sources",
		"split level: variant for all 10 classes",
		"val_accuracy 95% interval over 10 sources: [",
		"not an estimate of accuracy on new images",
		"holdout accuracy on 10 real images of " + cells,
		"WARNING: val_accuracy is NOT an estimate of accuracy on new images",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(run, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte(`"holdout_accuracy":`)); n != 2 {
		t.Errorf("holdout scored on %d epochs, want 2:\n%s", n, b)
	}

	stdout, errOut, code = runTrainCLI("eval", "--model", filepath.Join(run, "model.bin"), "--data", out)
	if code != 0 || !strings.Contains(stdout, "round/") || !strings.Contains(stdout, "over 10 sources") {
		t.Errorf("eval by source: exit %d\n%s\n%s", code, stdout, errOut)
	}

	_, errOut, code = runTrainCLI("train", "--data", out, "--out", filepath.Join(t.TempDir(), "cv"), "--cv", "3", "--epochs", "1", "--blocks", "2")
	if code != 1 || !strings.Contains(errOut, `1 source, but 3 folds need at least 3`) {
		t.Errorf("--cv on one source per class: exit %d\n%s", code, errOut)
	}
	for _, args := range [][]string{{"--cv", "1"}, {"--cv-final"}, {"--restore", "worst"}, {"--holdout-every", "2"}} {
		if _, errOut, code := runTrainCLI(append([]string{"train", "--data", out}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut)
		}
	}
}

func TestTrainCrossValidateCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three folds")
	}
	data := t.TempDir()
	// A plain folder: every image is its own source.
	writeImageFolder(t, data, map[string]int{"train": 4, "val": 2}, trainClasses[:3])
	run := filepath.Join(t.TempDir(), "run")
	stdout, errOut, code := runTrainCLI("train", "--data", data, "--out", run, "--cv", "3", "--epochs", "1", "--blocks", "2", "--dense", "8")
	if code != 0 {
		t.Fatalf("train --cv: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(stdout, "3-fold cross-validation by source: accuracy ") || !strings.Contains(stdout, "over 18 sources") {
		t.Errorf("cv summary:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(run, "cv.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cv map[string]json.RawMessage
	if err := json.Unmarshal(b, &cv); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"folds", "sources", "accuracy", "ci", "per_fold", "per_source"} {
		if _, ok := cv[k]; !ok {
			t.Errorf("cv.json lacks %q", k)
		}
	}
	if string(cv["folds"]) != "3" || string(cv["sources"]) != "18" {
		t.Errorf("cv.json folds %s sources %s", cv["folds"], cv["sources"])
	}
}

// TestTrainRefusesValidatingOnTrain: QA found --val-split train printed an
// interval over the training images as if it were validation.
func TestTrainRefusesValidatingOnTrain(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"train", "--data", t.TempDir(), "--out", t.TempDir(), "--val-split", "train"}, &stdout, &stderr)
	if code := exitCode(context.Background(), err); code != 2 || !strings.Contains(err.Error(), "--cv") {
		t.Fatalf("exit %d, %v; want exit 2 naming --cv", code, err)
	}
}
