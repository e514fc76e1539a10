package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestCRC32CVectors(t *testing.T) {
	// Vectors from field.md (CRC32C, unmasked), then TensorFlow's mask.
	mask := func(c uint32) uint32 { return ((c >> 15) | (c << 17)) + 0xa282ead8 }
	tests := []struct {
		name string
		data []byte
		crc  uint32
	}{
		{"123456789", []byte("123456789"), 0xe3069283},
		{"32 zero bytes", make([]byte, 32), 0x8a9136aa},
		{"32 0xff bytes", bytes.Repeat([]byte{0xff}, 32), 0x62a8ab43},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := crc32.Checksum(tc.data, castagnoli); got != tc.crc {
				t.Errorf("crc32c = %#08x, want %#08x", got, tc.crc)
			}
			if got, want := MaskedCRC32C(tc.data), mask(tc.crc); got != want {
				t.Errorf("masked = %#08x, want %#08x", got, want)
			}
		})
	}
	// The mask worked by hand for 0xe3069283: rotate right 15 -> 0x2507c60d, + 0xa282ead8.
	if got := MaskedCRC32C([]byte("123456789")); got != 0xc78ab0e5 {
		t.Errorf("masked crc32c(123456789) = %#08x, want 0xc78ab0e5", got)
	}
}

func TestTFRecordRead(t *testing.T) {
	payloads := [][]byte{[]byte("first"), {}, bytes.Repeat([]byte{7}, 5000)}
	var stream []byte
	var wantOff []int64
	for _, p := range payloads {
		wantOff = append(wantOff, int64(len(stream)))
		stream = append(stream, frame(p)...)
	}
	r := NewTFRecordReader(bytes.NewReader(stream), "s.tfrecord")
	for i, want := range payloads {
		got, off, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !bytes.Equal(got, want) || off != wantOff[i] {
			t.Errorf("record %d: %d bytes at %d, want %d bytes at %d", i, len(got), off, len(want), wantOff[i])
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last record: err = %v, want io.EOF", err)
	}
}

func TestTFRecordErrors(t *testing.T) {
	rec := frame([]byte("hello, tfrecord"))
	n := int64(len(rec))
	hugeLen := binary.LittleEndian.AppendUint64(nil, 1<<40)
	hugeLen = binary.LittleEndian.AppendUint32(hugeLen, MaskedCRC32C(hugeLen))
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
			r := NewTFRecordReader(bytes.NewReader(tc.stream), "train-000001.tfrecord")
			var err error
			for err == nil {
				_, _, err = r.Next()
			}
			var se *ShardError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *ShardError", err)
			}
			if se.Path != "train-000001.tfrecord" || se.Offset != tc.wantOffset || !strings.Contains(se.Error(), tc.wantMsg) {
				t.Errorf("err = %v (offset %d), want offset %d and %q", se, se.Offset, tc.wantOffset, tc.wantMsg)
			}
			for _, w := range []string{"train-000001.tfrecord", "byte offset"} {
				if !strings.Contains(se.Error(), w) {
					t.Errorf("error %q does not mention %q", se, w)
				}
			}
			if _, _, again := r.Next(); again != err {
				t.Errorf("error not sticky: then %v", again)
			}
		})
	}
}

func TestParseExample(t *testing.T) {
	data := encodeExample([]exampleFeature{
		{key: "image/encoded", bytes: [][]byte{[]byte("PNG"), {}}},
		{key: "image/class/label", ints: []int64{3, -1, 1 << 40}},
	})
	// An unpacked float list and an unknown field must be read and skipped
	// as protobuf requires.
	fl := binary.AppendUvarint(nil, 1<<3|5)
	fl = binary.LittleEndian.AppendUint32(fl, math.Float32bits(1.5))
	entry := pbBytes(nil, 1, []byte("f"))
	entry = pbBytes(entry, 2, pbBytes(nil, 2, fl))
	extra := binary.AppendUvarint(nil, 9<<3|0)
	extra = binary.AppendUvarint(extra, 42)
	data = append(data, pbBytes(nil, 1, pbBytes(nil, 1, entry))...)
	data = append(data, extra...)

	got, err := ParseExample(data)
	if err != nil {
		t.Fatalf("ParseExample: %v", err)
	}
	want := map[string]Feature{
		"image/encoded":     {Bytes: [][]byte{[]byte("PNG"), {}}},
		"image/class/label": {Int64: []int64{3, -1, 1 << 40}},
		"f":                 {Float: []float32{1.5}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseExample = %+v, want %+v", got, want)
	}

	for name, bad := range map[string][]byte{
		"truncated":         data[:len(data)-12],
		"bad wire type":     {1<<3 | 7},
		"field number zero": {0, 0},
		"length past end":   {1<<3 | 2, 50, 1},
	} {
		if _, err := ParseExample(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReadTFSample(t *testing.T) {
	ok := encodeExample([]exampleFeature{
		{key: "image/encoded", bytes: [][]byte{[]byte("PNG")}},
		{key: "image/class/label", ints: []int64{2}},
		{key: "image/class/text", bytes: [][]byte{[]byte("spiky")}},
	})
	s, err := ReadTFSample("s", 40, ok)
	if err != nil || string(s.Encoded) != "PNG" || s.Label != 2 || s.Class != "spiky" || s.Offset != 40 {
		t.Errorf("ReadTFSample = %+v, %v", s, err)
	}
	tests := []struct {
		name string
		fs   []exampleFeature
		want string
	}{
		{"no image", []exampleFeature{{key: "image/class/label", ints: []int64{1}}}, "image/encoded"},
		{"no label", []exampleFeature{{key: "image/encoded", bytes: [][]byte{[]byte("x")}}}, "image/class/label"},
		{"negative label", []exampleFeature{{key: "image/encoded", bytes: [][]byte{[]byte("x")}}, {key: "image/class/label", ints: []int64{-3}}}, "image/class/label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTFSample("x.tfrecord", 12, encodeExample(tc.fs))
			var se *ShardError
			if !errors.As(err, &se) || se.Offset != 12 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want *ShardError at 12 naming %s", err, tc.want)
			}
		})
	}
}
