package docscheck

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLibraryLinksNoBucketDrivers: the library packages (and what they
// import from this module) must not link gocloud.dev, the AWS SDK and
// gRPC, 20 MB and 36 modules that only a bucket URL needs; the augsplit
// command links them through internal/store/bucket.
func TestLibraryLinksNoBucketDrivers(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == "internal" || name == "tools" || name == "cmd" || name == "testdata" || name == "deploy" || strings.HasPrefix(name, ".") {
			continue
		}
		if _, ok := imports(t, name); !ok {
			continue
		}
		checked++
		seen := map[string]bool{}
		var walk func(pkg string, path []string)
		walk = func(pkg string, path []string) {
			if seen[pkg] {
				return
			}
			seen[pkg] = true
			path = append(path, pkg)
			for _, imp := range allImports(t, pkg) {
				if strings.HasPrefix(imp, "gocloud.dev") || strings.HasPrefix(imp, "github.com/aws/") || imp == module+"internal/store/bucket" {
					t.Errorf("library package %s links %s (through %s): keep bucket drivers behind internal/store/bucket, which only cmd/augsplit imports", name, imp, strings.Join(path, " -> "))
					continue
				}
				if rel, ok := strings.CutPrefix(imp, module); ok {
					walk(rel, path)
				}
			}
		}
		walk(name, nil)
	}
	if checked < 10 {
		t.Fatalf("only %d library packages found: the layout changed", checked)
	}
}

// allImports is every import path of the non-test Go files of dir.
func allImports(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(dir), "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out = append(out, p)
		}
	}
	return out
}
