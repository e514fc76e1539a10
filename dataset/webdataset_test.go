package dataset

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func readAllWDS(r *WebDatasetReader) ([]*WDSample, error) {
	var out []*WDSample
	for {
		s, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
}

func TestWebDatasetRead(t *testing.T) {
	tb := makeTar(t, []tarMember{
		{name: "a_1.png", data: []byte("png1")},
		{name: "a_1.cls", data: []byte("0")},
		{name: "a_1.json", data: []byte(`{"class":"a"}`)},
		{name: "dir/", typ: tar.TypeDir},
		{name: "dir/b_2.png", data: []byte("png2")},
		{name: "dir/b_2.seg.png", data: []byte("mask")},
		{name: "dir/b_2.cls", data: []byte("1")},
	})
	got, err := readAllWDS(NewWebDatasetReader(bytes.NewReader(tb), "s.tar"))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	want := []*WDSample{
		{Key: "a_1", Offset: 512, Files: map[string][]byte{"png": []byte("png1"), "cls": []byte("0"), "json": []byte(`{"class":"a"}`)}},
		{Key: "dir/b_2", Files: map[string][]byte{"png": []byte("png2"), "seg.png": []byte("mask"), "cls": []byte("1")}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d samples, want %d", len(got), len(want))
	}
	want[1].Offset = got[1].Offset // after a directory entry; checked to be > first below
	if !reflect.DeepEqual(got, want) || got[1].Offset <= got[0].Offset {
		t.Errorf("samples = %+v, want %+v", got, want)
	}
	for i, wantCls := range []int{0, 1} {
		if c, err := got[i].Class(); err != nil || c != wantCls {
			t.Errorf("sample %d: Class() = %d, %v; want %d", i, c, err, wantCls)
		}
	}
}

func TestWebDatasetErrors(t *testing.T) {
	good := []tarMember{
		{name: "a_1.png", data: []byte("png1")},
		{name: "a_1.cls", data: []byte("0")},
		{name: "b_2.png", data: bytes.Repeat([]byte("x"), 2000)},
		{name: "b_2.cls", data: []byte("1")},
	}
	whole := makeTar(t, good)
	// A header alone, claiming more than MaxRecordBytes.
	var big bytes.Buffer
	tw := tar.NewWriter(&big)
	if err := tw.WriteHeader(&tar.Header{Name: "c.png", Mode: 0o644, Size: MaxRecordBytes + 1, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		wantMsg string
	}{
		{"not adjacent", makeTar(t, []tarMember{good[0], good[2], good[1]}), `members of sample "a_1" are not adjacent`},
		{"repeated member", makeTar(t, []tarMember{good[0], good[0]}), `two .png members`},
		{"no extension", makeTar(t, []tarMember{{name: "README", data: []byte("x")}}), `no key.extension`},
		{"leading dot", makeTar(t, []tarMember{{name: ".png", data: []byte("x")}}), `no key.extension`},
		{"symlink member", makeTar(t, []tarMember{good[0], {name: "a_1.cls", typ: tar.TypeSymlink}}), "not a regular file"},
		{"cut inside a member", whole[:512*5+100], "truncated member"},
		{"cut inside a header", whole[:512*4+100], "truncated tar header"},
		{"cut at a member boundary", whole[:512*9], "no end-of-archive marker"},
		{"half an end marker", whole[:512*12], "no end-of-archive marker"},
		{"garbage header", append(bytes.Clone(whole[:512*4]), bytes.Repeat([]byte{'z'}, 1024)...), "bad tar header"},
		{"oversized member", big.Bytes(), "over the limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAllWDS(NewWebDatasetReader(bytes.NewReader(tc.data), "val-000003.tar"))
			var se *ShardError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *ShardError", err)
			}
			for _, w := range []string{"val-000003.tar", "byte offset", tc.wantMsg} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestWDSampleClass(t *testing.T) {
	for _, tc := range []struct {
		cls  string
		want int
		ok   bool
	}{{"3", 3, true}, {"12\n", 12, true}, {"-1", 0, false}, {"x", 0, false}} {
		s := &WDSample{Key: "k", Files: map[string][]byte{"cls": []byte(tc.cls)}}
		got, err := s.Class()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Class(%q) = %d, %v; want %d ok=%v", tc.cls, got, err, tc.want, tc.ok)
		}
	}
	if _, err := (&WDSample{Key: "k", Files: map[string][]byte{}}).Class(); err == nil {
		t.Errorf("missing .cls: no error")
	}
}
