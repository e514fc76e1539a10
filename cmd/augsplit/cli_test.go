package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// commandPaths lists every command a user can name, as argument lists
// ("completion bash" is {"completion", "bash"}).
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			p := append(append([]string(nil), path...), sub.Name())
			paths = append(paths, p)
			walk(sub, p)
		}
	}
	root := newRootCmd(io.Discard, io.Discard)
	paths = append(paths, nil)
	walk(root, nil)
	if len(paths) < 15 {
		t.Fatalf("only %d commands found: %v", len(paths), paths)
	}
	return paths
}

// TestEveryHelp: -h and `help CMD` print the command's own help on stdout
// with exit 0, and every help has a synopsis and examples.
func TestEveryHelp(t *testing.T) {
	for _, path := range commandPaths(t) {
		name := strings.Join(append([]string{"augsplit"}, path...), " ")
		t.Run(name, func(t *testing.T) {
			out, errOut, code := runCLI(append(append([]string(nil), path...), "-h")...)
			if code != 0 || errOut != "" {
				t.Fatalf("-h: exit %d, stderr %q", code, errOut)
			}
			for _, want := range []string{"Usage:\n  " + name, "Examples:\n  augsplit"} {
				if !strings.Contains(out, want) {
					t.Errorf("-h lacks %q:\n%s", want, out)
				}
			}
			viaHelp, errOut, code := runCLI(append([]string{"help"}, path...)...)
			if code != 0 || errOut != "" || viaHelp != out {
				t.Errorf("help %s: exit %d, stderr %q; want the same text as -h:\n%s", strings.Join(path, " "), code, errOut, viaHelp)
			}
		})
	}
}

func TestHelpGenerateListsItsFlags(t *testing.T) {
	out, _, code := runCLI("help", "generate")
	if code != 0 || !strings.Contains(out, "--per-source int") || !strings.Contains(out, "--print-config") || strings.Contains(out, "Available Commands") {
		t.Errorf("help generate: exit %d, want generate's flags:\n%s", code, out)
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "# bash completion V2 for augsplit",
		"zsh":  "#compdef augsplit",
		"fish": "# fish completion for augsplit",
	} {
		out, errOut, code := runCLI("completion", shell)
		if code != 0 || !strings.HasPrefix(out, want) || errOut != "" {
			t.Errorf("completion %s: exit %d, stderr %q, starts %.60q", shell, code, errOut, out)
		}
	}
	if _, _, code := runCLI("completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
	// Completion knows the commands and their flags.
	out, _, _ := runCLI("__complete", "generate", "--per")
	if !strings.Contains(out, "--per-source") {
		t.Errorf("__complete generate --per: %q", out)
	}
}

func TestUsageMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the error
		help string // the command main points to
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, "augsplit"},
		{[]string{"generat"}, "did you mean generate?", "augsplit"},
		{[]string{"generate", "--no-such-flag"}, "unknown flag: --no-such-flag", "augsplit generate"},
		{[]string{"verify", "a", "b"}, "verify: want exactly one dataset folder, got 2 arguments", "augsplit verify"},
		{[]string{"generate", "stray"}, `generate: unexpected argument "stray"`, "augsplit generate"},
		{[]string{"train", "--epochs", "x"}, `invalid argument "x" for "--epochs"`, "augsplit train"},
		{[]string{"help", "frobnicate"}, `no help for "frobnicate"`, "augsplit"},
	} {
		_, _, code := runCLI(tc.args...)
		err := run(t.Context(), tc.args, new(strings.Builder), new(strings.Builder))
		var ue *usageError
		if code != 2 || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) || ue.help != tc.help {
			t.Errorf("%q: exit %d, err %v (help %q); want exit 2 containing %q, help %q", tc.args, code, err, ue.help, tc.want, tc.help)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, _, code := runCLI(args...)
		if code != 0 || !strings.HasPrefix(out, "augsplit ") {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

// TestSingleDashLongFlags: Go-style -flag, which augsplit took before it
// used pflag, still works; a flag's value is never rewritten.
func TestSingleDashLongFlags(t *testing.T) {
	out, errOut, code := runCLI("generate", "-print-config", "-per-source", "7", "-size=48", "-color", "gray")
	if code != 0 || !strings.Contains(out, "per_source: 7") || !strings.Contains(out, `size: "48"`) || !strings.Contains(out, "color: gray") {
		t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
	got := longForm(newRootCmd(io.Discard, io.Discard), []string{"split", "-group-regex", "-in", "-in", "x", "--", "-out"})
	if want := "split --group-regex -in --in x -- -out"; strings.Join(got, " ") != want {
		t.Errorf("longForm = %q, want %q", strings.Join(got, " "), want)
	}
}

// TestGenerateConfigAndFlags: defaults, then the file, then the flags
// given; and the file's mistakes in the one format.
func TestGenerateConfigAndFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("per_source: 7\nseed: 3\nformats: [tfrecord, folder]\n")
	out, errOut, code := runCLI("generate", "--config", file, "--seed", "9", "--print-config")
	for _, want := range []string{"per_source: 7", "seed: 9", "formats: [folder, tfrecord]", "val: 0.2"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d, stderr %q; printed config lacks %q:\n%s", code, errOut, want, out)
		}
	}
	for _, tc := range []struct{ yaml, want string }{
		{"val: 1.5\n", file + ":1: val: 1.5 is out of range (valid: 0 to below 1)"},
		{"per_source: 3\nvall: 0.2\n", file + ":2: vall: unknown key (valid: per_source, val, test,"},
		{"seed: lots\n", file + `:1: seed: want a non-negative whole number, got "lots"`},
		{"color: purple\n", file + `:1: color: unknown value "purple" (valid: keep, gray, grey, rgb)`},
		{"pipeline:\n  - {name: hflip}\n  - {name: twirl}\n", file + `:3: name: unknown transform "twirl" (valid: affine, brightness,`},
		{"pipeline:\n  - {name: rotate, degrees: [0, 720]}\n", file + ":2: degrees: 720 is out of range (valid: -360 to 360)"},
		{"formats: [folder, zip]\n", file + `:1: formats: unknown value "zip" (valid: folder, webdataset, tfrecord)`},
	} {
		write(tc.yaml)
		_, _, code := runCLI("generate", "--config", file, "--print-config")
		err := run(t.Context(), []string{"generate", "--config", file, "--print-config"}, new(strings.Builder), new(strings.Builder))
		if code != 2 || err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: exit %d, err %v; want exit 2 and %q", tc.yaml, code, err, tc.want)
		}
	}
}

// TestUsageErrorsOnStderr runs the binary: a usage mistake is exit 2 with
// the error and a pointer to the help on stderr, nothing on stdout.
func TestUsageErrorsOnStderr(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	for _, args := range [][]string{{"frobnicate"}, {"generate", "--no-such-flag"}, {"audit"}} {
		cmd := exec.Command(bin, args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || stdout.Len() > 0 ||
			!strings.HasPrefix(stderr.String(), "augsplit: ") || !strings.Contains(stderr.String(), "--help' for usage.") {
			t.Errorf("%v: %v, stdout %q, stderr %q", args, err, stdout.String(), stderr.String())
		}
	}
	cmd := exec.Command(bin, "generate", "-h")
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "Usage:") {
		t.Errorf("generate -h: %v, stdout %q", err, out)
	}
}

// TestPrintConfigSameOnEveryMachine: --print-config prints the workers
// asked for (0: one per CPU), not this machine's CPU count, and the
// printed file reads back.
func TestPrintConfigSameOnEveryMachine(t *testing.T) {
	out, errOut, code := runCLI("generate", "--print-config")
	if code != 0 || !strings.Contains(out, "\nworkers: 0 # 0: one per CPU\n") {
		t.Errorf("exit %d, stderr %q; default workers not printed as 0:\n%s", code, errOut, out)
	}
	file := filepath.Join(t.TempDir(), "printed.yaml")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	again, errOut, code := runCLI("generate", "--config", file, "--print-config")
	if code != 0 || again != out {
		t.Errorf("printed config read back: exit %d, stderr %q:\n%s\nwant\n%s", code, errOut, again, out)
	}
	out, _, _ = runCLI("generate", "--print-config", "--workers", "3")
	if !strings.Contains(out, "\nworkers: 3\n") {
		t.Errorf("--workers 3 not printed:\n%s", out)
	}
}
