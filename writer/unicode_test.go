package writer

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/augsplit/augsplit/wds"

	"github.com/augsplit/augsplit/schema"
)

// unicodeSamples is makeSamples with one class renamed to a CJK name and
// another to a name with a non-ASCII letter (composed) and a combining mark
// (decomposed, as macOS stores it), ids following "<class>_..." as generate
// makes them; the third class stays ASCII, so shards mix USTAR and PAX.
// The classes are sorted, as the writer requires.
func unicodeSamples(n int) ([]Sample, []string) {
	classes := []string{"Zellen_ä_u\u0308", "coccus", "細胞"}
	samples := makeSamples(n)
	for i := range samples {
		s := &samples[i]
		s.Class = classes[s.ClassIndex]
		s.ID = s.Class + "_" + s.ID
		s.Source = s.Class + "/" + filepath.Base(s.Source)
	}
	return samples, classes
}

func TestUnicodeIDRoundTrip(t *testing.T) {
	t.Parallel()
	samples, classes := unicodeSamples(30)
	dir := t.TempDir()
	card := write(t, dir, Options{
		Classes:     classes,
		Formats:     []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord},
		ShardSize:   4,
		SplitCounts: splitCounts(samples),
	}, samples)
	checkShardsOnDisk(t, dir, card)
	byID := map[string]Sample{}
	for _, s := range samples {
		byID[s.ID] = s
	}

	// Folder: <split>/<class>/<id>.png under the readable names.
	recs := readManifest(t, dir)
	if len(recs) != len(samples) {
		t.Fatalf("manifest has %d records, want %d", len(recs), len(samples))
	}
	for i, r := range recs {
		s := samples[i]
		if r.ID != s.ID || r.Class != s.Class {
			t.Errorf("manifest record %d: id %q class %q, want %q %q", i, r.ID, r.Class, s.ID, s.Class)
		}
		want := s.Split + "/" + s.Class + "/" + s.ID + ".png"
		if r.Path != want {
			t.Errorf("%s: path %q, want %q", s.ID, r.Path, want)
		}
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(want))); err != nil || !bytes.Equal(b, s.Data) {
			t.Errorf("%s: folder file: %v (same bytes: %v)", want, err, bytes.Equal(b, s.Data))
		}
	}

	// WebDataset: archive/tar reads back the UTF-8 names; non-ASCII ones
	// are PAX with nothing but a "path" record, ASCII ones plain USTAR.
	seen := map[string]bool{}
	for _, sh := range card.Shards {
		if sh.Format != schema.FormatWebDataset {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, sh.Path))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(bytes.NewReader(data))
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", sh.Path, err)
			}
			body, _ := io.ReadAll(tr)
			key, ext, _ := strings.Cut(h.Name, ".")
			s, ok := byID[key]
			if !ok {
				t.Errorf("%s: member %q has unknown key %q", sh.Path, h.Name, key)
				continue
			}
			seen[h.Name] = true
			if ext == "png" && !bytes.Equal(body, s.Data) {
				t.Errorf("%s: %s differs from the sample data", sh.Path, h.Name)
			}
			wantFormat, wantPAX := tar.FormatUSTAR, map[string]string(nil)
			if !isASCII(h.Name) { // USTAR holds every ASCII name: schema.MaxIDLen+".json" is 100 bytes
				wantFormat, wantPAX = tar.FormatPAX, map[string]string{"path": h.Name}
			}
			if h.Format != wantFormat || !maps.Equal(h.PAXRecords, wantPAX) {
				t.Errorf("%s: %s: format %v, PAX records %v; want %v, %v", sh.Path, h.Name, h.Format, h.PAXRecords, wantFormat, wantPAX)
			}
			if h.Typeflag != tar.TypeReg || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" ||
				!h.ModTime.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
				t.Errorf("%s: %s: header %+v is not the fixed one", sh.Path, h.Name, h)
			}
		}
	}
	for _, s := range samples {
		for _, ext := range []string{".png", ".cls", ".json"} {
			if !seen[s.ID+ext] {
				t.Errorf("webdataset has no member %q", s.ID+ext)
			}
		}
	}

	// TFRecord: source_id and class text carry the UTF-8 names.
	n := 0
	for _, sh := range card.Shards {
		if sh.Format != schema.FormatTFRecord {
			continue
		}
		for _, f := range readTFRecords(t, filepath.Join(dir, sh.Path)) {
			id := string(f["image/source_id"].Bytes[0])
			s, ok := byID[id]
			if !ok {
				t.Errorf("%s: source_id %q unknown", sh.Path, id)
				continue
			}
			if got := string(f["image/class/text"].Bytes[0]); got != s.Class {
				t.Errorf("%s: %s class text %q, want %q", sh.Path, id, got, s.Class)
			}
			n++
		}
	}
	if n != len(samples) {
		t.Errorf("tfrecord shards hold %d samples, want %d", n, len(samples))
	}
}

// TestUnicodeShardsDeterministic: PAX headers carry no times or names that
// vary, so two runs give the same bytes.
func TestUnicodeShardsDeterministic(t *testing.T) {
	t.Parallel()
	samples, classes := unicodeSamples(30)
	opts := Options{Classes: classes, Formats: []string{schema.FormatWebDataset, schema.FormatTFRecord}, ShardSize: 6, SplitCounts: splitCounts(samples)}
	a, b := t.TempDir(), t.TempDir()
	write(t, a, opts, samples)
	time.Sleep(1100 * time.Millisecond) // a wall-clock time in a header would now differ
	write(t, b, opts, samples)
	sa, sb := snapshot(t, a), snapshot(t, b)
	if !slices.Equal(sortedKeys(sa), sortedKeys(sb)) {
		t.Fatalf("file lists differ:\n%v\n%v", sortedKeys(sa), sortedKeys(sb))
	}
	for k, v := range sa {
		if sb[k] != v {
			t.Errorf("%s differs between two identical runs", k)
		}
	}
}

// TestUnicodeShardBytes: the PAX headers of non-ASCII members are part of
// the size reserved for a sample, so no shard of several samples is over
// ShardBytes and the accounting matches the real file size exactly.
func TestUnicodeShardBytes(t *testing.T) {
	t.Parallel()
	samples, classes := unicodeSamples(30)
	for limit := int64(4000); limit <= 24000; limit += 1000 {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			card := write(t, dir, Options{Classes: classes, Formats: []string{schema.FormatWebDataset}, ShardSize: 1000, ShardBytes: limit}, samples)
			checkShardsOnDisk(t, dir, card)
			next := 0 // samples are written in order, split by split
			bySplit := map[string][]Sample{}
			for _, s := range samples {
				bySplit[s.Split] = append(bySplit[s.Split], s)
			}
			used := map[string]int{}
			for _, sh := range card.Shards {
				fi, err := os.Stat(filepath.Join(dir, sh.Path))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size() > limit && sh.Samples > 1 {
					t.Errorf("%s: %d bytes on disk hold %d samples, over the %d byte limit", sh.Path, fi.Size(), sh.Samples, limit)
				}
				// The reserved sizes of its samples plus the trailer are
				// the file's size: the accounting is exact.
				want := int64(1024)
				for _, s := range bySplit[sh.Split][used[sh.Split] : used[sh.Split]+sh.Samples] {
					want += wdsSampleSize(s)
				}
				used[sh.Split] += sh.Samples
				if fi.Size() != want {
					t.Errorf("%s: %d bytes on disk, its samples reserved %d", sh.Path, fi.Size(), want)
				}
				next += sh.Samples
			}
			if next != len(samples) {
				t.Errorf("shards hold %d samples, want %d", next, len(samples))
			}
		})
	}
}

// wdsSampleSize writes one sample's three members with the wds codec, as
// the writer does, and returns the bytes they take: the ground truth the
// writer's reservation must match.
func wdsSampleSize(s Sample) int64 {
	var buf bytes.Buffer
	js := fmt.Sprintf(`{"class":%q,"class_index":%d,"source":%q,"variant":%d,"params":%s}`, s.Class, s.ClassIndex, s.Source, s.Variant, paramsOrEmpty(s))
	ws := wds.Sample{Key: s.ID, Members: []wds.Member{{Ext: "png", Data: s.Data}, {Ext: "cls", Data: []byte(fmt.Sprint(s.ClassIndex))}, {Ext: "json", Data: []byte(js)}}}
	if err := wds.NewWriter(&buf).WriteSample(&ws); err != nil {
		panic(err)
	}
	return int64(buf.Len())
}

func paramsOrEmpty(s Sample) string {
	if len(s.Params) == 0 {
		return "[]"
	}
	return string(s.Params)
}

func isASCII(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) < 0
}
