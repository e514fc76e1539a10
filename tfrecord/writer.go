package tfrecord

import (
	"encoding/binary"
	"io"
)

// Writer writes framed records to an io.Writer. It does not buffer: each
// WriteRecord has reached w when it returns. It is not safe for concurrent
// use.
type Writer struct {
	w   io.Writer
	hdr [headerSize]byte
	ftr [footerSize]byte
}

// NewWriter returns a Writer that writes records to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteRecord writes data as one record, EncodedSize(len(data)) bytes.
func (w *Writer) WriteRecord(data []byte) error {
	binary.LittleEndian.PutUint64(w.hdr[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(w.hdr[8:], maskedCRC(w.hdr[:8]))
	binary.LittleEndian.PutUint32(w.ftr[:], maskedCRC(data))
	// Three writes rather than one copy of a large record.
	for _, b := range [...][]byte{w.hdr[:], data, w.ftr[:]} {
		if _, err := w.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
