package tfrecord

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/augsplit/augsplit/internal/shardio"
)

// Reader reads the records of a TFRecord stream, checking both CRCs of
// every record.
type Reader struct {
	r   *bufio.Reader
	off int64
	err error
}

// NewReader returns a Reader of the records in r. It buffers r, so it may
// read past the last record it returns.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReader(r)} }

// Next returns the next record and the byte offset of its frame in the
// stream. It returns io.EOF after the last whole record and an *Error for
// a fault in the stream; errors are sticky.
func (r *Reader) Next() (data []byte, offset int64, err error) {
	if r.err != nil {
		return nil, r.off, r.err
	}
	data, offset, err = r.next()
	if err != nil {
		r.err = err
	}
	return data, offset, err
}

func (r *Reader) next() ([]byte, int64, error) {
	start := r.off
	fail := func(format string, a ...any) error {
		return &Error{Offset: start, Err: fmt.Errorf(format, a...)}
	}
	var hdr [headerSize]byte
	n, err := io.ReadFull(r.r, hdr[:])
	r.off += int64(n)
	switch {
	case err == io.EOF:
		return nil, start, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, start, fail("truncated record header (%d of %d bytes)", n, headerSize)
	case err != nil:
		return nil, start, fail("read: %w", err)
	}
	length := binary.LittleEndian.Uint64(hdr[:8])
	if got, want := maskedCRC(hdr[:8]), binary.LittleEndian.Uint32(hdr[8:]); got != want {
		return nil, start, fail("length CRC mismatch (stored %#08x, computed %#08x): corrupt length field", want, got)
	}
	if length > MaxRecordBytes {
		return nil, start, fail("record length %d exceeds the limit of %d bytes", length, MaxRecordBytes)
	}
	data, m, err := shardio.ReadN(r.r, int64(length))
	r.off += m
	if err == io.EOF {
		return nil, start, fail("truncated record: %d of %d data bytes", m, length)
	}
	if err != nil {
		return nil, start, fail("read: %w", err)
	}
	var ftr [footerSize]byte
	k, err := io.ReadFull(r.r, ftr[:])
	r.off += int64(k)
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, start, fail("truncated record: data CRC missing (%d of %d bytes)", k, footerSize)
	}
	if err != nil {
		return nil, start, fail("read: %w", err)
	}
	if got, want := maskedCRC(data), binary.LittleEndian.Uint32(ftr[:]); got != want {
		return nil, start, fail("data CRC mismatch (stored %#08x, computed %#08x): corrupt record", want, got)
	}
	return data, start, nil
}
