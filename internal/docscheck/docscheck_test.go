// Package docscheck keeps the prose honest: every Go identifier that docs/*.md
// and README.md name in backticks (`writer.Open`, `schema.Card`,
// `(*writer.Out).Commit`, `split.Result.Order`) must exist in the package it
// names, so a rename that forgets the docs fails `make test`.
package docscheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// root is the module root, two levels up from this package.
const root = "../.."

// decls maps a package name to its exported top-level names, plus
// "Type.Member" for methods and struct fields.
func decls(t *testing.T) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "out" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkg := f.Name.Name
		if pkg == "main" {
			return nil
		}
		names := out[pkg]
		if names == nil {
			names = map[string]bool{}
			out[pkg] = names
		}
		collect(f, names)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func collect(f *ast.File, names map[string]bool) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				names[d.Name.Name] = true
				continue
			}
			if typ := recvType(d.Recv.List[0].Type); typ != "" {
				names[typ+"."+d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names[s.Name.Name] = true
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, fl := range st.Fields.List {
							for _, n := range fl.Names {
								names[s.Name.Name+"."+n.Name] = true
							}
						}
					}
					if it, ok := s.Type.(*ast.InterfaceType); ok {
						for _, m := range it.Methods.List {
							for _, n := range m.Names {
								names[s.Name.Name+"."+n.Name] = true
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names[n.Name] = true
					}
				}
			}
		}
	}
}

func recvType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// ref matches `pkg.Name`, `pkg.Type.Member` and `(*pkg.Type).Method` inside
// backticks, optionally followed by a call's parentheses.
var ref = regexp.MustCompile("`\\(?\\*?([a-z][a-z0-9]*)\\.([A-Z][A-Za-z0-9_]*)\\)?(?:\\.([A-Z][A-Za-z0-9_]*))?(?:\\([^`]*\\))?[^`]*`")

func TestDocsNameRealIdentifiers(t *testing.T) {
	t.Parallel()
	known := decls(t)
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	checked := 0
	var missing []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(data), -1) {
			pkg, name, member := m[1], m[2], m[3]
			names, ok := known[pkg]
			if !ok {
				continue // not one of ours (yaml.Node, image.Gray, rand.Rand...)
			}
			checked++
			want := name
			if member != "" {
				want = name + "." + member
			}
			if !names[want] {
				missing = append(missing, filepath.Base(file)+": "+strings.Trim(m[0], "`"))
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s: no such identifier in the code (rename it in the doc, or restore it)", m)
	}
	if checked < 20 {
		t.Fatalf("only %d references checked: the pattern or the docs changed", checked)
	}
}
