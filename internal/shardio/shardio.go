// Package shardio holds the two reading helpers the shard codecs (tfrecord,
// wds) and dataset's verify share: a reader that counts bytes, so errors
// can name an offset, and a read of a length taken from the file itself,
// which must not be trusted for a large allocation.
package shardio

import (
	"bytes"
	"errors"
	"io"
)

// Counter counts the bytes read through it.
type Counter struct {
	R io.Reader
	N int64
}

func (c *Counter) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// trustedAlloc is how much a length field may make ReadN allocate up front.
const trustedAlloc = 1 << 20

// ReadN reads exactly n bytes and returns them with the count read; it
// fails with io.EOF when r ends first. A length field is trusted for one
// allocation only up to 1 MiB; past that the buffer grows as bytes
// arrive, so a lying header costs no more than the file's own size.
func ReadN(r io.Reader, n int64) ([]byte, int64, error) {
	if n <= trustedAlloc {
		b := make([]byte, n)
		k, err := io.ReadFull(r, b)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		return b, int64(k), err
	}
	var buf bytes.Buffer
	k, err := io.CopyN(&buf, r, n)
	return buf.Bytes(), k, err
}
