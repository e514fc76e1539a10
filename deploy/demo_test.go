package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoCompare checks the judge of make scale-demo: scale-demo.sh
// --compare says OK only for two trees with the same names and bytes.
func TestDemoCompare(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	tree := func(files map[string]string) string {
		dir := t.TempDir()
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	base := map[string]string{"dataset.json": "{}", "train/round/a.png": "png", "manifest.jsonl": "{}\n"}
	cases := []struct {
		name   string
		other  map[string]string
		ok     bool
		naming string
	}{
		{"same", base, true, "OK: 3 files"},
		{"one byte", map[string]string{"dataset.json": "{}", "train/round/a.png": "pnG", "manifest.jsonl": "{}\n"}, false, "train/round/a.png"},
		{"missing", map[string]string{"dataset.json": "{}", "manifest.jsonl": "{}\n"}, false, "train/round/a.png"},
		{"extra", map[string]string{"dataset.json": "{}", "train/round/a.png": "png", "manifest.jsonl": "{}\n", "part-0.json": ""}, false, "part-0.json"},
	}
	a := tree(base)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := exec.Command(bash, demo, "--compare", a, tree(c.other)).CombinedOutput()
			if (err == nil) != c.ok || !strings.Contains(string(out), c.naming) {
				t.Errorf("--compare: %v, %q; want success %v and %q in the output", err, out, c.ok, c.naming)
			}
		})
	}
	if out, err := exec.Command(bash, demo, "--compare", t.TempDir(), t.TempDir()).CombinedOutput(); err == nil {
		t.Errorf("--compare of two empty folders: OK (%q); an empty bucket is no dataset", out)
	}
}
