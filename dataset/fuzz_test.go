package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
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
