//go:build faults && unix

package faults

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// longRun starts a generate that takes a few seconds and waits until its
// lock file names its pid; it returns the command and its stderr.
func longRun(t *testing.T, out string, extra ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	args := append([]string{"generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "150",
		"--format", "folder,webdataset,tfrecord", "--shard-size", "50", "--workers", "1", "--quiet"}, extra...)
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	want := strconv.Itoa(cmd.Process.Pid) + "\n"
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(out, ".augsplit-lock")); err == nil && string(b) == want {
			if _, err := os.Stat(filepath.Join(out, ".augsplit-partial")); err == nil {
				return cmd, &stderr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lock file naming pid %d in %s after a minute\n%s", cmd.Process.Pid, out, stderr.String())
		}
	}
}

// Issue 11 row 3: two runs on one OUT; the second used to "resume" over the
// first and break it.
func TestSecondRunOnOneOutIsLockedOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	first, stderr := longRun(t, out)
	pid := strconv.Itoa(first.Process.Pid)
	for _, extra := range [][]string{nil, {"--force"}} {
		args := append([]string{"generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "150",
			"--format", "folder,webdataset,tfrecord", "--shard-size", "50", "--quiet"}, extra...)
		r := run(t, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "pid "+pid) {
			t.Errorf("second run %v: exit %d, stderr %q; want 1 naming pid %s", extra, r.code, r.stderr, pid)
		}
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v\n%s", err, stderr)
	}
	if r := run(t, "verify", out); r.code != 0 {
		t.Errorf("verify after both runs: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, ".augsplit-lock")); err == nil {
		t.Errorf("lock file left after the run")
	}
}

// Issue 11 row 2: the run marker deleted under a running generate used to
// end in "remove run marker: no such file", exit 1, a card and no manifest.
func TestMarkerDeletedDuringRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	cmd, stderr := longRun(t, out)
	if err := os.Remove(filepath.Join(out, ".augsplit-partial")); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr)
	}
	for _, f := range []string{"dataset.json", "manifest.jsonl"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if r := run(t, "verify", out); r.code != 0 {
		t.Errorf("verify: exit %d\n%s", r.code, r.stderr)
	}
}

// Issue 11 row 9: killed while the marker was being created, OUT holds
// only the marker's temporary; the re-run used to refuse it.
func TestKilledDuringMarkerCreation(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, ".augsplit-tmp-.augsplit-partial-2895701"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	in := sources(t)
	if r := run(t, "generate", "--in", in, "--out", out, "--per-source", "3", "--val", "0"); r.code != 0 {
		t.Fatalf("re-run: exit %d\n%s", r.code, r.stderr)
	}
	if r := run(t, "verify", out); r.code != 0 {
		t.Errorf("verify: exit %d\n%s", r.code, r.stderr)
	}
}

// Issue 11 row 1: --force used to delete the user's files under train/
// and test/, and --out $HOME was accepted.
func TestForceKeepsTheUsersFiles(t *testing.T) {
	proj := t.TempDir()
	files := map[string]string{"test/unit_test.go": "t\n", "train/IMPORTANT.csv": "d\n"}
	for rel, data := range files {
		p := filepath.Join(proj, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	in := sources(t)
	for _, args := range [][]string{
		{"generate", "--in", in, "--out", proj, "--per-source", "5", "--force"},
		{"split", "--in", in, "--out", proj, "--force"},
	} {
		r := run(t, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "test/unit_test.go") || strings.Contains(r.stderr, "--force") {
			t.Errorf("%s: exit %d, stderr %q; want 1 naming test/unit_test.go without suggesting --force", args[0], r.code, r.stderr)
		}
	}
	for rel, data := range files {
		if b, err := os.ReadFile(filepath.Join(proj, rel)); err != nil || string(b) != data {
			t.Errorf("%s: %q %v: the user's file was touched", rel, b, err)
		}
	}
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, ".bashrc"), []byte("x"), 0o644)
	cmd := exec.Command(bin, "generate", "--in", in, "--out", home, "--force")
	cmd.Env = append(os.Environ(), "HOME="+home)
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "home folder") {
		t.Errorf("--out $HOME --force: %v\n%s", err, b)
	}
}
