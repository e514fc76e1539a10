package shardio

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestReadN(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		n       int64
		want    string
		wantErr error
	}{
		{"exact", "hello", 5, "hello", nil},
		{"leaves the rest", "hello, world", 5, "hello", nil},
		{"zero", "", 0, "", nil},
		{"short", "hel", 5, "hel", io.EOF},
		{"empty", "", 5, "", io.EOF},
		{"short and large", "hel", 100 << 20, "hel", io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, k, err := ReadN(strings.NewReader(tc.in), tc.n)
			if err != tc.wantErr || k != int64(len(tc.want)) || (err == nil && string(b) != tc.want) {
				t.Errorf("ReadN = %q, %d, %v; want %q, %d, %v", b, k, err, tc.want, len(tc.want), tc.wantErr)
			}
		})
	}
	// A length field claiming 100 MiB over three bytes of data does not
	// buy a 100 MiB buffer.
	b, _, _ := ReadN(strings.NewReader("abc"), 100<<20)
	if cap(b) > trustedAlloc {
		t.Errorf("a lying length allocated %d bytes", cap(b))
	}
	big := bytes.Repeat([]byte{7}, trustedAlloc+10)
	if b, k, err := ReadN(bytes.NewReader(big), int64(len(big))); err != nil || k != int64(len(big)) || !bytes.Equal(b, big) {
		t.Errorf("large read: %d bytes, %v", k, err)
	}
}

func TestCounter(t *testing.T) {
	c := &Counter{R: strings.NewReader("hello, world")}
	if _, err := io.CopyN(io.Discard, c, 5); err != nil {
		t.Fatal(err)
	}
	if c.N != 5 {
		t.Errorf("N = %d after 5 bytes", c.N)
	}
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatal(err)
	}
	if c.N != 12 {
		t.Errorf("N = %d after 12 bytes", c.N)
	}
}
