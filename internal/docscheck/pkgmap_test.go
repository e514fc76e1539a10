package docscheck

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	module        = "github.com/augsplit/augsplit/"
	pkgMapBegin   = "<!-- package-map:begin"
	pkgMapEnd     = "<!-- package-map:end -->"
	pkgMapDocName = "docs/SAMPLE.md"
)

// imports returns the augsplit packages the non-test Go files of dir
// import, module-relative and sorted; ok is false when dir holds none.
func imports(t *testing.T, dir string) (pkgs []string, ok bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(dir), "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		ok = true
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rel, found := strings.CutPrefix(p, module); found && !slices.Contains(pkgs, rel) {
				pkgs = append(pkgs, rel)
			}
		}
	}
	slices.Sort(pkgs)
	return pkgs, ok
}

// TestPackageMapMatchesImports keeps the package map of docs/SAMPLE.md
// true: each row's imports are the package's own, and every top-level
// library package has a row.
func TestPackageMapMatchesImports(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(root, pkgMapDocName))
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	i, j := strings.Index(page, pkgMapBegin), strings.Index(page, pkgMapEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q block", pkgMapDocName, pkgMapBegin, pkgMapEnd)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(page[i:j], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue // the marker, the header, the rule
		}
		pkg := strings.Trim(strings.TrimSpace(cells[1]), "`")
		listed[pkg] = true
		want := strings.Fields(cells[2])
		slices.Sort(want)
		got, ok := imports(t, pkg)
		if !ok {
			t.Errorf("%s: package map lists %s, which holds no Go package", pkgMapDocName, pkg)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: package map says %s imports %q; it imports %q (update the row)", pkgMapDocName, pkg, want, got)
		}
	}
	if len(listed) < 10 {
		t.Fatalf("%s: only %d rows read from the package map: the table's form changed", pkgMapDocName, len(listed))
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == "internal" || name == "tools" || name == "cmd" || name == "testdata" || strings.HasPrefix(name, ".") {
			continue
		}
		if _, ok := imports(t, name); ok && !listed[name] {
			t.Errorf("%s: package %s is missing from the package map", pkgMapDocName, name)
		}
	}
}
