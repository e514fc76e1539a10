package dataset

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/augsplit/augsplit/writer"
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

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatalf("encode png: %v", err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeTree writes files (slash paths relative to a new temp root).
func makeTree(t testing.TB, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	for p, data := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(p)), data)
	}
	return root
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
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

// --- hand-made TFRecord and tf.train.Example encoding, independent of writer ---

func frame(data []byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
	b = binary.LittleEndian.AppendUint32(b, MaskedCRC32C(b[:8]))
	b = append(b, data...)
	return binary.LittleEndian.AppendUint32(b, MaskedCRC32C(data))
}

func pbBytes(b []byte, num int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(num<<3|2))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// exampleFeature is one feature of a test Example.
type exampleFeature struct {
	key   string
	bytes [][]byte
	ints  []int64
}

func encodeExample(fs []exampleFeature) []byte {
	var features []byte
	for _, f := range fs {
		var feat []byte
		switch {
		case f.bytes != nil:
			var l []byte
			for _, v := range f.bytes {
				l = pbBytes(l, 1, v)
			}
			feat = pbBytes(nil, 1, l)
		default:
			var packed []byte
			for _, v := range f.ints {
				packed = binary.AppendUvarint(packed, uint64(v))
			}
			feat = pbBytes(nil, 3, pbBytes(nil, 1, packed))
		}
		entry := pbBytes(nil, 1, []byte(f.key))
		entry = pbBytes(entry, 2, feat)
		features = pbBytes(features, 1, entry)
	}
	return pbBytes(nil, 1, features)
}

func tfExample(rec writer.Record, data []byte) []byte {
	return encodeExample([]exampleFeature{
		{key: "image/encoded", bytes: [][]byte{data}},
		{key: "image/format", bytes: [][]byte{[]byte("png")}},
		{key: "image/height", ints: []int64{int64(rec.Height)}},
		{key: "image/width", ints: []int64{int64(rec.Width)}},
		{key: "image/class/label", ints: []int64{int64(rec.ClassIndex)}},
		{key: "image/class/text", bytes: [][]byte{[]byte(rec.Class)}},
		{key: "image/source_id", bytes: [][]byte{[]byte(rec.ID)}},
	})
}

// tarMember is one member of a hand-made tar.
type tarMember struct {
	name string
	data []byte
	typ  byte
}

func makeTar(t testing.TB, members []tarMember) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range members {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: typ,
			ModTime: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Format: tar.FormatUSTAR}
		if typ != tar.TypeReg {
			h.Size = 0
			h.Linkname = "elsewhere"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(m.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// --- a hand-built augsplit OUT ---

type outOptions struct {
	folder, webdataset, tfrecord bool
	perClass                     map[string]int // split -> samples per class
}

// builtOUT is what buildOUT wrote, for assertions.
type builtOUT struct {
	dir     string
	card    writer.Card
	records []writer.Record // manifest order
	images  map[string]*image.Gray
}

// buildOUT writes a tiny OUT by hand: two classes, PNGs, a manifest in a
// mixed (not class-sorted) order, classes.txt, shards on request, and the
// card last, as the writer promises to.
func buildOUT(t testing.TB, o outOptions) *builtOUT {
	t.Helper()
	if o.perClass == nil {
		o.perClass = map[string]int{writer.Train: 3, writer.Val: 1}
	}
	dir := t.TempDir()
	classes := []string{"alpha", "beta"}
	b := &builtOUT{dir: dir, images: map[string]*image.Gray{}}
	var splits []string
	for _, s := range []string{writer.Train, writer.Val, writer.Test} {
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
				png := encodePNG(t, img)
				rec := writer.Record{ID: id, Split: s, Class: c, ClassIndex: ci, Source: c + "/src.png",
					SourceSHA256: strings.Repeat("ab", 32), Variant: seed, Params: json.RawMessage("[]"),
					Width: 4, Height: 3, Channels: 1, BitDepth: 8, SHA256: sha(png)}
				if o.folder {
					rec.Path = path.Join(s, c, id+".png")
					writeFile(t, filepath.Join(dir, filepath.FromSlash(rec.Path)), png)
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
	writeFile(t, filepath.Join(dir, ManifestFile), manifest.Bytes())
	writeFile(t, filepath.Join(dir, ClassesFile), []byte(strings.Join(classes, "\n")+"\n"))

	card := writer.Card{Tool: "augsplit", Version: "test", Command: "generate", Seed: 1,
		Config: json.RawMessage("{}"), Fingerprint: "f", Classes: classes, Splits: splits,
		Counts: counts, SplitLevel: map[string]string{"alpha": "variant", "beta": "variant"},
		Total: len(b.records), ManifestSHA256: sha(manifest.Bytes())}
	if o.folder {
		card.Formats = append(card.Formats, FormatFolder)
	}
	// Two shards per split and format, filled in manifest order.
	for _, s := range splits {
		var recs []writer.Record
		for _, r := range b.records {
			if r.Split == s {
				recs = append(recs, r)
			}
		}
		half := (len(recs) + 1) / 2
		parts := [][]writer.Record{recs[:half], recs[half:]}
		if o.webdataset {
			for i, part := range parts {
				var ms []tarMember
				for _, r := range part {
					meta, _ := json.Marshal(map[string]any{"class": r.Class, "variant": r.Variant})
					ms = append(ms, tarMember{name: r.ID + ".png", data: data[r.ID]},
						tarMember{name: r.ID + ".cls", data: []byte(fmt.Sprint(r.ClassIndex))},
						tarMember{name: r.ID + ".json", data: meta})
				}
				tb := makeTar(t, ms)
				p := fmt.Sprintf("webdataset/%s-%06d.tar", s, i)
				writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), tb)
				card.Shards = append(card.Shards, writer.Shard{Format: FormatWebDataset, Split: s, Path: p,
					Samples: len(part), Bytes: int64(len(tb)), SHA256: sha(tb)})
			}
		}
		if o.tfrecord {
			for i, part := range parts {
				var tb []byte
				for _, r := range part {
					tb = append(tb, frame(tfExample(r, data[r.ID]))...)
				}
				p := fmt.Sprintf("tfrecord/%s-%06d-of-%06d.tfrecord", s, i, len(parts))
				writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), tb)
				card.Shards = append(card.Shards, writer.Shard{Format: FormatTFRecord, Split: s, Path: p,
					Samples: len(part), Bytes: int64(len(tb)), SHA256: sha(tb)})
			}
		}
	}
	if o.webdataset {
		card.Formats = append(card.Formats, FormatWebDataset)
	}
	if o.tfrecord {
		card.Formats = append(card.Formats, FormatTFRecord)
	}
	sort.Strings(card.Formats)
	cj, err := writer.SealCard(&card)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, CardFile), cj)
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
