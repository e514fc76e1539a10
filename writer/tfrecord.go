package writer

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"slices"
)

// TFRecord framing, as TensorFlow's record_writer.cc writes it:
//
//	uint64 length (little endian)
//	uint32 masked CRC32C of the 8 length bytes
//	byte   data[length]
//	uint32 masked CRC32C of data
//
// The payload here is a tf.train.Example, encoded by the small protobuf
// encoder below (the messages are tiny and fixed; a protobuf dependency and
// generated code would buy nothing but weight).

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crcMaskDelta is TensorFlow's (and LevelDB's) mask constant. Masking exists
// because a CRC of data that itself contains CRCs is weak.
const crcMaskDelta = 0xa282ead8

// MaskedCRC32C is the masked CRC32C (Castagnoli) TFRecord framing uses:
// ((crc >> 15) | (crc << 17)) + 0xa282ead8.
func MaskedCRC32C(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + crcMaskDelta
}

// TFRecordOverhead is the number of framing bytes around each record.
const TFRecordOverhead = 8 + 4 + 4

// AppendTFRecord appends the framed record of data to dst.
func AppendTFRecord(dst, data []byte) []byte {
	var hdr [12]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(hdr[8:], MaskedCRC32C(hdr[:8]))
	dst = append(dst, hdr[:]...)
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, MaskedCRC32C(data))
}

// FeatureKind says which list a Feature holds: the field number of the
// Feature.kind oneof in tensorflow/core/example/feature.proto.
type FeatureKind int

const (
	BytesKind FeatureKind = 1 // bytes_list
	FloatKind FeatureKind = 2 // float_list
	Int64Kind FeatureKind = 3 // int64_list
)

// Feature is one tf.train.Feature: exactly one of the lists, chosen by Kind.
type Feature struct {
	Kind  FeatureKind
	Bytes [][]byte
	Float []float32
	Int64 []int64
}

// BytesFeature returns a bytes_list Feature.
func BytesFeature(v ...[]byte) Feature { return Feature{Kind: BytesKind, Bytes: v} }

// FloatFeature returns a float_list Feature.
func FloatFeature(v ...float32) Feature { return Feature{Kind: FloatKind, Float: v} }

// Int64Feature returns an int64_list Feature.
func Int64Feature(v ...int64) Feature { return Feature{Kind: Int64Kind, Int64: v} }

// NamedFeature is one entry of the Features map.
type NamedFeature struct {
	Key string
	Feature
}

// EncodeExample encodes a tf.train.Example holding features, with the map
// entries in sorted key order so that the bytes are deterministic (protobuf
// leaves map order to the encoder).
func EncodeExample(features map[string]Feature) []byte {
	entries := make([]NamedFeature, 0, len(features))
	for k, f := range features {
		entries = append(entries, NamedFeature{Key: k, Feature: f})
	}
	slices.SortFunc(entries, func(a, b NamedFeature) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return AppendExample(nil, entries)
}

// AppendExample appends the encoding of a tf.train.Example with the given
// map entries, in the order given, to dst. It is the allocation-free form
// of EncodeExample for callers that keep their entries sorted.
//
//	Example  { Features features = 1; }
//	Features { map<string, Feature> feature = 1; }  // entry: key = 1, value = 2
//	Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
//	BytesList { repeated bytes value = 1; }
//	FloatList { repeated float value = 1 [packed = true]; }
//	Int64List { repeated int64 value = 1 [packed = true]; }
func AppendExample(dst []byte, entries []NamedFeature) []byte {
	featuresLen := 0
	for i := range entries {
		featuresLen += lenField(entrySize(&entries[i]))
	}
	dst = appendTagLen(dst, 1, featuresLen) // Example.features
	for i := range entries {
		e := &entries[i]
		dst = appendTagLen(dst, 1, entrySize(e)) // Features.feature (map entry)
		dst = appendTagLen(dst, 1, len(e.Key))   // entry.key
		dst = append(dst, e.Key...)
		dst = appendTagLen(dst, 2, featureSize(&e.Feature)) // entry.value
		dst = appendFeature(dst, &e.Feature)
	}
	return dst
}

// lenField is the encoded size of a length-delimited field with a one-byte
// tag (all field numbers here are < 16) and a body of n bytes.
func lenField(n int) int { return 1 + varintSize(uint64(n)) + n }

func entrySize(e *NamedFeature) int {
	return lenField(len(e.Key)) + lenField(featureSize(&e.Feature))
}

// featureSize is the size of the Feature message body: one field, the list.
func featureSize(f *Feature) int { return lenField(listSize(f)) }

// listSize is the size of the BytesList/FloatList/Int64List body.
func listSize(f *Feature) int {
	switch f.Kind {
	case BytesKind:
		n := 0
		for _, b := range f.Bytes {
			n += lenField(len(b))
		}
		return n
	case FloatKind:
		if len(f.Float) == 0 {
			return 0
		}
		return lenField(4 * len(f.Float))
	case Int64Kind:
		if len(f.Int64) == 0 {
			return 0
		}
		return lenField(int64sSize(f.Int64))
	}
	return 0
}

func int64sSize(v []int64) int {
	n := 0
	for _, x := range v {
		n += varintSize(uint64(x))
	}
	return n
}

func appendFeature(dst []byte, f *Feature) []byte {
	kind := f.Kind
	if kind < BytesKind || kind > Int64Kind {
		// An unset kind encodes as an empty bytes_list rather than
		// producing a Feature that no reader can interpret.
		kind = BytesKind
	}
	dst = appendTagLen(dst, int(kind), listSize(f))
	switch f.Kind {
	case BytesKind:
		for _, b := range f.Bytes {
			dst = appendTagLen(dst, 1, len(b))
			dst = append(dst, b...)
		}
	case FloatKind:
		if len(f.Float) > 0 {
			dst = appendTagLen(dst, 1, 4*len(f.Float))
			for _, x := range f.Float {
				dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
			}
		}
	case Int64Kind:
		if len(f.Int64) > 0 {
			dst = appendTagLen(dst, 1, int64sSize(f.Int64))
			for _, x := range f.Int64 {
				// Negative int64 values are 10-byte two's complement varints.
				dst = binary.AppendUvarint(dst, uint64(x))
			}
		}
	}
	return dst
}

// appendTagLen appends the key of a length-delimited field (wire type 2)
// and the length of its body.
func appendTagLen(dst []byte, field, n int) []byte {
	dst = binary.AppendUvarint(dst, uint64(field)<<3|2)
	return binary.AppendUvarint(dst, uint64(n))
}

func varintSize(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
