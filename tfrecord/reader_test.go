package tfrecord

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// frame is data written as one record.
func frame(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := NewWriter(&b).WriteRecord(data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReaderErrors(t *testing.T) {
	rec := frame(t, []byte("hello, tfrecord"))
	n := int64(len(rec))
	hugeLen := binary.LittleEndian.AppendUint64(nil, 1<<40)
	hugeLen = binary.LittleEndian.AppendUint32(hugeLen, maskedCRC(hugeLen))
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 0x04
		return b
	}
	tests := []struct {
		name       string
		stream     []byte
		wantOffset int64
		wantMsg    string
	}{
		{"truncated header", append(bytes.Clone(rec), rec[:5]...), n, "truncated record header (5 of 12"},
		{"length CRC", append(bytes.Clone(rec), flip(rec, 9)...), n, "length CRC mismatch"},
		{"corrupt length", append(bytes.Clone(rec), flip(rec, 0)...), n, "length CRC mismatch"},
		{"data CRC", append(bytes.Clone(rec), flip(rec, 14)...), n, "data CRC mismatch"},
		{"stored data CRC", append(bytes.Clone(rec), flip(rec, len(rec)-1)...), n, "data CRC mismatch"},
		{"truncated data", append(bytes.Clone(rec), rec[:20]...), n, "truncated record: 8 of 15 data bytes"},
		{"missing data CRC", append(bytes.Clone(rec), rec[:len(rec)-2]...), n, "data CRC missing (2 of 4"},
		{"absurd length", append(bytes.Clone(rec), hugeLen...), n, "exceeds the limit"},
		{"first record broken", flip(rec, 20), 0, "data CRC mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.stream))
			var err error
			for err == nil {
				_, _, err = r.Next()
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Offset != tc.wantOffset || !strings.Contains(e.Error(), tc.wantMsg) || !strings.Contains(e.Error(), "byte offset") {
				t.Errorf("err = %v (offset %d), want offset %d and %q", e, e.Offset, tc.wantOffset, tc.wantMsg)
			}
			if _, _, again := r.Next(); again != err {
				t.Errorf("error not sticky: then %v", again)
			}
		})
	}
}

// failingReader returns its data and then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	disk := errors.New("disk on fire")
	rec := frame(t, []byte("hello"))
	r := NewReader(&failingReader{data: append(bytes.Clone(rec), rec[:14]...), err: disk})
	if _, _, err := r.Next(); err != nil {
		t.Fatalf("first record: %v", err)
	}
	_, off, err := r.Next()
	var e *Error
	if !errors.Is(err, disk) || !errors.As(err, &e) || e.Offset != int64(len(rec)) || off != int64(len(rec)) {
		t.Errorf("err = %v at %d, want the read error wrapped in *Error at %d", err, off, len(rec))
	}
}

func FuzzReader(f *testing.F) {
	ex := Example{
		"image/encoded":     BytesFeature([]byte("\x89PNG\r\n\x1a\n")),
		"image/class/label": Int64Feature(1),
		"score":             FloatFeature(0.5),
	}.Marshal()
	var rec []byte
	for _, data := range [][]byte{ex, ex} {
		rec = append(rec, frame(f, data)...)
	}
	f.Add(rec)
	f.Add(rec[:len(rec)-3])
	f.Add(frame(f, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		var reframed bytes.Buffer
		w := NewWriter(&reframed)
		for {
			rec, off, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Offset < 0 || e.Offset > int64(len(data)) {
					t.Fatalf("bad error %T: %v", err, err)
				}
				return
			}
			if off != int64(reframed.Len()) {
				t.Fatalf("record at %d, want %d", off, reframed.Len())
			}
			if err := w.WriteRecord(rec); err != nil {
				t.Fatal(err)
			}
			// What parses must marshal to a fixed point: the encoding of
			// a parsed Example is canonical.
			if ex, err := ParseExample(rec); err == nil {
				b := ex.Marshal()
				ex2, err := ParseExample(b)
				if err != nil {
					t.Fatalf("Marshal of a parsed Example does not parse: %v", err)
				}
				if b2 := ex2.Marshal(); !bytes.Equal(b, b2) {
					t.Fatalf("Marshal is not a fixed point:\n%x\n%x", b, b2)
				}
			}
		}
		// Framing is deterministic: a stream read without error is exactly
		// its records framed again.
		if !bytes.Equal(reframed.Bytes(), data) {
			t.Fatalf("reframed %d bytes differ from the %d read", reframed.Len(), len(data))
		}
	})
}
