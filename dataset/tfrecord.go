package dataset

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// MaxRecordBytes refuses a TFRecord or WebDataset member larger than this:
// a corrupt length field must not make us allocate gigabytes. Samples are
// single PNGs, far smaller.
const MaxRecordBytes = 256 << 20

// trustedAlloc is how much a length field may make us allocate up front.
const trustedAlloc = 1 << 20

// ShardError is a WebDataset or TFRecord shard whose framing or content is
// invalid, with the byte offset where reading went wrong.
type ShardError struct {
	Path   string
	Offset int64
	Msg    string
	Err    error // underlying cause, if any
}

func (e *ShardError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("shard %s: at byte offset %d: %s: %v", e.Path, e.Offset, e.Msg, e.Err)
	}
	return fmt.Sprintf("shard %s: at byte offset %d: %s", e.Path, e.Offset, e.Msg)
}

func (e *ShardError) Unwrap() error { return e.Err }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC32C is TensorFlow's masked CRC32C of b, as stored in TFRecord
// framing: masking keeps a CRC of data that itself holds CRCs from being
// trivially zero.
func MaskedCRC32C(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// TFRecordReader streams the records of one TFRecord file, checking both
// CRCs of every record.
type TFRecordReader struct {
	r    *bufio.Reader
	name string
	off  int64
	err  error
}

// NewTFRecordReader reads records from r; name is used in errors.
func NewTFRecordReader(r io.Reader, name string) *TFRecordReader {
	return &TFRecordReader{r: bufio.NewReader(r), name: name}
}

// Next returns the next record's payload and the byte offset of its
// frame. It returns io.EOF after the last whole record and *ShardError for
// any framing fault; errors are sticky.
func (t *TFRecordReader) Next() (data []byte, offset int64, err error) {
	if t.err != nil {
		return nil, t.off, t.err
	}
	data, offset, err = t.next()
	if err != nil {
		t.err = err
	}
	return data, offset, err
}

func (t *TFRecordReader) fail(off int64, msg string, err error) error {
	return &ShardError{Path: t.name, Offset: off, Msg: msg, Err: err}
}

func (t *TFRecordReader) next() ([]byte, int64, error) {
	start := t.off
	var hdr [12]byte
	n, err := io.ReadFull(t.r, hdr[:])
	t.off += int64(n)
	switch {
	case err == io.EOF:
		return nil, start, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, start, t.fail(start, fmt.Sprintf("truncated record header (%d of 12 bytes)", n), nil)
	case err != nil:
		return nil, start, t.fail(start, "read", err)
	}
	length := binary.LittleEndian.Uint64(hdr[:8])
	if got, want := MaskedCRC32C(hdr[:8]), binary.LittleEndian.Uint32(hdr[8:]); got != want {
		return nil, start, t.fail(start, fmt.Sprintf("length CRC mismatch (stored %#08x, computed %#08x): corrupt length field", want, got), nil)
	}
	if length > MaxRecordBytes {
		return nil, start, t.fail(start, fmt.Sprintf("record length %d exceeds the limit of %d bytes", length, MaxRecordBytes), nil)
	}
	data, m, err := readN(t.r, int64(length))
	t.off += m
	if err != nil {
		if err == io.EOF {
			return nil, start, t.fail(start, fmt.Sprintf("truncated record: %d of %d data bytes", m, length), nil)
		}
		return nil, start, t.fail(start, "read", err)
	}
	var tail [4]byte
	k, err := io.ReadFull(t.r, tail[:])
	t.off += int64(k)
	if err != nil {
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, start, t.fail(start, fmt.Sprintf("truncated record: data CRC missing (%d of 4 bytes)", k), nil)
		}
		return nil, start, t.fail(start, "read", err)
	}
	if got, want := MaskedCRC32C(data), binary.LittleEndian.Uint32(tail[:]); got != want {
		return nil, start, t.fail(start, fmt.Sprintf("data CRC mismatch (stored %#08x, computed %#08x): corrupt record", want, got), nil)
	}
	return data, start, nil
}

// readN reads exactly n bytes, or fails with io.EOF when r ends first. A
// length field is trusted for one allocation only up to trustedAlloc; past
// that the buffer grows as bytes arrive, so a lying header costs no more
// than the file's own size.
func readN(r io.Reader, n int64) ([]byte, int64, error) {
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

// Feature is one value of a tf.train.Example: exactly one list is set in a
// well-formed example.
type Feature struct {
	Bytes [][]byte
	Int64 []int64
	Float []float32
}

// ParseExample decodes a serialized tf.train.Example into its feature map.
// It implements just the wire format of Example, Features, Feature and the
// three list types; unknown fields are skipped as protobuf requires.
func ParseExample(b []byte) (map[string]Feature, error) {
	out := map[string]Feature{}
	err := eachField(b, func(num int, wt int, v []byte, _ uint64) error {
		if num != 1 || wt != wireBytes {
			return nil
		}
		return eachField(v, func(num int, wt int, entry []byte, _ uint64) error {
			if num != 1 || wt != wireBytes {
				return nil
			}
			return parseMapEntry(entry, out)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("parse tf.train.Example: %w", err)
	}
	return out, nil
}

func parseMapEntry(b []byte, out map[string]Feature) error {
	var key string
	var f Feature
	err := eachField(b, func(num int, wt int, v []byte, _ uint64) error {
		switch {
		case num == 1 && wt == wireBytes:
			key = string(v)
		case num == 2 && wt == wireBytes:
			f = Feature{}
			return parseFeature(v, &f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	out[key] = f
	return nil
}

func parseFeature(b []byte, f *Feature) error {
	return eachField(b, func(num int, wt int, v []byte, _ uint64) error {
		if wt != wireBytes {
			return nil
		}
		switch num {
		case 1: // BytesList
			return eachField(v, func(num int, wt int, v []byte, _ uint64) error {
				if num == 1 && wt == wireBytes {
					f.Bytes = append(f.Bytes, bytes.Clone(v))
				}
				return nil
			})
		case 2: // FloatList: packed fixed32, or one fixed32 per field
			return eachField(v, func(num int, wt int, v []byte, x uint64) error {
				switch {
				case num != 1:
				case wt == wireFixed32:
					f.Float = append(f.Float, math.Float32frombits(uint32(x)))
				case wt == wireBytes:
					if len(v)%4 != 0 {
						return fmt.Errorf("packed float list of %d bytes", len(v))
					}
					for i := 0; i < len(v); i += 4 {
						f.Float = append(f.Float, math.Float32frombits(binary.LittleEndian.Uint32(v[i:])))
					}
				}
				return nil
			})
		case 3: // Int64List: packed varints, or one varint per field
			return eachField(v, func(num int, wt int, v []byte, x uint64) error {
				switch {
				case num != 1:
				case wt == wireVarint:
					f.Int64 = append(f.Int64, int64(x))
				case wt == wireBytes:
					for len(v) > 0 {
						x, n := binary.Uvarint(v)
						if n <= 0 {
							return errors.New("bad varint in packed int64 list")
						}
						f.Int64 = append(f.Int64, int64(x))
						v = v[n:]
					}
				}
				return nil
			})
		}
		return nil
	})
}

const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// eachField walks the fields of one protobuf message. For wireBytes fields
// v is the payload; for numeric fields x is the value.
func eachField(b []byte, fn func(num int, wt int, v []byte, x uint64) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("bad field key")
		}
		b = b[n:]
		num, wt := key>>3, int(key&7)
		if num == 0 || num > 1<<29-1 {
			return fmt.Errorf("bad field number %d", num)
		}
		var v []byte
		var x uint64
		switch wt {
		case wireVarint:
			x, n = binary.Uvarint(b)
			if n <= 0 {
				return errors.New("bad varint")
			}
			b = b[n:]
		case wireFixed64:
			if len(b) < 8 {
				return errors.New("truncated fixed64")
			}
			x, b = binary.LittleEndian.Uint64(b), b[8:]
		case wireFixed32:
			if len(b) < 4 {
				return errors.New("truncated fixed32")
			}
			x, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errors.New("truncated length-delimited field")
			}
			v, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return fmt.Errorf("unsupported wire type %d", wt)
		}
		if err := fn(int(num), wt, v, x); err != nil {
			return err
		}
	}
	return nil
}

// TFSample is the part of an augsplit tf.train.Example that readers need.
type TFSample struct {
	Encoded  []byte // image/encoded (PNG)
	Label    int    // image/class/label
	Class    string // image/class/text
	SourceID string // image/source_id
	Offset   int64  // byte offset of the record in its shard
}

// ReadTFSample parses the features augsplit writes, naming the missing or
// malformed one.
func ReadTFSample(name string, offset int64, data []byte) (*TFSample, error) {
	fail := func(msg string, err error) error {
		return &ShardError{Path: name, Offset: offset, Msg: msg, Err: err}
	}
	ex, err := ParseExample(data)
	if err != nil {
		return nil, fail("bad record payload", err)
	}
	enc := ex["image/encoded"].Bytes
	if len(enc) != 1 {
		return nil, fail(fmt.Sprintf("image/encoded: want one bytes value, have %d", len(enc)), nil)
	}
	lab := ex["image/class/label"].Int64
	if len(lab) != 1 || lab[0] < 0 || lab[0] > math.MaxInt32 {
		return nil, fail(fmt.Sprintf("image/class/label: want one non-negative int64, have %v", lab), nil)
	}
	s := &TFSample{Encoded: enc[0], Label: int(lab[0]), Offset: offset}
	if t := ex["image/class/text"].Bytes; len(t) == 1 {
		s.Class = string(t[0])
	}
	if t := ex["image/source_id"].Bytes; len(t) == 1 {
		s.SourceID = string(t[0])
	}
	return s, nil
}
