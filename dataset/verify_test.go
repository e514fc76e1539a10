package dataset

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

func TestVerifyClean(t *testing.T) {
	t.Parallel()
	for _, o := range []outOptions{
		{folder: true},
		{folder: true, webdataset: true, tfrecord: true},
		{tfrecord: true, perClass: map[string]int{schema.Train: 2, schema.Val: 1, schema.Test: 1}},
	} {
		b := buildOUT(t, o)
		rep, err := Verify(context.Background(), b.dir)
		if err != nil {
			t.Fatalf("%+v: Verify: %v", o, err)
		}
		if !rep.OK() {
			t.Errorf("%+v: problems in a clean dataset: %q", o, rep.Problems)
		}
		want := 0
		for _, f := range []bool{o.folder, o.webdataset, o.tfrecord} {
			if f {
				want += len(b.records)
			}
		}
		if rep.Checked != want {
			t.Errorf("%+v: Checked = %d, want %d", o, rep.Checked, want)
		}
	}
}

func rewrite(t *testing.T, p string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	filetest.Write(t, p, edit(b))
}

// editCard changes the card as a hand edit would.
func editCard(t *testing.T, dir string, edit func(c *schema.Card)) {
	t.Helper()
	rewrite(t, filepath.Join(dir, schema.CardFile), func(b []byte) []byte {
		var c schema.Card
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		edit(&c)
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	})
}

func TestVerifyFindings(t *testing.T) {
	t.Parallel()
	all := outOptions{folder: true, webdataset: true, tfrecord: true}
	tests := []struct {
		name   string
		opts   outOptions
		break_ func(t *testing.T, b *builtOUT)
		want   []string // each must appear in some problem; "PATH0" is the first record's path
	}{
		{"one changed byte in one PNG", all, func(t *testing.T, b *builtOUT) {
			rewrite(t, filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path)), func(d []byte) []byte {
				d[len(d)/2] ^= 1
				return d
			})
		}, []string{"PATH0: sha256 is", "the file was changed"}},
		{"deleted file", all, func(t *testing.T, b *builtOUT) {
			os.Remove(filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path)))
		}, []string{"PATH0: missing"}},
		{"extra file", all, func(t *testing.T, b *builtOUT) {
			filetest.Write(t, filepath.Join(b.dir, "train", "alpha", "stray.png"), []byte("x"))
		}, []string{"train/alpha/stray.png: unexpected file"}},
		{"manifest line edited", all, func(t *testing.T, b *builtOUT) {
			rewrite(t, filepath.Join(b.dir, schema.ManifestFile), func(d []byte) []byte {
				return bytes.Replace(d, []byte(`"variant":1,`), []byte(`"variant":7,`), 1)
			})
		}, []string{"manifest.jsonl: sha256 is", "changed after it was written"}},
		{"manifest class moved", all, func(t *testing.T, b *builtOUT) {
			rewrite(t, filepath.Join(b.dir, schema.ManifestFile), func(d []byte) []byte {
				return bytes.Replace(d, []byte(`"class":"alpha","class_index":0`), []byte(`"class":"beta","class_index":1`), 1)
			})
		}, []string{`class "alpha" split "train": manifest has 2 samples, the card says 3`, "manifest.jsonl: sha256 is"}},
		{"manifest line broken", all, func(t *testing.T, b *builtOUT) {
			rewrite(t, filepath.Join(b.dir, schema.ManifestFile), func(d []byte) []byte {
				return bytes.Replace(d, []byte(`{"id"`), []byte(`{"id`), 1)
			})
		}, []string{"manifest.jsonl:1: not a JSON record", "lists 7 samples, the card's total is 8"}},
		{"manifest deleted", all, func(t *testing.T, b *builtOUT) {
			os.Remove(filepath.Join(b.dir, schema.ManifestFile))
		}, []string{"manifest.jsonl: missing"}},
		{"card count edited", all, func(t *testing.T, b *builtOUT) {
			editCard(t, b.dir, func(c *schema.Card) { c.Counts["beta"][schema.Val] = 5; c.Total = 12 })
		}, []string{`class "beta" split "val": manifest has 1 samples, the card says 5`, "the card's total is 12"}},
		{"card edited to hide a class from a split", all, func(t *testing.T, b *builtOUT) {
			editCard(t, b.dir, func(c *schema.Card) { c.Classes = append(c.Classes, "gamma") })
		}, []string{`class "gamma" has no samples in split "train"`, "classes.txt: does not list"}},
		{"card provenance edited (seed, split level)", all, func(t *testing.T, b *builtOUT) {
			editCard(t, b.dir, func(c *schema.Card) {
				c.Seed++
				for k := range c.SplitLevel {
					c.SplitLevel[k] = "source"
				}
			})
		}, []string{"dataset.json: was changed after it was written"}},
		{"no card: interrupted run", all, func(t *testing.T, b *builtOUT) {
			os.Remove(filepath.Join(b.dir, schema.CardFile))
		}, []string{"dataset is incomplete", "re-run the same command"}},
		{"card not JSON", all, func(t *testing.T, b *builtOUT) {
			filetest.Write(t, filepath.Join(b.dir, schema.CardFile), []byte("{"))
		}, []string{"not a valid dataset card"}},
		{"class missing from a split", outOptions{folder: true}, func(t *testing.T, b *builtOUT) {
			// Drop beta's only val sample everywhere, consistently, as a buggy writer would.
			var keep [][]byte
			m, _ := os.ReadFile(filepath.Join(b.dir, schema.ManifestFile))
			for _, l := range bytes.SplitAfter(m, []byte("\n")) {
				if !bytes.Contains(l, []byte(`"split":"val","class":"beta"`)) && len(l) > 0 {
					keep = append(keep, l)
				}
			}
			nm := bytes.Join(keep, nil)
			filetest.Write(t, filepath.Join(b.dir, schema.ManifestFile), nm)
			for _, r := range b.records {
				if r.Split == schema.Val && r.Class == "beta" {
					os.Remove(filepath.Join(b.dir, filepath.FromSlash(r.Path)))
				}
			}
			editCard(t, b.dir, func(c *schema.Card) {
				delete(c.Counts["beta"], "val")
				c.Total--
				c.ManifestSHA256 = filetest.SHA256(nm)
			})
		}, []string{`class "beta" has no samples in split "val"`}},
		{"flipped byte in a tfrecord shard", all, func(t *testing.T, b *builtOUT) {
			rewrite(t, filepath.Join(b.dir, "tfrecord", "train-00000-of-00002.tfrecord"), func(d []byte) []byte {
				d[40] ^= 1
				return d
			})
		}, []string{"shard tfrecord/train-00000-of-00002.tfrecord: at byte offset 0: data CRC mismatch",
			"tfrecord/train-00000-of-00002.tfrecord: sha256 is", "holds 0 samples, the card says 3"}},
		{"truncated webdataset shard", all, func(t *testing.T, b *builtOUT) {
			rewrite(t, filepath.Join(b.dir, "webdataset", "val-00001.tar"), func(d []byte) []byte { return d[:len(d)-1024] })
		}, []string{"shard webdataset/val-00001.tar: at byte offset", "no end-of-archive marker",
			"webdataset/val-00001.tar: 3072 bytes, the card says 4096"}},
		{"shard deleted", all, func(t *testing.T, b *builtOUT) {
			os.Remove(filepath.Join(b.dir, "webdataset", "train-00001.tar"))
		}, []string{"webdataset/train-00001.tar: missing", `webdataset shards of split "train" hold 3 samples, the manifest lists 6`}},
		{"shard index out of date", all, func(t *testing.T, b *builtOUT) {
			rewrite(t, filepath.Join(b.dir, "webdataset", schema.IndexFile), func(d []byte) []byte {
				return bytes.Replace(d, []byte(`"nsamples": 3`), []byte(`"nsamples": 4`), 1)
			})
		}, []string{`webdataset/index.json: split "train" lists 2 shards ([train-00000.tar:4 train-00001.tar:3]), the card 2 ([train-00000.tar:3 train-00001.tar:3])`}},
		{"shard index missing", all, func(t *testing.T, b *builtOUT) {
			os.Remove(filepath.Join(b.dir, "tfrecord", schema.IndexFile))
		}, []string{"tfrecord/index.json: missing"}},
		{"stray shard", all, func(t *testing.T, b *builtOUT) {
			filetest.Write(t, filepath.Join(b.dir, "tfrecord", "train-000009.tfrecord.tmp"), nil)
		}, []string{"tfrecord/train-000009.tfrecord.tmp: unexpected file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := buildOUT(t, tc.opts)
			tc.break_(t, b)
			rep, err := Verify(context.Background(), b.dir)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if rep.OK() {
				t.Fatalf("Verify found nothing")
			}
			all := strings.Join(rep.Problems, "\n")
			t.Logf("problems:\n%s", all)
			for _, w := range tc.want {
				w = strings.ReplaceAll(w, "PATH0", b.records[0].Path)
				if !strings.Contains(all, w) {
					t.Errorf("no problem mentions %q; problems:\n%s", w, all)
				}
			}
		})
	}
}

func TestVerifyMissingFolder(t *testing.T) {
	t.Parallel()
	if _, err := Verify(context.Background(), filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Errorf("Verify of a missing folder: no error")
	}
}
