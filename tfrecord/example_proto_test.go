package tfrecord

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// exampleDescriptor builds tensorflow/core/example/{feature,example}.proto
// by hand, so the reference protobuf runtime can check the hand-written
// encoder without generated TensorFlow code.
func exampleDescriptor(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	rep := descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	msg := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
	field := func(name string, num int32, label *descriptorpb.FieldDescriptorProto_Label, typ descriptorpb.FieldDescriptorProto_Type, typeName string, oneof *int32) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Label: label, Type: typ.Enum(), JsonName: proto.String(name), OneofIndex: oneof}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	list := func(name string, typ descriptorpb.FieldDescriptorProto_Type) *descriptorpb.DescriptorProto {
		return &descriptorpb.DescriptorProto{Name: proto.String(name), Field: []*descriptorpb.FieldDescriptorProto{field("value", 1, rep, typ, "", nil)}}
	}
	zero := proto.Int32(0)
	fdp := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("tensorflow/core/example/example.proto"),
		Package: proto.String("tensorflow"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{
			list("BytesList", descriptorpb.FieldDescriptorProto_TYPE_BYTES),
			list("FloatList", descriptorpb.FieldDescriptorProto_TYPE_FLOAT),
			list("Int64List", descriptorpb.FieldDescriptorProto_TYPE_INT64),
			{
				Name: proto.String("Feature"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("bytes_list", 1, opt, *msg, ".tensorflow.BytesList", zero),
					field("float_list", 2, opt, *msg, ".tensorflow.FloatList", zero),
					field("int64_list", 3, opt, *msg, ".tensorflow.Int64List", zero),
				},
				OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: proto.String("kind")}},
			},
			{
				Name:  proto.String("Features"),
				Field: []*descriptorpb.FieldDescriptorProto{field("feature", 1, rep, *msg, ".tensorflow.Features.FeatureEntry", nil)},
				NestedType: []*descriptorpb.DescriptorProto{{
					Name: proto.String("FeatureEntry"),
					Field: []*descriptorpb.FieldDescriptorProto{
						field("key", 1, opt, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", nil),
						field("value", 2, opt, *msg, ".tensorflow.Feature", nil),
					},
					Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
				}},
			},
			{
				Name:  proto.String("Example"),
				Field: []*descriptorpb.FieldDescriptorProto{field("features", 1, opt, *msg, ".tensorflow.Features", nil)},
			},
		},
	}
	fd, err := protodesc.NewFile(fdp, new(protoregistry.Files))
	if err != nil {
		t.Fatalf("descriptor: %v", err)
	}
	return fd.Messages().ByName("Example")
}

// imageExample is an Example of the shape augsplit writes.
func imageExample() Example {
	return Example{
		"augsplit/params":   BytesFeature([]byte(`[{"name":"rotate","params":{"angle":12.5}}]`)),
		"image/channels":    Int64Feature(1),
		"image/class/label": Int64Feature(2),
		"image/class/text":  BytesFeature([]byte("spiky")),
		"image/encoded":     BytesFeature(bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 7}, 100)),
		"image/format":      BytesFeature([]byte("png")),
		"image/height":      Int64Feature(128),
		"image/source_id":   BytesFeature([]byte("spiky_cell-0003")),
		"image/width":       Int64Feature(300),
	}
}

// TestMarshalMatchesReferenceProtobuf decodes Marshal's bytes with
// google.golang.org/protobuf and re-encodes them deterministically: the
// bytes must be the same, and the values readable.
func TestMarshalMatchesReferenceProtobuf(t *testing.T) {
	desc := exampleDescriptor(t)
	image := imageExample()
	tests := []struct {
		name string
		data []byte
	}{
		{"image", image.Marshal()},
		{"mixed", Example{
			"z": FloatFeature(1.5, -0.25),
			"a": Int64Feature(-7, 0, 1<<40),
			"m": BytesFeature([]byte("x"), bytes.Repeat([]byte{1}, 300)),
		}.Marshal()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := dynamicpb.NewMessage(desc)
			if err := proto.Unmarshal(tt.data, m); err != nil {
				t.Fatalf("reference decoder: %v", err)
			}
			again, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, tt.data) {
				t.Errorf("reference re-encoding differs:\n got %x\nwant %x", tt.data, again)
			}
		})
	}

	m := dynamicpb.NewMessage(desc)
	if err := proto.Unmarshal(tests[0].data, m); err != nil {
		t.Fatal(err)
	}
	features := m.Get(desc.Fields().ByName("features")).Message()
	fmap := features.Get(features.Descriptor().Fields().ByName("feature")).Map()
	get := func(key, list string) protoreflect.List {
		v := fmap.Get(protoreflect.ValueOfString(key).MapKey())
		if !v.IsValid() {
			t.Fatalf("feature %s missing", key)
		}
		f := v.Message()
		l := f.Get(f.Descriptor().Fields().ByName(protoreflect.Name(list))).Message()
		return l.Get(l.Descriptor().Fields().ByName("value")).List()
	}
	if got := get("image/class/label", "int64_list"); got.Len() != 1 || got.Get(0).Int() != 2 {
		t.Errorf("image/class/label = %v, want [2]", got)
	}
	if got := get("image/encoded", "bytes_list"); got.Len() != 1 || !bytes.Equal(got.Get(0).Bytes(), image["image/encoded"].Bytes[0]) {
		t.Errorf("image/encoded does not hold the image")
	}
	if got := get("image/width", "int64_list"); got.Len() != 1 || got.Get(0).Int() != 300 {
		t.Errorf("image/width = %v, want [300]", got)
	}
	if got := get("augsplit/params", "bytes_list"); got.Len() != 1 || !bytes.Equal(got.Get(0).Bytes(), image["augsplit/params"].Bytes[0]) {
		t.Errorf("augsplit/params = %q, want %s", got.Get(0).Bytes(), image["augsplit/params"].Bytes[0])
	}
	if fmap.Len() != 9 {
		t.Errorf("%d features, want 9", fmap.Len())
	}
}

// randomExample draws an Example of every feature kind, with lists that
// are empty or not, and extreme values.
func randomExample(r *rand.Rand) Example {
	ex := Example{}
	for i := range r.IntN(6) {
		key := string(rune('a'+i)) + string(rune(0x7000+r.IntN(100)))
		n := r.IntN(4)
		switch r.IntN(3) {
		case 0:
			var v [][]byte
			for range n {
				b := make([]byte, r.IntN(200))
				for j := range b {
					b[j] = byte(r.Uint32())
				}
				v = append(v, b)
			}
			ex[key] = BytesFeature(v...)
		case 1:
			var v []float32
			for range n {
				v = append(v, math.Float32frombits(r.Uint32()&^(1<<30))) // no NaN, for DeepEqual
			}
			ex[key] = FloatFeature(v...)
		default:
			var v []int64
			for range n {
				v = append(v, int64(r.Uint64())>>r.IntN(64))
			}
			ex[key] = Int64Feature(v...)
		}
	}
	return ex
}

// TestParseExampleMatchesReferenceProtobuf encodes random Examples with
// google.golang.org/protobuf (in its own map order) and reads them with
// ParseExample; Marshal must give the reference's deterministic bytes.
func TestParseExampleMatchesReferenceProtobuf(t *testing.T) {
	desc := exampleDescriptor(t)
	featuresField := desc.Fields().ByName("features")
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		ex := randomExample(r)
		m := dynamicpb.NewMessage(desc)
		features := m.Mutable(featuresField).Message()
		fmap := features.Mutable(features.Descriptor().Fields().ByName("feature")).Map()
		for k, f := range ex {
			fv := fmap.NewValue()
			fm := fv.Message()
			name := map[FeatureKind]protoreflect.Name{BytesKind: "bytes_list", FloatKind: "float_list", Int64Kind: "int64_list"}[f.Kind]
			lm := fm.Mutable(fm.Descriptor().Fields().ByName(name)).Message()
			list := lm.Mutable(lm.Descriptor().Fields().ByName("value")).List()
			for _, b := range f.Bytes {
				list.Append(protoreflect.ValueOfBytes(b))
			}
			for _, x := range f.Float {
				list.Append(protoreflect.ValueOfFloat32(x))
			}
			for _, x := range f.Int64 {
				list.Append(protoreflect.ValueOfInt64(x))
			}
			fmap.Set(protoreflect.ValueOfString(k).MapKey(), fv)
		}
		data, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseExample(data)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, ex) {
			t.Fatalf("case %d: ParseExample =\n%v\nwant\n%v", i, got, ex)
		}
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if b := ex.Marshal(); !bytes.Equal(b, want) {
			t.Fatalf("case %d: Marshal =\n%x\nreference\n%x", i, b, want)
		}
	}
}

func TestMarshalKnownBytes(t *testing.T) {
	tests := []struct {
		name     string
		features Example
		want     string // hex
	}{
		{
			name:     "empty",
			features: Example{},
			want:     "0a00", // Example.features, empty Features
		},
		{
			name: "int64 and bytes, sorted keys",
			features: Example{
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
			features: Example{
				"k": Int64Feature(-1, 300),
			},
			// -1 is ten bytes ff..ff 01; 300 is ac 02; packed body 12 bytes.
			// list: 0a 0c <12>; feature: 1a 0e <14>; entry: 0a 01 6b 12 10 <16> = 21
			want: "0a17" + "0a15" + "0a016b" + "1210" + "1a0e" + "0a0c" + "ffffffffffffffffff01" + "ac02",
		},
		{
			name: "floats and several byte values",
			features: Example{
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
			features: Example{
				"e": Int64Feature(),
			},
			// entry 0a 01 65 12 02 1a 00 (7) -> 0a 07; Example 0a 09
			want: "0a09" + "0a07" + "0a0165" + "1202" + "1a00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hex.EncodeToString(tt.features.Marshal())
			if got != tt.want {
				t.Errorf("Marshal =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestMarshalLongField(t *testing.T) {
	// A 200-byte value needs a two-byte length (c8 01) at every level.
	v := bytes.Repeat([]byte{7}, 200)
	got := Example{"k": BytesFeature(v)}.Marshal()
	// list: 0a c801 <200> = 203; feature: 0a cb01 <203> = 206;
	// entry: 0a 01 6b 12 ce01 <206> = 212; Features: 0a d401 <212> = 215;
	// Example: 0a d701 <215>.
	want := []byte{0x0a, 0xd7, 0x01, 0x0a, 0xd4, 0x01, 0x0a, 0x01, 'k', 0x12, 0xce, 0x01, 0x0a, 0xcb, 0x01, 0x0a, 0xc8, 0x01}
	want = append(want, v...)
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal =\n%x\nwant\n%x", got, want)
	}
}

// pbBytes appends a length-delimited field, written out by hand so the
// parser is tested against bytes its encoder did not make.
func pbBytes(b []byte, num int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(num<<3|2))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// entry is a Features map entry holding a Feature made of fields.
func entry(key string, fields ...[]byte) []byte {
	e := pbBytes(nil, 1, []byte(key))
	return pbBytes(nil, 1, pbBytes(e, 2, bytes.Join(fields, nil)))
}

func TestParseExample(t *testing.T) {
	varint := func(num int, x uint64) []byte {
		return binary.AppendUvarint(binary.AppendUvarint(nil, uint64(num<<3)), x)
	}
	fixed32 := func(num int, x float32) []byte {
		return binary.LittleEndian.AppendUint32(binary.AppendUvarint(nil, uint64(num<<3|5)), math.Float32bits(x))
	}
	bytesList := pbBytes(nil, 1, append(pbBytes(nil, 1, []byte("PNG")), pbBytes(nil, 1, nil)...))
	packed := binary.AppendUvarint(nil, 3)
	packed = binary.AppendUvarint(packed, math.MaxUint64) // -1
	packed = binary.AppendUvarint(packed, 1<<40)
	features := bytes.Join([][]byte{
		entry("image/encoded", bytesList),
		entry("image/class/label", pbBytes(nil, 3, pbBytes(nil, 1, packed))),
		// Unpacked lists, one value per field, as proto2 writers emit them.
		entry("f", pbBytes(nil, 2, append(fixed32(1, 1.5), fixed32(1, -2)...))),
		entry("i", pbBytes(nil, 3, append(varint(1, 7), varint(1, 8)...))),
		// Of the oneof, the last list wins; the same list twice merges.
		entry("oneof", bytesList, pbBytes(nil, 3, varint(1, 1)), pbBytes(nil, 3, varint(1, 2))),
		// A repeated map key keeps its last value.
		entry("k", pbBytes(nil, 3, varint(1, 1))),
		entry("k", pbBytes(nil, 2, fixed32(1, 4))),
		// A Feature with no list, and fields this parser does not know.
		entry("none"),
		entry("unknown", varint(9, 42), pbBytes(nil, 3, varint(2, 5))),
	}, nil)
	data := append(pbBytes(nil, 1, features), varint(9, 42)...)

	got, err := ParseExample(data)
	if err != nil {
		t.Fatalf("ParseExample: %v", err)
	}
	want := Example{
		"image/encoded":     {Kind: BytesKind, Bytes: [][]byte{[]byte("PNG"), {}}},
		"image/class/label": {Kind: Int64Kind, Int64: []int64{3, -1, 1 << 40}},
		"f":                 {Kind: FloatKind, Float: []float32{1.5, -2}},
		"i":                 {Kind: Int64Kind, Int64: []int64{7, 8}},
		"oneof":             {Kind: Int64Kind, Int64: []int64{1, 2}},
		"k":                 {Kind: FloatKind, Float: []float32{4}},
		"none":              {},
		"unknown":           {Kind: Int64Kind},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseExample =\n%+v\nwant\n%+v", got, want)
	}

	for name, bad := range map[string][]byte{
		"truncated":           data[:len(data)-12],
		"bad wire type":       {1<<3 | 7},
		"field number zero":   {0, 0},
		"length past end":     {1<<3 | 2, 50, 1},
		"packed float of 3":   pbBytes(nil, 1, entry("x", pbBytes(nil, 2, pbBytes(nil, 1, []byte{1, 2, 3})))),
		"bad packed varint":   pbBytes(nil, 1, entry("x", pbBytes(nil, 3, pbBytes(nil, 1, []byte{0x80})))),
		"truncated fixed32":   pbBytes(nil, 1, entry("x", pbBytes(nil, 2, []byte{1<<3 | 5, 1, 2}))),
		"truncated fixed64":   {9<<3 | 1, 1, 2},
		"varint past the end": {9 << 3, 0x80},
	} {
		if _, err := ParseExample(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
