package writer

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/augsplit/augsplit/tfrecord"

	"github.com/augsplit/augsplit/schema"
)

func TestWebDatasetMembers(t *testing.T) {
	t.Parallel()
	samples := makeSamples(25)
	dir := t.TempDir()
	card := write(t, dir, Options{Formats: []string{schema.FormatWebDataset}, ShardSize: 4}, samples)
	byID := map[string]Sample{}
	for _, s := range samples {
		byID[s.ID] = s
	}
	seen := map[string]string{} // key -> shard
	for _, sh := range card.Shards {
		data, err := os.ReadFile(filepath.Join(dir, sh.Path))
		if err != nil {
			t.Fatal(err)
		}
		if len(data)%512 != 0 {
			t.Errorf("%s: %d bytes, not a whole number of tar blocks", sh.Path, len(data))
		}
		if !bytes.Equal(data[len(data)-1024:], make([]byte, 1024)) {
			t.Errorf("%s: does not end with two zero blocks", sh.Path)
		}
		// The raw first header: USTAR magic and version, as Python's
		// tarfile and GNU tar expect.
		if got := string(data[257:265]); got != "ustar\x0000" {
			t.Errorf("%s: magic+version = %q, want %q", sh.Path, got, "ustar\x0000")
		}
		tr := tar.NewReader(bytes.NewReader(data))
		var names []string
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", sh.Path, err)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, h.Name)
			checkHeader(t, sh.Path, h)
			key, ext, _ := strings.Cut(h.Name, ".")
			s, ok := byID[key]
			if !ok {
				t.Errorf("%s: member %s has unknown key %q", sh.Path, h.Name, key)
				continue
			}
			switch ext {
			case "png":
				if !bytes.Equal(body, s.Data) {
					t.Errorf("%s: %s differs from the sample data", sh.Path, h.Name)
				}
			case "cls":
				if got, want := string(body), strconv.Itoa(s.ClassIndex); got != want {
					t.Errorf("%s: %s = %q, want %q", sh.Path, h.Name, got, want)
				}
			case "json":
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatalf("%s: %s: %v", sh.Path, h.Name, err)
				}
				if m["class"] != s.Class || m["class_index"] != float64(s.ClassIndex) || m["source"] != s.Source || m["variant"] != float64(s.Variant) || m["bit_depth"] != float64(s.BitDepth) || m["params"] == nil {
					t.Errorf("%s: %s = %s, want class/class_index/source/variant/bit_depth/params of %s", sh.Path, h.Name, body, s.ID)
				}
			default:
				t.Errorf("%s: unexpected member %s", sh.Path, h.Name)
			}
		}
		// Adjacency: members come in runs of three with one key.
		if len(names)%3 != 0 || len(names)/3 != sh.Samples {
			t.Fatalf("%s: %d members for %d samples", sh.Path, len(names), sh.Samples)
		}
		for i := 0; i < len(names); i += 3 {
			key := strings.TrimSuffix(names[i], ".png")
			want := []string{key + ".png", key + ".cls", key + ".json"}
			if got := names[i : i+3]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: members %v, want adjacent %v", sh.Path, got, want)
			}
			if prev, dup := seen[key]; dup {
				t.Errorf("key %s in %s and %s", key, prev, sh.Path)
			}
			seen[key] = sh.Path
		}
	}
	if len(seen) != len(samples) {
		t.Errorf("shards hold %d keys, want %d", len(seen), len(samples))
	}
}

func checkHeader(t *testing.T, shard string, h *tar.Header) {
	t.Helper()
	want := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if h.Typeflag != tar.TypeReg || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(want) || h.Format != tar.FormatUSTAR {
		t.Errorf("%s: %s header = type %c mode %o uid %d gid %d uname %q gname %q mtime %v format %v; want regular 0644 0 0 \"\" \"\" %v USTAR",
			shard, h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime, h.Format, want)
	}
}

// readTFRecords reads the records of a TFRecord file and parses each
// Example; the codec has its own tests against independent readers.
func readTFRecords(t *testing.T, path string) []tfrecord.Example {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tfrecord.Example
	r := tfrecord.NewReader(f)
	for {
		rec, _, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ex, err := tfrecord.ParseExample(rec)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, ex)
	}
}

// one returns the single value of feature key of ex, failing the test
// unless it has exactly one of the kind wanted.
func one[T any](t *testing.T, ex tfrecord.Example, key string, kind tfrecord.FeatureKind, list func(tfrecord.Feature) []T) T {
	t.Helper()
	f := ex[key]
	if f.Kind != kind || len(list(f)) != 1 {
		t.Fatalf("%s = %+v, want one value of kind %d", key, f, kind)
	}
	return list(f)[0]
}

func TestTFRecordContents(t *testing.T) {
	t.Parallel()
	samples := makeSamples(20)
	dir := t.TempDir()
	card := write(t, dir, Options{Formats: []string{schema.FormatTFRecord}, ShardSize: 3, SplitCounts: splitCounts(samples)}, samples)
	var got []Sample
	bitDepth := map[string]int{}
	for _, sh := range card.Shards {
		recs := readTFRecords(t, filepath.Join(dir, sh.Path))
		if len(recs) != sh.Samples {
			t.Errorf("%s: %d records, card says %d", sh.Path, len(recs), sh.Samples)
		}
		for _, f := range recs {
			varint := func(key string) int {
				return int(one(t, f, key, tfrecord.Int64Kind, func(f tfrecord.Feature) []int64 { return f.Int64 }))
			}
			bytesOf := func(key string) []byte {
				return one(t, f, key, tfrecord.BytesKind, func(f tfrecord.Feature) [][]byte { return f.Bytes })
			}
			if len(f) != 12 {
				t.Errorf("example has %d features, want 12", len(f))
			}
			id := string(bytesOf("image/source_id"))
			if got := string(bytesOf("image/filename")); got != id+".png" {
				t.Errorf("%s: image/filename = %q, want %q", id, got, id+".png")
			}
			sum := sha256.Sum256(bytesOf("image/encoded"))
			if got := string(bytesOf("image/key/sha256")); got != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: image/key/sha256 = %q, want the hex sha256 of image/encoded", id, got)
			}
			bitDepth[id] = varint("image/bit_depth")
			got = append(got, Sample{
				Record: schema.Record{
					ID: string(bytesOf("image/source_id")), Class: string(bytesOf("image/class/text")),
					ClassIndex: varint("image/class/label"), Width: varint("image/width"), Height: varint("image/height"),
					Channels: varint("image/channels"), Params: bytesOf("augsplit/params"), Split: sh.Split,
				},
				Data: bytesOf("image/encoded"),
			})
			if string(bytesOf("image/format")) != "png" {
				t.Errorf("image/format = %q, want png", bytesOf("image/format"))
			}
		}
	}
	if len(got) != len(samples) {
		t.Fatalf("read %d examples, want %d", len(got), len(samples))
	}
	want := map[string]Sample{}
	for _, s := range samples {
		if len(s.Params) == 0 {
			s.Params = json.RawMessage("[]")
		}
		want[s.ID] = s
	}
	for _, g := range got {
		w := want[g.ID]
		if bitDepth[g.ID] != w.BitDepth {
			t.Errorf("example %s: image/bit_depth = %d, want %d", g.ID, bitDepth[g.ID], w.BitDepth)
		}
		if g.Class != w.Class || g.ClassIndex != w.ClassIndex || g.Width != w.Width || g.Height != w.Height ||
			g.Channels != w.Channels || string(g.Params) != string(w.Params) || g.Split != w.Split || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("example %s = %+v, want %+v", g.ID, g.Record, w.Record)
		}
	}
}

func TestShardsMixClasses(t *testing.T) {
	t.Parallel()
	// The Put order is the planned, shuffled order; shards cut it into
	// consecutive runs, so each shard of several samples mixes classes.
	samples := makeSamples(30)
	dir := t.TempDir()
	card := write(t, dir, Options{Formats: []string{schema.FormatWebDataset}, ShardSize: 5}, samples)
	for _, sh := range card.Shards {
		if sh.Samples < 2 {
			continue
		}
		f, err := os.Open(filepath.Join(dir, sh.Path))
		if err != nil {
			t.Fatal(err)
		}
		classes := map[string]bool{}
		tr := tar.NewReader(f)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if strings.HasSuffix(h.Name, ".cls") {
				b, _ := io.ReadAll(tr)
				classes[string(b)] = true
			}
		}
		f.Close()
		if len(classes) < 2 {
			t.Errorf("%s: %d samples of a single class", sh.Path, sh.Samples)
		}
	}
}
