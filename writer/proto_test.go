package writer

import (
	"bytes"
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

// TestExampleMatchesReferenceProtobuf decodes the writer's Example with
// google.golang.org/protobuf and re-encodes it deterministically: the bytes
// must be the same, and the values readable.
func TestExampleMatchesReferenceProtobuf(t *testing.T) {
	desc := exampleDescriptor(t)
	s := makeSamples(3)[2]
	o := &Out{}
	tests := []struct {
		name string
		data []byte
	}{
		{"sample", o.exampleOf(&s)},
		{"mixed", EncodeExample(map[string]Feature{
			"z": FloatFeature(1.5, -0.25),
			"a": Int64Feature(-7, 0, 1<<40),
			"m": BytesFeature([]byte("x"), bytes.Repeat([]byte{1}, 300)),
		})},
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
	if got := get("image/class/label", "int64_list"); got.Len() != 1 || got.Get(0).Int() != int64(s.ClassIndex) {
		t.Errorf("image/class/label = %v, want [%d]", got, s.ClassIndex)
	}
	if got := get("image/encoded", "bytes_list"); got.Len() != 1 || !bytes.Equal(got.Get(0).Bytes(), s.Data) {
		t.Errorf("image/encoded does not hold the sample's data")
	}
	if got := get("image/width", "int64_list"); got.Len() != 1 || got.Get(0).Int() != int64(s.Width) {
		t.Errorf("image/width = %v, want [%d]", got, s.Width)
	}
	if got := get("augsplit/params", "bytes_list"); got.Len() != 1 || string(got.Get(0).Bytes()) != string(s.Params) {
		t.Errorf("augsplit/params = %q, want %s", got.Get(0).Bytes(), s.Params)
	}
	if fmap.Len() != 9 {
		t.Errorf("%d features, want 9", fmap.Len())
	}
}
