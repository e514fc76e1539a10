// Package tfrecord reads and writes TFRecord files, TensorFlow's framing
// for a stream of records, and encodes and decodes the tf.train.Example
// messages such files usually hold.
//
// A record is framed as TensorFlow's record_writer.cc writes it:
//
//	uint64 length (little endian)
//	uint32 masked CRC32C of the 8 length bytes
//	byte   data[length]
//	uint32 masked CRC32C of data
//
// The Writer and the Reader share that framing and the one masked CRC; the
// Example type is used by both sides. The protobuf encoding of an Example
// is written out here rather than generated: the messages are tiny and
// fixed, and a protobuf runtime would buy nothing but weight (the tests
// check the encoding against google.golang.org/protobuf).
package tfrecord

import (
	"fmt"
	"hash/crc32"
)

// MaxRecordBytes is the largest record the Reader accepts: a corrupt
// length field must not make it allocate gigabytes.
const MaxRecordBytes = 256 << 20

const (
	headerSize = 8 + 4 // length, masked CRC of the length
	footerSize = 4     // masked CRC of the data
)

// EncodedSize is the number of bytes WriteRecord writes for a record of n
// bytes: the record and its framing.
func EncodedSize(n int) int64 { return int64(headerSize + n + footerSize) }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskDelta is TensorFlow's (and LevelDB's) mask constant. Masking exists
// because a CRC of data that itself contains CRCs is weak.
const maskDelta = 0xa282ead8

// maskedCRC is the masked CRC32C (Castagnoli) of b:
// ((crc >> 15) | (crc << 17)) + 0xa282ead8.
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + maskDelta
}

// Error is a fault in a TFRecord stream: broken framing, a CRC mismatch,
// a record over MaxRecordBytes, or a failed read.
type Error struct {
	Offset int64 // byte offset of the frame of the record that failed
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("at byte offset %d: %v", e.Offset, e.Err) }

func (e *Error) Unwrap() error { return e.Err }
