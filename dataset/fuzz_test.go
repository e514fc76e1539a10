package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"io"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/writer"
)

// Seed corpora live in testdata/fuzz/<target>/ (made by testdataFiles);
// `go test -fuzz FuzzX ./dataset/` explores from them.

func FuzzDecode(f *testing.F) {
	const budget = 1 << 16 // small, so the fuzzer spends its time on headers
	f.Fuzz(func(t *testing.T, data []byte) {
		img, format, err := Decode("fuzz.img", bytes.NewReader(data), budget)
		if err != nil {
			var de *DecodeError
			var tl *TooLargeError
			if !errors.As(err, &de) && !errors.As(err, &tl) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if !strings.Contains(err.Error(), "fuzz.img") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if Sniff(data) != format {
			t.Fatalf("format %q, sniffed %q", format, Sniff(data))
		}
		b := img.Bounds()
		if b.Min != (image.Point{}) || b.Dx() <= 0 || b.Dy() <= 0 || b.Dx()*b.Dy() > budget {
			t.Fatalf("bounds %v outside the budget of %d pixels", b, budget)
		}
		switch img.(type) {
		case *image.Gray, *image.Gray16, *image.NRGBA:
		default:
			t.Fatalf("type %T", img)
		}
	})
}

func FuzzManifest(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		err := ReadManifest(bytes.NewReader(data), "m.jsonl", func(line int, rec writer.Record) error {
			if rec.Path != "" && !safeRel(rec.Path) {
				t.Fatalf("line %d: unsafe path %q accepted", line, rec.Path)
			}
			// What was accepted must survive a round trip.
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatalf("line %d: marshal: %v", line, err)
			}
			if _, err := ParseRecord(b); err != nil {
				t.Fatalf("line %d: accepted, but not after a round trip: %v", line, err)
			}
			return nil
		})
		var me *ManifestError
		if err != nil && !errors.As(err, &me) {
			t.Fatalf("error of type %T: %v", err, err)
		}
	})
}

func FuzzTFRecord(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewTFRecordReader(bytes.NewReader(data), "f.tfrecord")
		var reframed []byte
		for {
			rec, off, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var se *ShardError
				if !errors.As(err, &se) || se.Path != "f.tfrecord" || se.Offset < 0 || se.Offset > int64(len(data)) {
					t.Fatalf("bad error %T: %v", err, err)
				}
				return
			}
			if off != int64(len(reframed)) {
				t.Fatalf("record at %d, want %d", off, len(reframed))
			}
			reframed = append(reframed, frame(rec)...)
			_, _ = ReadTFSample("f.tfrecord", off, rec) // must not panic
		}
		// Framing is deterministic: a stream read without error is exactly
		// its records framed again.
		if !bytes.Equal(reframed, data) {
			t.Fatalf("reframed %d bytes differ from the %d read", len(reframed), len(data))
		}
	})
}

func FuzzWebDataset(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewWebDatasetReader(bytes.NewReader(data), "f.tar")
		keys := map[string]bool{}
		for {
			s, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var se *ShardError
				if !errors.As(err, &se) || se.Path != "f.tar" {
					t.Fatalf("bad error %T: %v", err, err)
				}
				return
			}
			if keys[s.Key] {
				t.Fatalf("key %q returned twice", s.Key)
			}
			keys[s.Key] = true
			if len(s.Files) == 0 {
				t.Fatalf("sample %q without members", s.Key)
			}
			_, _ = s.Class() // must not panic
		}
	})
}
