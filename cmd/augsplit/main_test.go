package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, 2},
		{"unknown command", []string{"frobnicate"}, 2},
		{"bad flag", []string{"generate", "--no-such-flag"}, 2},
		{"missing in/out", []string{"generate"}, 2},
		{"bad val", []string{"generate", "--in", "x", "--out", "y", "--val", "1.5"}, 2},
		{"bad size", []string{"generate", "--in", "x", "--out", "y", "--size", "0x4"}, 2},
		{"out inside in", []string{"generate", "--in", "../../testdata/cells", "--out", "../../testdata/cells/out"}, 2},
		{"split regex without group", []string{"split", "--in", "x", "--out", "y", "--group-regex", "ring"}, 2},
		{"split bad regex", []string{"split", "--in", "x", "--out", "y", "--group-regex", "("}, 2},
		{"missing input folder", []string{"generate", "--in", "/nonexistent/augsplit", "--out", "/tmp/nonexistent-augsplit-out"}, 1},
		{"verify missing", []string{"verify", "/nonexistent/augsplit"}, 1},
		{"help", []string{"help"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(tc.args...)
			if code != tc.want {
				t.Errorf("exit code %d, want %d (stderr: %s)", code, tc.want, stderr)
			}
		})
	}
}

func TestPrintConfigToStdout(t *testing.T) {
	stdout, _, code := runCLI("generate", "--print-config", "--per-source", "7", "--size", "48")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"per_source: 7", "size: \"48\"", "pipeline:", "rotate"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("printed config lacks %q:\n%s", want, stdout)
		}
	}
}

func TestGenerateVerifyTamper(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, code := runCLI("generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "5", "--size", "32", "--quiet")
	if code != 0 {
		t.Fatalf("generate exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runCLI("verify", out)
	if code != 0 {
		t.Fatalf("verify of a fresh dataset: exit %d\n%s%s", code, stdout, stderr)
	}
	// Change one byte of one PNG: verify must fail naming it.
	var victim string
	_ = filepath.WalkDir(filepath.Join(out, "val"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && victim == "" {
			victim = p
		}
		return nil
	})
	b, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(victim, b, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = runCLI("verify", out)
	if code != 1 {
		t.Fatalf("verify after tampering: exit %d, want 1", code)
	}
	if !strings.Contains(stdout+stderr, filepath.Base(victim)) {
		t.Errorf("verify output does not name %s:\n%s%s", filepath.Base(victim), stdout, stderr)
	}
}

// Ctrl-C part-way: the workers stop, no temporary files remain, no manifest,
// exit 130 (143 for SIGTERM).
func TestSignalStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	bin := buildBinary(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(bin, "generate", "--in", "../../testdata/cells", "--out", out,
				"--per-source", "3000", "--size", "96", "--workers", "2")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until samples are being written, then interrupt.
			deadline := time.Now().Add(60 * time.Second)
			for time.Now().Before(deadline) {
				if n := countFiles(filepath.Join(out, schema.StageDir, "train")); n > 20 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			_ = cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.want {
				t.Fatalf("exit: %v, want code %d; stderr:\n%s", err, tc.want, stderr.String())
			}
			_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				base := d.Name()
				if base == "manifest.jsonl" || base == "dataset.json" {
					t.Errorf("interrupted run wrote %s", base)
				}
				if strings.Contains(base, ".tmp") || (strings.HasPrefix(base, ".") && base != ".augsplit-partial") {
					t.Errorf("temporary file left behind: %s", p)
				}
				return nil
			})
			// Issue 12: nothing an ImageFolder loader would read.
			if n := countFiles(filepath.Join(out, "train")); n > 0 {
				t.Errorf("interrupted run left %d images under train/", n)
			}
		})
	}
}

// SIGKILL part-way leaves no manifest, so verify calls the dataset
// incomplete; re-running the same command completes it, byte-identical to
// an uninterrupted run. Checked at several kill points.
func TestKillThenRerunConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs generate several times")
	}
	bin := buildBinary(t)
	args := func(out string) []string {
		return []string{"generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "60",
			"--size", "64", "--format", "folder,webdataset,tfrecord", "--shard-size", "50", "--quiet"}
	}
	ref := filepath.Join(t.TempDir(), "ref")
	if out, err := exec.Command(bin, args(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	want := filetest.Read(t, ref)
	for _, killAfter := range []int{0, 5, 150, 500} {
		t.Run(fmt.Sprint(killAfter), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(bin, args(out)...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
				if countFiles(filepath.Join(out, "train"))+countFiles(filepath.Join(out, "val")) >= killAfter {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if _, err := os.Stat(filepath.Join(out, "dataset.json")); err == nil {
				t.Skip("the run finished before the kill landed")
			}
			if _, _, code := runCLI("verify", out); code != 1 {
				t.Errorf("verify of a killed run: exit %d, want 1", code)
			}
			if o, err := exec.Command(bin, args(out)...).CombinedOutput(); err != nil {
				t.Fatalf("re-run: %v\n%s", err, o)
			}
			got := filetest.Read(t, out)
			if len(got) != len(want) {
				t.Errorf("re-run has %d files, uninterrupted run %d", len(got), len(want))
			}
			for name, b := range want {
				if !bytes.Equal(got[name], b) {
					t.Errorf("%s differs from the uninterrupted run", name)
				}
			}
		})
	}
}

func TestGeneratePreviewWritesPictures(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	_, stderr, code := runCLI("generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "3", "--size", "32", "--quiet", "--preview")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"preview.png", "splits.png"} {
		fi, err := os.Stat(filepath.Join(out, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, code := runCLI("verify", out); code != 0 {
		t.Errorf("verify after --preview: exit %d", code)
	}
}
