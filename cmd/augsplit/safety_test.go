package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

// runCLIErr is runCLI with the error main would print added to stderr.
func runCLIErr(args ...string) (stderr string, code int) {
	var o, e bytes.Buffer
	ctx := context.Background()
	err := run(ctx, args, &o, &e)
	if err != nil {
		e.WriteString("augsplit: " + err.Error() + "\n")
	}
	return e.String(), exitCode(ctx, err)
}

// Issue 11, row 1: --force never removes a user's file under augsplit's names.
func TestForceKeepsUserFilesUnderAugsplitNames(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{
		{"generate", "--per-source", "5"},
		{"split", "--val", "0"},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			t.Parallel()
			proj := t.TempDir()
			files := map[string]string{"test/unit_test.go": "t\n", "train/IMPORTANT.csv": "d\n"}
			for rel, data := range files {
				p := filepath.Join(proj, filepath.FromSlash(rel))
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(data), 0o644)
			}
			args := append(cmd, "--in", "../../testdata/cells", "--out", proj, "--force", "--quiet")
			stderr, code := runCLIErr(args...)
			if code != 1 || !strings.Contains(stderr, "test/unit_test.go") || strings.Contains(stderr, "--force") {
				t.Errorf("exit %d, stderr %q: want 1, naming test/unit_test.go, not suggesting --force", code, stderr)
			}
			for rel, data := range files {
				if got, err := os.ReadFile(filepath.Join(proj, filepath.FromSlash(rel))); err != nil || string(got) != data {
					t.Errorf("%s: %q, %v: the user's file was touched", rel, got, err)
				}
			}
		})
	}
}

// Row 10: one input typed four ways is one run, and the card holds no
// absolute path.
func TestInputSpellingsAreOneRun(t *testing.T) {
	t.Parallel()
	abs, err := filepath.Abs("../../testdata/cells")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, in := range []string{"../../testdata/cells", "../../testdata/cells/", "./../../testdata/cells", abs, abs + "/."} {
		_, stderr, code := runCLI("generate", "--in", in, "--out", out, "--per-source", "2", "--size", "16", "--quiet")
		if code != 0 {
			t.Fatalf("--in %s: exit %d: %s", in, code, stderr)
		}
		data, err := os.ReadFile(filepath.Join(out, schema.CardFile))
		if err != nil {
			t.Fatal(err)
		}
		var card struct {
			Config struct {
				In string `json:"in"`
			} `json:"config"`
		}
		if err := json.Unmarshal(data, &card); err != nil {
			t.Fatal(err)
		}
		if card.Config.In != "../../testdata/cells" {
			t.Errorf("--in %s: card records in %q, want ../../testdata/cells", in, card.Config.In)
		}
		if strings.Contains(string(data), abs) {
			t.Errorf("--in %s: the card holds the absolute path %s", in, abs)
		}
	}
}

func TestSkipReasonsAreRelativeToIn(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	for _, c := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(src, c), 0o755)
		for _, n := range []string{"1", "2", "3"} {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			img.Pix[len(n)+int(n[0])%60] = 200 // distinct sources
			img.Pix[c[0]%64] = 100
			filetest.WritePNG(t, filepath.Join(src, c, n+".png"), img)
		}
	}
	os.WriteFile(filepath.Join(src, "a", "bad.png"), []byte("not a png"), 0o644)
	out := t.TempDir()
	_, stderr, code := runCLI("generate", "--in", src, "--out", out, "--per-source", "2", "--skip-bad", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, schema.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	var card schema.Card
	if err := json.Unmarshal(data, &card); err != nil {
		t.Fatal(err)
	}
	if len(card.Skipped) != 1 || !strings.HasPrefix(card.Skipped[0].Reason, "a/bad.png: ") {
		t.Errorf("skipped = %+v, want a/bad.png with a reason naming it relative to --in", card.Skipped)
	}
	// --in is recorded relative to the working folder ("../../../tmp/..."
	// from here); no value may start with, or quote, the absolute path.
	if strings.Contains(string(data), `"`+src) || strings.Contains(string(data), " "+src) {
		t.Errorf("the card holds the absolute path %s:\n%s", src, data)
	}
}

// Row 11: --workers and --size are bounded.
func TestResourceFlagsBounded(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "o")
	stderr, code := runCLIErr("generate", "--in", "../../testdata/cells", "--out", out, "--size", "32768")
	if code != 2 || !strings.Contains(stderr, "--max-pixels") || !strings.Contains(stderr, "--size") {
		t.Errorf("--size 32768: exit %d, %q; want 2 naming --size and --max-pixels", code, stderr)
	}
	stderr, code = runCLIErr("generate", "--in", "../../testdata/cells", "--out", out, "--size", "64", "--max-pixels", "4000")
	if code != 2 || !strings.Contains(stderr, "--max-pixels 4000") {
		t.Errorf("--size 64 --max-pixels 4000: exit %d, %q; want 2 naming --max-pixels", code, stderr)
	}
	stderr, code = runCLIErr("generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "2", "--size", "16", "--workers", "100000", "--quiet")
	if code != 0 || !strings.Contains(stderr, "--workers 100000") {
		t.Errorf("--workers 100000: exit %d, %q; want 0 and a note that it was bounded", code, stderr)
	}
	cfg := generate.Config{Workers: 100000}
	cfg.Normalize()
	if cfg.Workers != generate.MaxWorkers() || generate.MaxWorkers() > 256 {
		t.Errorf("Normalize: workers %d, want %d (at most 256)", cfg.Workers, generate.MaxWorkers())
	}
}
