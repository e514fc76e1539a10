package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var trainClasses = []string{"blob", "hbar", "vbar", "diag", "frame"}

// writeImageFolder writes root/<split>/<class>/NN.png: per class, n shapes
// (16x16 grey) that a tiny model tells apart in a couple of epochs.
func writeImageFolder(t *testing.T, root string, splits map[string]int, classes []string) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for sp, n := range splits {
		for c, name := range classes {
			dir := filepath.Join(root, sp, name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				img := image.NewGray(image.Rect(0, 0, 16, 16))
				for j := range img.Pix {
					img.Pix[j] = uint8(r.IntN(30))
				}
				o := r.IntN(4)
				for k := range 12 {
					switch c % 5 {
					case 0:
						img.Pix[(4+o+k%4)*16+4+k/4] = 250
					case 1:
						img.Pix[(5+o)*16+2+k] = 250
					case 2:
						img.Pix[(2+k)*16+5+o] = 250
					case 3:
						img.Pix[(2+k)*16+2+k] = 250
					case 4:
						img.Pix[(2+o)*16+2+k] = 250
						img.Pix[(2+k)*16+2+o] = 250
					}
				}
				f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%02d.png", i)))
				if err != nil {
					t.Fatal(err)
				}
				if err := png.Encode(f, img); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
		}
	}
}

func runTrainCLI(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	ctx := context.Background()
	err := run(ctx, args, &o, &e)
	if err != nil {
		fmt.Fprintf(&e, "augsplit: %v\n", err)
	}
	return o.String(), e.String(), exitCode(ctx, err)
}

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
	out, _, code = runTrainCLI(append([]string{"predict", "--model", model, "--json"}, files...)...)
	dec := json.NewDecoder(strings.NewReader(out))
	for i := range files {
		var p prediction
		if err := dec.Decode(&p); err != nil || p.File != files[i] || len(p.Top) != 3 {
			t.Errorf("predict --json line %d: %+v, %v (exit %d)", i, p, err, code)
		}
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
		{"bad value", "epochs: 1\nbatch: 1\nblocks: 2\n", nil, 2, "batch"},
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
		})
	}
}

func TestSeedBugCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	data := t.TempDir()
	// Five classes of equal size: the last 20% of the class-ordered list is
	// exactly the last class (sorted: vbar).
	writeImageFolder(t, data, map[string]int{"train": 8, "val": 2}, trainClasses)
	out, errOut, code := runTrainCLI("seed-bug", "--data", data, "--epochs", "2", "--blocks", "2", "--dense", "8")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "1 (vbar)") || !strings.Contains(out, "val_accuracy") {
		t.Errorf("side by side output does not name the unseen class:\n%s", out)
	}
	if !strings.Contains(out, "keras-last20 validates on classes it never trained on: vbar") {
		t.Errorf("missing summary line:\n%s", out)
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
		if first == nil {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Errorf("--form %s metrics differ from folder's:\n%s\nvs\n%s", form, b, first)
		}
	}
}
