package writer

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runInterop runs testdata/interop.py (Python standard library only) on
// dir and returns its exit error and combined output.
func runInterop(t *testing.T, dir string) (string, error) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: skipping the WebDataset/TFRecord interoperability check (issue 4)")
	}
	out, err := exec.Command(py, filepath.Join("testdata", "interop.py"), dir).CombinedOutput()
	return string(out), err
}

func interopDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	samples := makeSamples(50)
	write(t, dir, Options{
		Formats:     []string{FormatFolder, FormatWebDataset, FormatTFRecord},
		ShardSize:   8,
		SplitCounts: splitCounts(samples),
	}, samples)
	return dir
}

func TestPythonInterop(t *testing.T) {
	dir := interopDataset(t)
	out, err := runInterop(t, dir)
	if err != nil || !strings.HasPrefix(out, "ok: webdataset: 50 samples") || !strings.Contains(out, "tfrecord: 50 samples") {
		t.Fatalf("interop.py: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
}

// TestPythonInteropDetects shows the script is not a rubber stamp: it
// rejects a flipped bit and a manifest that disagrees with the shards.
func TestPythonInteropDetects(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantMsg string
	}{
		{
			name: "bit flip in a tfrecord",
			damage: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "tfrecord", "train-000001-of-000005.tfrecord")
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				b[40] ^= 1
				os.WriteFile(p, b, 0o644)
				dropShardsFromCard(t, dir) // so the CRC, not the card's sha256, catches it
			},
			wantMsg: "bad data crc at offset 0",
		},
		{
			name: "shard changed behind the card's back",
			damage: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "webdataset", "val-000000.tar")
				b, _ := os.ReadFile(p)
				os.WriteFile(p, append(b, make([]byte, 512)...), 0o644)
			},
			wantMsg: "val-000000.tar",
		},
		{
			name: "manifest missing a sample",
			damage: func(t *testing.T, dir string) {
				p := filepath.Join(dir, ManifestName)
				b, _ := os.ReadFile(p)
				lines := bytes.SplitAfter(b, []byte("\n"))
				os.WriteFile(p, bytes.Join(lines[1:], nil), 0o644)
			},
			wantMsg: "not in the manifest",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := interopDataset(t)
			tt.damage(t, dir)
			out, err := runInterop(t, dir)
			if err == nil || !strings.Contains(out, tt.wantMsg) {
				t.Errorf("interop.py on a damaged dataset: err %v, output %q; want failure mentioning %q", err, out, tt.wantMsg)
			}
		})
	}
}

func dropShardsFromCard(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, CardName)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var card map[string]any
	if err := json.Unmarshal(b, &card); err != nil {
		t.Fatal(err)
	}
	delete(card, "shards")
	b, _ = json.Marshal(card)
	os.WriteFile(p, b, 0o644)
}
