package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/preview"
)

func TestPreviewCLI(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := auditCLI("generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "5", "--size", "32", "--quiet"); code != 0 {
		t.Fatalf("generate exit %d: %s", code, stderr)
	}
	stdout, stderr, code := auditCLI("preview", out, "--per-class", "3")
	if code != 0 {
		t.Fatalf("preview exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		file string
		w, h int
	}{
		{preview.SheetFile, preview.SheetSize(3, 10).X, preview.SheetSize(3, 10).Y},
		{preview.ChartFile, preview.ChartSize(10, 2).X, preview.ChartSize(10, 2).Y},
	} {
		p := filepath.Join(out, tc.file)
		if !strings.Contains(stdout, p) {
			t.Errorf("stdout does not name %s:\n%s", p, stdout)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if cfg.Width != tc.w || cfg.Height != tc.h {
			t.Errorf("%s is %dx%d, want %dx%d", tc.file, cfg.Width, cfg.Height, tc.w, tc.h)
		}
	}

	for _, args := range [][]string{{"preview"}, {"preview", out, "--per-class", "-1"}, {"preview", out, out}} {
		if _, _, code := auditCLI(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, _, code := auditCLI("preview", t.TempDir()); code != 1 {
		t.Errorf("preview of a folder that is no augsplit output: exit %d, want 1", code)
	}
}
