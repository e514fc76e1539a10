package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

// grey makes a small grey image whose pixels depend on seed, so that two
// seeds give different content (and different sha256).
func grey(w, h, seed int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(i*7 + seed*31)
	}
	return m
}

// readTestdata reads a file from testdata/.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata (run go test -run TestTestdataUpToDate -update): %v", err)
	}
	return b
}

// --- shards, written with the codecs (tested on their own) ---

// tfExample is the Example augsplit writes for rec, less its params.
func tfExample(rec schema.Record, data []byte) []byte {
	return tfrecord.Example{
		"image/encoded":     tfrecord.BytesFeature(data),
		"image/format":      tfrecord.BytesFeature([]byte("png")),
		"image/height":      tfrecord.Int64Feature(int64(rec.Height)),
		"image/width":       tfrecord.Int64Feature(int64(rec.Width)),
		"image/class/label": tfrecord.Int64Feature(int64(rec.ClassIndex)),
		"image/class/text":  tfrecord.BytesFeature([]byte(rec.Class)),
		"image/source_id":   tfrecord.BytesFeature([]byte(rec.ID)),
	}.Marshal()
}

// --- a hand-built augsplit OUT ---

type outOptions struct {
	folder, webdataset, tfrecord bool
	perClass                     map[string]int // split -> samples per class
}

// builtOUT is what buildOUT wrote, for assertions.
type builtOUT struct {
	dir     string
	card    schema.Card
	records []schema.Record // manifest order
	images  map[string]*image.Gray
}

// buildOUT writes a tiny OUT by hand: two classes, PNGs, a manifest in a
// mixed (not class-sorted) order, classes.txt, shards on request, and the
// card last, as the writer promises to.
func buildOUT(t testing.TB, o outOptions) *builtOUT {
	t.Helper()
	if o.perClass == nil {
		o.perClass = map[string]int{schema.Train: 3, schema.Val: 1}
	}
	dir := t.TempDir()
	classes := []string{"alpha", "beta"}
	b := &builtOUT{dir: dir, images: map[string]*image.Gray{}}
	var splits []string
	for _, s := range []string{schema.Train, schema.Val, schema.Test} {
		if o.perClass[s] > 0 {
			splits = append(splits, s)
		}
	}
	counts := map[string]map[string]int{}
	data := map[string][]byte{}
	seed := 0
	for _, s := range splits {
		for i := 0; i < o.perClass[s]; i++ {
			for ci, c := range classes { // interleaved classes: a shuffled-looking order
				seed++
				id := fmt.Sprintf("%s_src-%04d", c, seed)
				img := grey(4, 3, seed)
				png := filetest.PNG(t, img)
				rec := schema.Record{ID: id, Split: s, Class: c, ClassIndex: ci, Source: c + "/src.png",
					SourceSHA256: strings.Repeat("ab", 32), Variant: seed, Params: json.RawMessage("[]"),
					Width: 4, Height: 3, Channels: 1, BitDepth: 8, SHA256: filetest.SHA256(png)}
				if o.folder {
					rec.Path = path.Join(s, c, id+".png")
					filetest.Write(t, filepath.Join(dir, filepath.FromSlash(rec.Path)), png)
				}
				b.records = append(b.records, rec)
				b.images[id] = img
				data[id] = png
				if counts[c] == nil {
					counts[c] = map[string]int{}
				}
				counts[c][s]++
			}
		}
	}
	var manifest bytes.Buffer
	for _, r := range b.records {
		line, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		manifest.Write(append(line, '\n'))
	}
	filetest.Write(t, filepath.Join(dir, schema.ManifestFile), manifest.Bytes())
	filetest.Write(t, filepath.Join(dir, schema.ClassesFile), []byte(strings.Join(classes, "\n")+"\n"))

	card := schema.Card{Tool: "augsplit", Version: "test", Command: "generate", Seed: 1,
		Config: json.RawMessage("{}"), Fingerprint: "f", Classes: classes, Splits: splits,
		Counts: counts, SplitLevel: map[string]string{"alpha": "variant", "beta": "variant"},
		Total: len(b.records), ManifestSHA256: filetest.SHA256(manifest.Bytes())}
	if o.folder {
		card.Formats = append(card.Formats, schema.FormatFolder)
	}
	// Two shards per split and format, filled in manifest order.
	for _, s := range splits {
		var recs []schema.Record
		for _, r := range b.records {
			if r.Split == s {
				recs = append(recs, r)
			}
		}
		half := (len(recs) + 1) / 2
		parts := [][]schema.Record{recs[:half], recs[half:]}
		if o.webdataset {
			for i, part := range parts {
				var tb bytes.Buffer
				w := wds.NewWriter(&tb)
				for _, r := range part {
					meta, _ := json.Marshal(map[string]any{"class": r.Class, "variant": r.Variant})
					ws := wds.Sample{Key: r.ID, Members: []wds.Member{{Ext: "png", Data: data[r.ID]},
						{Ext: "cls", Data: []byte(fmt.Sprint(r.ClassIndex))}, {Ext: "json", Data: meta}}}
					if err := w.WriteSample(&ws); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				p := fmt.Sprintf("webdataset/%s-%05d.tar", s, i)
				filetest.Write(t, filepath.Join(dir, filepath.FromSlash(p)), tb.Bytes())
				card.Shards = append(card.Shards, schema.Shard{Format: schema.FormatWebDataset, Split: s, Path: p,
					Samples: len(part), Bytes: int64(tb.Len()), SHA256: filetest.SHA256(tb.Bytes())})
			}
		}
		if o.tfrecord {
			for i, part := range parts {
				var tb bytes.Buffer
				w := tfrecord.NewWriter(&tb)
				for _, r := range part {
					if err := w.WriteRecord(tfExample(r, data[r.ID])); err != nil {
						t.Fatal(err)
					}
				}
				p := fmt.Sprintf("tfrecord/%s-%05d-of-%05d.tfrecord", s, i, len(parts))
				filetest.Write(t, filepath.Join(dir, filepath.FromSlash(p)), tb.Bytes())
				card.Shards = append(card.Shards, schema.Shard{Format: schema.FormatTFRecord, Split: s, Path: p,
					Samples: len(part), Bytes: int64(tb.Len()), SHA256: filetest.SHA256(tb.Bytes())})
			}
		}
	}
	if o.webdataset {
		card.Formats = append(card.Formats, schema.FormatWebDataset)
	}
	if o.tfrecord {
		card.Formats = append(card.Formats, schema.FormatTFRecord)
	}
	sort.Strings(card.Formats)
	for _, f := range card.Formats {
		if f == schema.FormatFolder {
			continue
		}
		idx, err := schema.MarshalIndex(schema.IndexOf(f, card.Shards))
		if err != nil {
			t.Fatal(err)
		}
		filetest.Write(t, filepath.Join(dir, f, schema.IndexFile), idx)
	}
	cj, err := schema.SealCard(&card)
	if err != nil {
		t.Fatal(err)
	}
	filetest.Write(t, filepath.Join(dir, schema.CardFile), cj)
	b.card = card
	return b
}

// recordsOf returns the ids of split in manifest order.
func (b *builtOUT) idsOf(split string) []string {
	var out []string
	for _, r := range b.records {
		if r.Split == split {
			out = append(out, r.ID)
		}
	}
	return out
}

func sameGrey(a image.Image, b *image.Gray) bool {
	g, ok := a.(*image.Gray)
	if !ok || g.Bounds() != b.Bounds() {
		return false
	}
	return bytes.Equal(g.Pix, b.Pix)
}
