package deploy

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// stage is one FROM ... [AS name] of a Dockerfile and its instructions
// (continuation lines joined, comments dropped).
type stage struct {
	from, name string
	lines      []string
}

func dockerStages(t *testing.T, file string) []stage {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		fields := strings.Fields(line)
		if strings.EqualFold(fields[0], "FROM") {
			s := stage{from: fields[1]}
			if len(fields) == 4 && strings.EqualFold(fields[2], "AS") {
				s.name = fields[3]
			}
			stages = append(stages, s)
			return
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %q before the first FROM", file, line)
		}
		stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, line)
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if body, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// words splits a shell command line at spaces, honouring double and single
// quotes (enough for a go build line).
func words(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// buildLine returns the go build command in line without its -o OUTPUT,
// with the Makefile's $(GO) read as go, or nil if line builds nothing.
func buildLine(line string) []string {
	w := words(strings.ReplaceAll(line, "$(GO)", "go"))
	i := slices.Index(w, "go")
	if i < 0 || i+1 >= len(w) || w[i+1] != "build" {
		return nil
	}
	var out []string
	for j := 0; j < len(w); j++ {
		if w[j] == "-o" {
			j++
			continue
		}
		out = append(out, w[j])
	}
	return out
}

// makeRecipe returns the recipe lines of target in a Makefile.
func makeRecipe(t *testing.T, file, target string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var recipe []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, target+":"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			recipe = append(recipe, strings.TrimPrefix(line, "\t"))
		case in:
			return recipe
		}
	}
	if !in {
		t.Fatalf("%s: no %s target", file, target)
	}
	return recipe
}

func TestDockerfile(t *testing.T) {
	const file = "../Dockerfile"
	stages := dockerStages(t, file)
	if len(stages) != 2 {
		t.Fatalf("%s: want 2 stages (build, final), got %d", file, len(stages))
	}
	build, final := stages[0], stages[1]
	if !strings.HasPrefix(build.from, "golang:1.26") {
		t.Errorf("%s: build stage FROM %s, want golang:1.26 (go.mod's toolchain)", file, build.from)
	}
	if final.from != "gcr.io/distroless/static-debian12:nonroot" && final.from != "scratch" {
		t.Errorf("%s: final stage FROM %s, want distroless static (nonroot) or scratch", file, final.from)
	}
	var dockerBuild []string
	for _, l := range build.lines {
		if cmd, ok := strings.CutPrefix(l, "RUN "); ok {
			if b := buildLine(cmd); b != nil {
				dockerBuild = b
			}
		}
	}
	var makeBuild []string
	for _, l := range makeRecipe(t, "../Makefile", "static") {
		if b := buildLine(l); b != nil {
			makeBuild = b
		}
	}
	if dockerBuild == nil || makeBuild == nil {
		t.Fatalf("no go build line: Dockerfile %q, Makefile's static %q", dockerBuild, makeBuild)
	}
	if !slices.Equal(dockerBuild, makeBuild) {
		t.Errorf("%s builds with\n  %s\nbut make static with\n  %s\n(the image must hold the binary make static makes)",
			file, strings.Join(dockerBuild, " "), strings.Join(makeBuild, " "))
	}
	// gcs and azure: the image must speak every scheme the README promises it.
	for _, want := range []string{"CGO_ENABLED=0", "-tags", "gcs azure", "-trimpath", "-ldflags", "-s -w", "./cmd/augsplit"} {
		if !slices.Contains(dockerBuild, want) {
			t.Errorf("%s: go build line %q lacks %q", file, dockerBuild, want)
		}
	}
	var entry string
	copied := false
	for _, l := range final.lines {
		if e, ok := strings.CutPrefix(l, "ENTRYPOINT "); ok {
			entry = strings.TrimSpace(e)
		}
		if strings.HasPrefix(l, "COPY --from="+build.name+" ") && strings.HasSuffix(l, " /augsplit") {
			copied = true
		}
	}
	if entry != `["/augsplit"]` {
		t.Errorf("%s: ENTRYPOINT %s, want [\"/augsplit\"] (the manifests give only args)", file, entry)
	}
	if !copied {
		t.Errorf("%s: the final stage does not COPY --from=%s ... /augsplit", file, build.name)
	}
}

func TestWords(t *testing.T) {
	got := words(`CGO_ENABLED=0 go build -ldflags "-s -w" -o 'a b' ./x`)
	want := []string{"CGO_ENABLED=0", "go", "build", "-ldflags", "-s -w", "-o", "a b", "./x"}
	if !slices.Equal(got, want) {
		t.Errorf("words: got %q, want %q", got, want)
	}
}
