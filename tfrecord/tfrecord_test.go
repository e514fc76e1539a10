package tfrecord

import (
	"bytes"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// bitwiseCRC32C is a reference CRC32C, one bit at a time from the
// reflected Castagnoli polynomial, sharing no code with the package.
func bitwiseCRC32C(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x82f63b78
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func TestCRC32CVectors(t *testing.T) {
	tests := []struct {
		name       string
		in         []byte
		crc, maskd uint32
	}{
		// Vectors from field.md (RFC 3720 B.4); masked values by hand:
		// ((c>>15)|(c<<17)) + 0xa282ead8 mod 2^32.
		{"123456789", []byte("123456789"), 0xe3069283, 0xc78ab0e5},
		{"32 zero bytes", make([]byte, 32), 0x8a9136aa, 0x0fd7fffa},
		{"32 0xff bytes", bytes.Repeat([]byte{0xff}, 32), 0x62a8ab43, 0xf909b029},
		{"empty", nil, 0, 0xa282ead8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := crc32.Checksum(tt.in, castagnoli); got != tt.crc {
				t.Errorf("crc32c = %#08x, want %#08x", got, tt.crc)
			}
			if got := bitwiseCRC32C(tt.in); got != tt.crc {
				t.Errorf("reference crc32c = %#08x, want %#08x", got, tt.crc)
			}
			if got := maskedCRC(tt.in); got != tt.maskd {
				t.Errorf("maskedCRC = %#08x, want %#08x", got, tt.maskd)
			}
		})
	}
}

func TestMaskedCRCMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		b := make([]byte, r.IntN(300))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		c := bitwiseCRC32C(b)
		want := (c>>15 | c<<17) + 0xa282ead8
		if got := maskedCRC(b); got != want {
			t.Fatalf("case %d (%d bytes): maskedCRC = %#08x, want %#08x", i, len(b), got, want)
		}
	}
}

func TestWriteRecordKnownFrame(t *testing.T) {
	// The frame of "hello", assembled by hand from the TFRecord rules:
	// uint64 LE length, masked CRC32C of those 8 bytes (LE), the data, the
	// masked CRC32C of the data (LE). The CRCs were computed by an
	// independent table-driven CRC32C (the one in testdata/interop.py).
	want := []byte{
		0x05, 0, 0, 0, 0, 0, 0, 0, // length 5
		0xea, 0xb2, 0x04, 0x3e, // masked crc32c of the length = 0x3e04b2ea
		'h', 'e', 'l', 'l', 'o',
		0xbb, 0x1f, 0x1c, 0x19, // masked crc32c("hello") = 0x191c1fbb
	}
	var buf bytes.Buffer
	if err := NewWriter(&buf).WriteRecord([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("frame =\n%x\nwant\n%x", buf.Bytes(), want)
	}
	if got := EncodedSize(5); got != int64(len(want)) {
		t.Errorf("EncodedSize(5) = %d, want %d", got, len(want))
	}
}

// TestRoundTrip writes Examples of every feature kind, and records that
// are not Examples, and reads back the same records at the offsets the
// sizes predict.
func TestRoundTrip(t *testing.T) {
	examples := []Example{
		{
			"image/encoded":     BytesFeature(bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 700)),
			"image/class/label": Int64Feature(3),
			"image/class/text":  BytesFeature([]byte("細胞")),
			"scores":            FloatFeature(0.5, -1.25, float32(math.Inf(1))),
			"ids":               Int64Feature(-1, 0, math.MaxInt64, math.MinInt64),
			"empty":             BytesFeature(),
		},
		{},
		{"one": FloatFeature()},
	}
	records := [][]byte{{}, bytes.Repeat([]byte{0xff}, 70000)}
	for _, ex := range examples {
		records = append(records, ex.Marshal())
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	var offsets []int64
	var at int64
	for _, r := range records {
		if err := w.WriteRecord(r); err != nil {
			t.Fatal(err)
		}
		offsets = append(offsets, at)
		at += EncodedSize(len(r))
		if int64(buf.Len()) != at {
			t.Fatalf("after a record of %d bytes: %d bytes written, EncodedSize says %d", len(r), buf.Len(), at)
		}
	}

	r := NewReader(&buf)
	for i, want := range records {
		got, off, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !bytes.Equal(got, want) || off != offsets[i] {
			t.Errorf("record %d: %d bytes at %d, want %d bytes at %d", i, len(got), off, len(want), offsets[i])
		}
		if i < 2 {
			continue
		}
		ex, err := ParseExample(got)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if wantEx := examples[i-2]; !reflect.DeepEqual(ex, wantEx) {
			t.Errorf("record %d: example\n%v\nwant\n%v", i, ex, wantEx)
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last record: %v, want io.EOF", err)
	}
}
