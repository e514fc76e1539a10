package tfrecord

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The tf.train.Example messages (tensorflow/core/example/{example,feature}.proto):
//
//	Example  { Features features = 1; }
//	Features { map<string, Feature> feature = 1; }  // entry: key = 1, value = 2
//	Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
//	BytesList { repeated bytes value = 1; }
//	FloatList { repeated float value = 1 [packed = true]; }
//	Int64List { repeated int64 value = 1 [packed = true]; }

// FeatureKind says which list a Feature holds: the field number of the
// Feature.kind oneof.
type FeatureKind int

const (
	BytesKind FeatureKind = 1 // bytes_list
	FloatKind FeatureKind = 2 // float_list
	Int64Kind FeatureKind = 3 // int64_list
)

// Feature is one tf.train.Feature: the list chosen by Kind. ParseExample
// leaves Kind zero for a Feature that holds no list; Marshal writes such a
// Feature as an empty bytes_list, which every reader can interpret.
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

// Example is a tf.train.Example: its features by name.
type Example map[string]Feature

// Marshal encodes e with the features in sorted key order, so that the
// bytes are deterministic (protobuf leaves map order to the encoder).
func (e Example) Marshal() []byte {
	features := make([]NamedFeature, 0, len(e))
	for k, f := range e {
		features = append(features, NamedFeature{Key: k, Feature: f})
	}
	slices.SortFunc(features, func(a, b NamedFeature) int { return strings.Compare(a.Key, b.Key) })
	return AppendExample(nil, features)
}

// NamedFeature is one entry of an Example.
type NamedFeature struct {
	Key string
	Feature
}

// AppendExample appends to dst the encoding of the Example made of
// features, in the order given. It is the allocation-free form of
// Example.Marshal for callers that keep their features sorted.
func AppendExample(dst []byte, features []NamedFeature) []byte {
	featuresLen := 0
	for i := range features {
		featuresLen += lenField(entrySize(&features[i]))
	}
	dst = appendTagLen(dst, 1, featuresLen) // Example.features
	for i := range features {
		e := &features[i]
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
	dst = binary.AppendUvarint(dst, uint64(field)<<3|wireBytes)
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

// ParseExample decodes a serialized tf.train.Example. It reads the wire
// format as protobuf does: unknown fields and fields of an unexpected wire
// type are skipped, a repeated map key keeps its last value, and of the
// Feature.kind oneof the last list wins.
func ParseExample(b []byte) (Example, error) {
	out := Example{}
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

func parseMapEntry(b []byte, out Example) error {
	var key string
	var f Feature
	err := eachField(b, func(num int, wt int, v []byte, _ uint64) error {
		switch {
		case num == 1 && wt == wireBytes:
			key = string(v)
		case num == 2 && wt == wireBytes:
			// A message field seen twice is merged, as protobuf does.
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
		kind := FeatureKind(num)
		if wt != wireBytes || kind < BytesKind || kind > Int64Kind {
			return nil
		}
		if f.Kind != kind {
			*f = Feature{Kind: kind} // a oneof keeps only its last member
		}
		switch kind {
		case BytesKind:
			return eachField(v, func(num int, wt int, v []byte, _ uint64) error {
				if num == 1 && wt == wireBytes {
					f.Bytes = append(f.Bytes, bytes.Clone(v))
				}
				return nil
			})
		case FloatKind: // packed fixed32, or one fixed32 per field
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
		default: // Int64Kind: packed varints, or one varint per field
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
