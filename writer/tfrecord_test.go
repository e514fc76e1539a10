package writer

import (
	"bytes"
	"encoding/hex"
	"hash/crc32"
	"math/rand/v2"
	"testing"
)

// bitwiseCRC32C is a reference CRC32C, one bit at a time from the
// reflected Castagnoli polynomial, sharing no code with the writer.
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
			if got := MaskedCRC32C(tt.in); got != tt.maskd {
				t.Errorf("MaskedCRC32C = %#08x, want %#08x", got, tt.maskd)
			}
		})
	}
}

func TestMaskedCRC32CMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		b := make([]byte, r.IntN(300))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		c := bitwiseCRC32C(b)
		want := (c>>15 | c<<17) + 0xa282ead8
		if got := MaskedCRC32C(b); got != want {
			t.Fatalf("case %d (%d bytes): MaskedCRC32C = %#08x, want %#08x", i, len(b), got, want)
		}
	}
}

func TestAppendTFRecordKnownFrame(t *testing.T) {
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
	got := AppendTFRecord([]byte("prefix"), []byte("hello"))
	if !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Errorf("frame =\n%x\nwant\n%x", got, append([]byte("prefix"), want...))
	}
}

func TestEncodeExampleKnownBytes(t *testing.T) {
	tests := []struct {
		name     string
		features map[string]Feature
		want     string // hex
	}{
		{
			name:     "empty",
			features: map[string]Feature{},
			want:     "0a00", // Example.features, empty Features
		},
		{
			name: "int64 and bytes, sorted keys",
			features: map[string]Feature{
				"b": BytesFeature([]byte("x")),
				"a": Int64Feature(1),
			},
			// 0a 18                    Example.features, 24 bytes
			//   0a 0a                  map entry, 10 bytes
			//     0a 01 61             key "a"
			//     12 05                value Feature, 5 bytes
			//       1a 03 0a 01 01     int64_list { value: [1] packed }
			//   0a 0a                  map entry "b"
			//     0a 01 62 12 05
			//       0a 03 0a 01 78     bytes_list { value: "x" }
			want: "0a18" + "0a0a0a0161120" + "51a030a0101" + "0a0a0a0162120" + "50a030a0178",
		},
		{
			name: "negative and multi-byte varints",
			features: map[string]Feature{
				"k": Int64Feature(-1, 300),
			},
			// -1 is ten bytes ff..ff 01; 300 is ac 02; packed body 12 bytes.
			// list: 0a 0c <12>; feature: 1a 0e <14>; entry: 0a 01 6b 12 10 <16> = 21
			want: "0a17" + "0a15" + "0a016b" + "1210" + "1a0e" + "0a0c" + "ffffffffffffffffff01" + "ac02",
		},
		{
			name: "floats and several byte values",
			features: map[string]Feature{
				"f": FloatFeature(1, -2),
				"s": BytesFeature([]byte("ab"), []byte{}),
			},
			// f: list 0a 08 0000803f 000000c0 (10); feature 12 0a <10> (12);
			//    entry 0a 01 66 12 0c <12> (17) -> 0a 11
			// s: list 0a 02 61 62 0a 00 (6); feature 0a 06 <6> (8);
			//    entry 0a 01 73 12 08 <8> (13) -> 0a 0d
			want: "0a22" +
				"0a11" + "0a0166" + "120c" + "120a" + "0a08" + "0000803f" + "000000c0" +
				"0a0d" + "0a0173" + "1208" + "0a06" + "0a026162" + "0a00",
		},
		{
			name: "empty int64 list",
			features: map[string]Feature{
				"e": Int64Feature(),
			},
			// entry 0a 01 65 12 02 1a 00 (7) -> 0a 07; Example 0a 09
			want: "0a09" + "0a07" + "0a0165" + "1202" + "1a00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hex.EncodeToString(EncodeExample(tt.features))
			if got != tt.want {
				t.Errorf("EncodeExample =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestEncodeExampleLongField(t *testing.T) {
	// A 200-byte value needs a two-byte length (c8 01) at every level.
	v := bytes.Repeat([]byte{7}, 200)
	got := EncodeExample(map[string]Feature{"k": BytesFeature(v)})
	// list: 0a c801 <200> = 203; feature: 0a cb01 <203> = 206;
	// entry: 0a 01 6b 12 ce01 <206> = 212; Features: 0a d401 <212> = 215;
	// Example: 0a d701 <215>.
	want := []byte{0x0a, 0xd7, 0x01, 0x0a, 0xd4, 0x01, 0x0a, 0x01, 'k', 0x12, 0xce, 0x01, 0x0a, 0xcb, 0x01, 0x0a, 0xc8, 0x01}
	want = append(want, v...)
	if !bytes.Equal(got, want) {
		t.Errorf("EncodeExample =\n%x\nwant\n%x", got, want)
	}
}
