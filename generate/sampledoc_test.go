package generate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/schema"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the manifest line quoted in docs/SAMPLE.md from what generate makes now")

// The page docs/SAMPLE.md follows one sample of this command and quotes its
// manifest line between these markers.
const (
	sampleDoc       = "../docs/SAMPLE.md"
	sampleLineBegin = "<!-- sample-manifest-line:begin"
	sampleLineEnd   = "<!-- sample-manifest-line:end -->"
	sampleCommand   = "augsplit generate --in testdata/cells --out OUT --per-source 5 --size 64 --seed 1"
)

// TestSampleDocManifestLine keeps docs/SAMPLE.md true: it runs the page's
// command and compares line 1 of the manifest with the quoted one, byte for
// byte, and the PNG it names with its sha256. A deliberate change of
// output bytes (which bumps Version) is taken in with -update-docs.
func TestSampleDocManifestLine(t *testing.T) {
	t.Parallel()
	page, err := os.ReadFile(sampleDoc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(sampleCommand)) {
		t.Fatalf("%s no longer shows the command %q this test runs; change both together", sampleDoc, sampleCommand)
	}
	quoted, start, end := quotedLine(t, page)

	cfg := Defaults()
	cfg.In, cfg.Out = cells, filepath.Join(t.TempDir(), "out")
	cfg.PerSource, cfg.Size, cfg.Seed = 5, Size{W: 64, H: 64}, 1
	cfg.Workers = 2
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(cfg.Out, schema.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := bytes.Cut(manifest, []byte("\n"))
	rec, err := schema.ParseRecord(got)
	if err != nil {
		t.Fatalf("line 1 of the manifest: %v", err)
	}
	png, err := os.ReadFile(filepath.Join(cfg.Out, filepath.FromSlash(rec.Path)))
	if err != nil {
		t.Fatalf("the PNG line 1 names: %v", err)
	}
	if sum := sha256.Sum256(png); hex.EncodeToString(sum[:]) != rec.SHA256 {
		t.Errorf("%s: sha256 %x, the manifest says %s", rec.Path, sum, rec.SHA256)
	}

	if string(got) == quoted {
		if !bytes.Contains(page, []byte("OUT/"+rec.Path)) {
			t.Errorf("%s quotes the right manifest line but never names its PNG as OUT/%s", sampleDoc, rec.Path)
		}
		return
	}
	if !*updateDocs {
		t.Fatalf("%s quotes line 1 of the manifest of\n  %s\nas\n  %s\nbut generate (Version %s) now writes\n  %s\n"+
			"If the change of output bytes is deliberate (and Version was bumped), run\n"+
			"  go test ./generate -run SampleDoc -update-docs\nand check the page's prose (sample id, PNG path, split) still fits.",
			sampleDoc, sampleCommand, quoted, Version, got)
	}
	old, err := schema.ParseRecord([]byte(quoted))
	updated := append(append(append([]byte(nil), page[:start]...), got...), page[end:]...)
	if err == nil && old.Path != "" {
		updated = bytes.ReplaceAll(updated, []byte("OUT/"+old.Path), []byte("OUT/"+rec.Path))
	}
	if err := os.WriteFile(sampleDoc, updated, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("rewrote the manifest line in %s; re-read its prose (the sample is now %s, %s)", sampleDoc, rec.ID, rec.Split)
}

// quotedLine returns the manifest line in the page's fenced block between
// the markers, and its byte range in the page.
func quotedLine(t *testing.T, page []byte) (line string, start, end int) {
	t.Helper()
	i := bytes.Index(page, []byte(sampleLineBegin))
	j := bytes.Index(page, []byte(sampleLineEnd))
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q block", sampleDoc, sampleLineBegin, sampleLineEnd)
	}
	const fence = "```json\n"
	k := bytes.Index(page[i:j], []byte(fence))
	if k < 0 {
		t.Fatalf("%s: the manifest line block holds no %q fence", sampleDoc, strings.TrimSpace(fence))
	}
	start = i + k + len(fence)
	nl := bytes.IndexByte(page[start:j], '\n')
	if nl < 0 {
		t.Fatalf("%s: the manifest line block is not one line and a closing fence", sampleDoc)
	}
	end = start + nl
	return string(page[start:end]), start, end
}
