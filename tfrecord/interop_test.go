package tfrecord

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/pyinterop"
)

// pyRecord is a record in interop.py's JSON.
type pyRecord struct {
	Offset   int64                `json:"offset"`
	Features map[string]pyFeature `json:"features"`
}

type pyFeature struct {
	Kind  string    `json:"kind"`
	Bytes []string  `json:"bytes,omitempty"` // hex
	Float []float64 `json:"float,omitempty"`
	Int64 []int64   `json:"int64,omitempty"`
}

func toPy(ex Example) map[string]pyFeature {
	out := map[string]pyFeature{}
	for k, f := range ex {
		var p pyFeature
		switch f.Kind {
		case BytesKind:
			p.Kind = "bytes"
			for _, b := range f.Bytes {
				p.Bytes = append(p.Bytes, hex.EncodeToString(b))
			}
		case FloatKind:
			p.Kind = "float"
			for _, x := range f.Float {
				p.Float = append(p.Float, float64(x))
			}
		case Int64Kind:
			p.Kind, p.Int64 = "int64", f.Int64
		}
		out[k] = p
	}
	return out
}

// interopExamples have every kind of feature, empty lists, extreme and
// negative integers, floats exact in float32, and UTF-8 keys and values.
func interopExamples() []Example {
	var out []Example
	for i := range 12 {
		out = append(out, Example{
			"image/encoded":     BytesFeature(bytes.Repeat([]byte{byte(i), 0x89, 'P'}, 50*i)),
			"image/class/label": Int64Feature(int64(i)),
			"image/class/text":  BytesFeature([]byte("細胞_ä")),
			"klasse/ä":          Int64Feature(-1, 0, 1<<62, -1<<63, 1<<63-1),
			"scores":            FloatFeature(1.5, -0.25, float32(i)/8),
			"empty/bytes":       BytesFeature(),
			"empty/int64":       Int64Feature(),
			"several":           BytesFeature([]byte("a"), nil, []byte("\x00\xff")),
		})
	}
	return out
}

// TestPythonReadsRecords: records written here are read, CRCs and all,
// by an independent reader.
func TestPythonReadsRecords(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	var want []pyRecord
	for _, ex := range interopExamples() {
		want = append(want, pyRecord{Offset: int64(buf.Len()), Features: toPy(ex)})
		if err := w.WriteRecord(ex.Marshal()); err != nil {
			t.Fatal(err)
		}
	}
	var got []pyRecord
	if stderr, err := pyinterop.Read(t, "train-000000-of-000001.tfrecord", buf.Bytes(), &got); err != nil {
		t.Fatalf("python read: %v\n%s", err, stderr)
	}
	// Compared as JSON, where an empty list and none are the same.
	if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
		t.Errorf("python read\n%s\nwant\n%s", g, w)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadsPythonRecords: records framed and encoded by an independent
// writer are read here.
func TestReadsPythonRecords(t *testing.T) {
	t.Parallel()
	examples := interopExamples()
	var spec []pyRecord
	for _, ex := range examples {
		spec = append(spec, pyRecord{Features: toPy(ex)})
	}
	r := NewReader(bytes.NewReader(pyinterop.Write(t, spec)))
	for i, want := range examples {
		rec, _, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		got, err := ParseExample(rec)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		// Compared in the JSON form, where a nil and an empty value are
		// the same.
		if g, w := jsonOf(t, toPy(got)), jsonOf(t, toPy(want)); g != w {
			t.Errorf("record %d =\n%s\nwant\n%s", i, g, w)
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("after the records python wrote: %v, want io.EOF", err)
	}
}

// TestPythonDetects shows the independent reader is not a rubber stamp:
// it rejects a flipped bit in the data and in a length.
func TestPythonDetects(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	examples := interopExamples()[:3]
	for _, ex := range examples {
		if err := w.WriteRecord(ex.Marshal()); err != nil {
			t.Fatal(err)
		}
	}
	second := EncodedSize(len(examples[0].Marshal()))
	for _, tt := range []struct {
		name string
		at   int64
		want string
	}{
		{"data", second + 40, "bad data crc at offset " + strconv.FormatInt(second, 10)},
		{"length", second + 1, "bad length crc at offset " + strconv.FormatInt(second, 10)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := bytes.Clone(buf.Bytes())
			b[tt.at] ^= 1
			var got []pyRecord
			stderr, err := pyinterop.Read(t, "bad.tfrecord", b, &got)
			if err == nil || !strings.Contains(stderr, tt.want) {
				t.Errorf("python on a damaged file: err %v, stderr %q; want failure mentioning %q", err, stderr, tt.want)
			}
		})
	}
}
