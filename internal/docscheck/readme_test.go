package docscheck

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The README's "Use it as a Go library" program, between these markers, is
// built and run here exactly as a user would: its own module, the import
// path replaced by this checkout, augsplit's go.sum, no network.
const (
	programBegin = "<!-- library-program:begin"
	programEnd   = "<!-- library-program:end -->"
)

// readmeProgram returns the Go program between the markers and the lines
// the README says it prints (the `...` spans of the "It prints" line).
func readmeProgram(t *testing.T, readme string) (program string, prints []string) {
	t.Helper()
	i := strings.Index(readme, programBegin)
	j := strings.Index(readme, programEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md: no %q ... %q block: the library program test needs it", programBegin, programEnd)
	}
	block := readme[i:j]
	start := strings.Index(block, "```go\n")
	end := strings.LastIndex(block, "```")
	if start < 0 || end <= start {
		t.Fatalf("README.md: the library program block holds no ```go fence")
	}
	program = block[start+len("```go\n") : end]
	// The line after the block: "It prints `LINE` and `LINE`."
	after := strings.TrimLeft(readme[j+len(programEnd):], "\n")
	after, _, _ = strings.Cut(after, "\n")
	if !strings.HasPrefix(after, "It prints") {
		t.Fatalf("README.md: the line after the library program should say what it prints (\"It prints `...` and `...`.\"); got %q", after)
	}
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(after, -1) {
		prints = append(prints, m[1])
	}
	return program, prints
}

// TestReadmeLibraryProgram keeps the README's library program from rotting:
// a rename, a changed signature or a changed count fails here.
func TestReadmeLibraryProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a separate module: skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found: cannot build the README's program")
	}
	t.Parallel()
	repo, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	program, prints := readmeProgram(t, string(readme))
	if len(prints) == 0 {
		t.Fatal("README.md: the sentence after the library program names no printed line")
	}

	mod := t.TempDir()
	gomod := "module example.com/cells\n\ngo 1.26.8\n\nrequire github.com/augsplit/augsplit v0.0.0\n\n" +
		"replace github.com/augsplit/augsplit => " + repo + "\n"
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(program)} {
		if err := os.WriteFile(filepath.Join(mod, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = mod
		// Only modules already in the cache (this checkout's own
		// dependencies); no workspace of the caller's.
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %s in a module holding README.md's library program: %v\nstdout:\n%s\nstderr:\n%s\nprogram:\n%s",
				strings.Join(args, " "), err, stdout.String(), stderr.String(), program)
		}
		return stdout.String()
	}
	// No `go mod tidy`: it wants the test dependencies of every
	// dependency (yaml.v3's gopkg.in/check.v1), which a CI machine that ran
	// `go mod download` does not have; building needs only augsplit's own
	// requirement graph, which -mod=mod resolves from the copied go.sum.
	got := run("run", ".", filepath.Join(repo, "testdata", "cells"), filepath.Join(t.TempDir(), "out"))
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if strings.Join(lines, "\n") != strings.Join(prints, "\n") {
		t.Errorf("README.md says the library program prints\n  %s\nbut it printed\n  %s\n(update the README's \"It prints\" sentence, or the program)",
			strings.Join(prints, "\n  "), strings.Join(lines, "\n  "))
	}
}
