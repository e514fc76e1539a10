package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
)

// auditCLI runs the command in-process and maps its error as main does.
func auditCLI(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	ctx := context.Background()
	err := run(ctx, args, &o, &e)
	return o.String(), e.String(), exitCode(ctx, err)
}

// auditImage writes a small PNG of seeded noise: unrelated seeds give
// unrelated images.
func auditImage(t *testing.T, path string, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewGray(image.Rect(0, 0, 24, 24))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	filetest.WritePNG(t, path, img)
}

// auditFolder writes split/class/i.png with n[split] images per class.
func auditFolder(t *testing.T, classes []string, n map[string]int) string {
	t.Helper()
	dir := t.TempDir()
	seed := uint64(1)
	for split, k := range n {
		for _, c := range classes {
			for i := range k {
				auditImage(t, filepath.Join(dir, split, c, fmt.Sprintf("%d.png", i)), seed)
				seed++
			}
		}
	}
	return dir
}

func TestAuditCLI(t *testing.T) {
	clean := auditFolder(t, []string{"a", "b"}, map[string]int{"train": 4, "val": 1})
	unsplit := auditFolder(t, []string{"a", "b", "c", "d", "e"}, map[string]int{"all": 2})
	unsplit = filepath.Join(unsplit, "all") // root/<class>/...
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "list.csv"), []byte("path,label\nmissing.png,a\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"clean folder", []string{"audit", clean}, 0, []string{"clean: no problems found"}},
		{"flags after path", []string{"audit", clean, "--hamming", "4", "--share-threshold", "0.2"}, 0, []string{"near-duplicates within 4 bits", "shares within 0.20", "clean"}},
		{"keras bug", []string{"audit", unsplit, "--keras-validation-split", "0.2"}, 1,
			[]string{"missing from training:   e", "missing from validation: a, b, c, d", "shuffle"}},
		{"keras flag first", []string{"audit", "--keras-validation-split=0.2", unsplit}, 1, []string{"training would never see e"}},
		{"no path", []string{"audit"}, 2, nil},
		{"two paths", []string{"audit", clean, clean}, 2, nil},
		{"bad fraction", []string{"audit", clean, "--keras-validation-split", "1.5"}, 2, nil},
		{"bad hamming", []string{"audit", clean, "--hamming", "65"}, 2, nil},
		{"bad flag", []string{"audit", clean, "--nope"}, 2, nil},
		{"missing path", []string{"audit", filepath.Join(clean, "nope")}, 2, nil},
		{"unreadable csv row", []string{"audit", filepath.Join(broken, "list.csv")}, 2, nil},
		{"help", []string{"audit", "-h"}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := auditCLI(tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestAuditJSON(t *testing.T) {
	dir := auditFolder(t, []string{"a", "b"}, map[string]int{"train": 3, "val": 1})
	// The user's bug on disk: val lacks class b.
	if err := os.RemoveAll(filepath.Join(dir, "val", "b")); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := auditCLI("audit", "--json", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr)
	}
	var rep struct {
		Problems int `json:"problems"`
		Missing  []struct {
			Split   string   `json:"split"`
			Classes []string `json:"classes"`
		} `json:"missing"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	// Two problems: b is missing from val, so a is all of val (a share skew).
	if rep.Problems != 2 || len(rep.Missing) != 1 || rep.Missing[0].Split != "val" || strings.Join(rep.Missing[0].Classes, ",") != "b" {
		t.Errorf("report = %+v, want two problems, val missing b", rep)
	}
}

// TestExit2KeepsCause checks the exit-2 wrapper both maps to 2 and keeps
// the cause for errors.Is, and leaves a cancellation alone.
func TestExit2KeepsCause(t *testing.T) {
	ctx := context.Background()
	err := exit2(fmt.Errorf("read: %w", fs.ErrNotExist))
	if got := exitCode(ctx, err); got != 2 {
		t.Errorf("exitCode = %d, want 2", got)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("cause lost")
	}
	if err := exit2(context.Canceled); !errors.Is(err, context.Canceled) || errors.As(err, new(*usageError)) {
		t.Errorf("exit2(context.Canceled) = %#v, want it unwrapped", err)
	}
}

// TestAuditGenerated runs generate on the bundled cells and audits the
// result: one source per class, so the straddle is expected and recorded,
// and the audit passes. 50 variants a source give train 40 a class, so the
// last 20% of the shuffled train split (what Keras would hold out) misses a
// class with probability about 10 x 0.8^40 (1e-3) for a seed; with 10
// variants (8 a class) that is most seeds, and the test only passed for the
// order 0.4.0 happened to write.
func TestAuditGenerated(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := auditCLI("generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "50", "--size", "32", "--quiet"); code != 0 {
		t.Fatalf("generate exit %d: %s", code, stderr)
	}
	stdout, stderr, code := auditCLI("audit", out, "--keras-validation-split", "0.2")
	if code != 0 {
		t.Fatalf("audit exit %d, want 0\n%s%s", code, stdout, stderr)
	}
	for _, w := range []string{"EXPECTED", "split_level variant", "clean: no problems found"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
}
