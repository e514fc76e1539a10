package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

var partArgs = []string{"--in", cellsDir, "--per-source", "8", "--size", "24", "--png-compression", "speed",
	"--format", "folder,webdataset,tfrecord", "--shard-size", "9", "--quiet"}

// runErr runs a command line and returns its exit code and its error's
// text followed by its stderr (what main prints).
func runErr(args ...string) (stdout, msg string, code int) {
	var o, e strings.Builder
	ctx := context.Background()
	err := run(ctx, args, &o, &e)
	msg = e.String()
	if err != nil {
		msg = err.Error() + "\n" + msg
	}
	return o.String(), msg, exitCode(ctx, err)
}

// Issue 13, as a scheduler runs it: N parts as separate processes with
// JOB_COMPLETION_INDEX set (two of them twice at once), then seal: the
// bytes of a one-machine generate.
func TestPartsAsProcessesThenSeal(t *testing.T) {
	bin := buildBinary(t)
	one := filepath.Join(t.TempDir(), "one")
	if _, stderr, code := runCLI(append([]string{"generate", "--out", one}, partArgs...)...); code != 0 {
		t.Fatalf("one-machine generate: exit %d: %s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "parts")
	const n = 3
	var wg sync.WaitGroup
	errs := make([]string, n+2)
	for i, idx := range []int{0, 1, 2, 1, 2} {
		wg.Go(func() {
			cmd := exec.Command(bin, append([]string{"generate", "--out", out, "--parts", fmt.Sprint(n)}, partArgs...)...)
			cmd.Env = append(os.Environ(), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", idx))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Sprintf("part %d: %v: %s", idx, err, stderr.String())
			} else if !strings.Contains(stderr.String(), fmt.Sprintf("--part %d from JOB_COMPLETION_INDEX", idx)) {
				errs[i] = fmt.Sprintf("part %d: stderr does not say where --part came from: %s", idx, stderr.String())
			}
		})
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	stdout, stderr, code := runCLI("seal", out, "--json")
	if code != 0 {
		t.Fatalf("seal: exit %d: %s", code, stderr)
	}
	var sum runSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Total != 80 || sum.UpToDate {
		t.Errorf("seal --json: %v, total %d, up to date %v: %s", err, sum.Total, sum.UpToDate, stdout)
	}
	got, want := filetest.Read(t, out), filetest.Read(t, one)
	if len(got) != len(want) {
		t.Errorf("sealed OUT has %d files, the one-machine run %d", len(got), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s differs from the one-machine run", name)
		}
	}
	if _, stderr, code := runCLI("seal", out); code != 0 || !strings.Contains(stderr, "already sealed") {
		t.Errorf("second seal: exit %d: %s", code, stderr)
	}
	if _, _, code := runCLI("verify", out); code != 0 {
		t.Errorf("verify of the sealed OUT: exit %d", code)
	}
}

func TestPartsUsage(t *testing.T) {
	for _, v := range indexVars {
		t.Setenv(v, "")
	}
	out := filepath.Join(t.TempDir(), "o")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--parts", "3"}, "JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, CLOUD_RUN_TASK_INDEX, SLURM_ARRAY_TASK_ID"},
		{[]string{"--part", "1"}, "--part needs --parts"},
		{[]string{"--parts", "3", "--part", "3"}, "want 0 to 2"},
		{[]string{"--parts", "3", "--part", "0", "--shard-bytes", "100000"}, "--shard-bytes"},
		{[]string{"--parts", "3", "--part", "0", "--force"}, "--force"},
		{[]string{"--preview", "--out", "s3://b/p"}, "--preview"},
	} {
		args := append([]string{"generate", "--in", cellsDir, "--out", out}, tc.args...)
		_, stderr, code := runErr(args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
	t.Setenv("AWS_BATCH_JOB_ARRAY_INDEX", "x")
	if _, stderr, code := runErr("generate", "--in", cellsDir, "--out", out, "--parts", "2"); code != 2 || !strings.Contains(stderr, "AWS_BATCH_JOB_ARRAY_INDEX") {
		t.Errorf("bad index variable: exit %d, stderr %q", code, stderr)
	}
	// The first variable set wins.
	t.Setenv("AWS_BATCH_JOB_ARRAY_INDEX", "")
	t.Setenv("CLOUD_RUN_TASK_INDEX", "1")
	t.Setenv("SLURM_ARRAY_TASK_ID", "0")
	stdout, stderr, code := runErr(append([]string{"generate", "--out", out, "--parts", "2", "--json"}, partArgs...)...)
	var res partResult
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Part != 1 || res.Parts != 2 || res.Samples == 0 {
		t.Errorf("part from CLOUD_RUN_TASK_INDEX: exit %d, %+v, stderr %q", code, res, stderr)
	}
	if !strings.Contains(stderr, "--part 1 from CLOUD_RUN_TASK_INDEX") {
		t.Errorf("stderr %q does not say where --part came from", stderr)
	}
	// QA 4: a part with other flags than the plan's is refused with exit
	// 2 (a podFailurePolicy fails the Job instead of retrying), naming
	// the setting, without advice that --parts refuses (--force).
	_, stderr, code = runErr(append([]string{"generate", "--out", out, "--parts", "2", "--part", "0", "--seed", "7"}, partArgs...)...)
	if code != 2 || !strings.Contains(stderr, "holds the parts of another run (seed: ") || strings.Contains(stderr, "--force") {
		t.Errorf("part with another seed: exit %d, stderr %q; want exit 2 naming the seed, not --force", code, stderr)
	}
	// QA 5: a part that owns no unit says so; seal of a missing folder
	// says there is nothing there, not how the lock failed.
	_, stderr, code = runErr(append([]string{"generate", "--out", out, "--parts", "500", "--part", "499"}, partArgs...)...)
	if code != 0 || !regexp.MustCompile(`note: part 499 of 500 owns no units: the plan has [0-9]+; --parts above [0-9]+ leaves parts idle`).MatchString(stderr) {
		t.Errorf("idle part: exit %d, stderr %q; want exit 0 and a note", code, stderr)
	}
	missing := filepath.Join(t.TempDir(), "nothing")
	if _, stderr, code := runErr("seal", missing); code != 1 || !strings.Contains(stderr, "no dataset or parts at "+missing) || strings.Contains(stderr, "lock") {
		t.Errorf("seal of a missing folder: exit %d, stderr %q", code, stderr)
	}
	// Seal with part 0 missing: exit 1, naming the part to run.
	_, stderr, code = runErr("seal", out)
	if code != 1 || !strings.Contains(stderr, "--parts 2 --part 0") {
		t.Errorf("seal with a part missing: exit %d, stderr %q; want exit 1 naming --parts 2 --part 0", code, stderr)
	}
}

// A part SIGKILLed part-way (temporaries and half a unit left behind),
// run again, then the other part and seal: the one-machine bytes.
func TestPartKilledThenRerunConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs generate several times")
	}
	bin := buildBinary(t)
	args := func(out string, part int) []string {
		return append([]string{"generate", "--out", out, "--parts", "2", "--part", fmt.Sprint(part)}, partArgs...)
	}
	ref := filepath.Join(t.TempDir(), "ref")
	if _, stderr, code := runCLI(append([]string{"generate", "--out", ref}, partArgs...)...); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, stderr)
	}
	want := filetest.Read(t, ref)
	for _, killAfter := range []int{0, 7, 30} {
		t.Run(fmt.Sprint(killAfter), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cmd := exec.Command(bin, args(out, 0)...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
				if countFiles(filepath.Join(out, schema.StageDir)) >= killAfter {
					break
				}
				time.Sleep(time.Millisecond)
			}
			_ = cmd.Process.Kill()
			if err := cmd.Wait(); err == nil {
				t.Skip("the part finished before the kill landed")
			}
			for _, part := range []int{0, 1} {
				if o, err := exec.Command(bin, args(out, part)...).CombinedOutput(); err != nil {
					t.Fatalf("part %d: %v\n%s", part, err, o)
				}
			}
			if _, stderr, code := runCLI("seal", out, "--quiet"); code != 0 {
				t.Fatalf("seal: exit %d: %s", code, stderr)
			}
			got := filetest.Read(t, out)
			for name, b := range want {
				if !bytes.Equal(got[name], b) {
					t.Errorf("%s differs from the one-machine run", name)
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("extra file %s", name)
				}
			}
		})
	}
}
