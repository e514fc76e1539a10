package wds

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readAll(r *Reader) ([]*Sample, error) {
	var out []*Sample
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

// tarMember is one member of a hand-made tar.
type tarMember struct {
	name string
	data []byte
	typ  byte
}

// makeTar writes members with archive/tar directly, so the Reader is
// tested on archives (directories, links) the Writer never makes.
func makeTar(t testing.TB, members []tarMember) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range members {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: typ,
			ModTime: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Format: tar.FormatUSTAR}
		if typ != tar.TypeReg {
			h.Size = 0
			h.Linkname = "elsewhere"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(m.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReaderRead(t *testing.T) {
	tb := makeTar(t, []tarMember{
		{name: "a_1.png", data: []byte("png1")},
		{name: "a_1.cls", data: []byte("0")},
		{name: "a_1.json", data: []byte(`{"class":"a"}`)},
		{name: "dir/", typ: tar.TypeDir},
		{name: "dir/b_2.png", data: []byte("png2")},
		{name: "dir/b_2.seg.png", data: []byte("mask")},
		{name: "dir/b_2.cls", data: []byte("1")},
	})
	got, err := readAll(NewReader(bytes.NewReader(tb)))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	want := []*Sample{
		{Key: "a_1", Offset: 512, Members: []Member{{"png", []byte("png1")}, {"cls", []byte("0")}, {"json", []byte(`{"class":"a"}`)}}},
		// After three members of two blocks each, a directory entry and
		// the member's own header.
		{Key: "dir/b_2", Offset: 8 * 512, Members: []Member{{"png", []byte("png2")}, {"seg.png", []byte("mask")}, {"cls", []byte("1")}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("samples = %+v, want %+v", got, want)
	}
	for i, wantCls := range []int{0, 1} {
		if c, err := got[i].Class(); err != nil || c != wantCls {
			t.Errorf("sample %d: Class() = %d, %v; want %d", i, c, err, wantCls)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	good := []tarMember{
		{name: "a_1.png", data: []byte("png1")},
		{name: "a_1.cls", data: []byte("0")},
		{name: "b_2.png", data: bytes.Repeat([]byte("x"), 2000)},
		{name: "b_2.cls", data: []byte("1")},
	}
	whole := makeTar(t, good)
	// A header alone, claiming more than MaxMemberBytes.
	var big bytes.Buffer
	tw := tar.NewWriter(&big)
	if err := tw.WriteHeader(&tar.Header{Name: "c.png", Mode: 0o644, Size: MaxMemberBytes + 1, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	// A sparse member, which would expand to zeros. archive/tar drops
	// GNU.sparse records it is given, so the key is patched in afterwards
	// (the PAX records are data, outside the header checksum).
	var sparse bytes.Buffer
	tw = tar.NewWriter(&sparse)
	if err := tw.WriteHeader(&tar.Header{Name: "s.png", Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"GNU.sparsX.major": "1"}}); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	sparseTar := bytes.Replace(sparse.Bytes(), []byte("GNU.sparsX."), []byte("GNU.sparse."), 1)
	tests := []struct {
		name       string
		data       []byte
		wantOffset int64 // -1: not checked
		wantMsg    string
	}{
		{"not adjacent", makeTar(t, []tarMember{good[0], good[2], good[1]}), 1024 + 2560 + 512, `members of sample "a_1" are not adjacent`},
		{"repeated member", makeTar(t, []tarMember{good[0], good[0]}), 3 * 512, `two .png members`},
		{"no extension", makeTar(t, []tarMember{{name: "README", data: []byte("x")}}), 512, `no key.extension`},
		{"leading dot", makeTar(t, []tarMember{{name: ".png", data: []byte("x")}}), 512, `no key.extension`},
		{"symlink member", makeTar(t, []tarMember{good[0], {name: "a_1.cls", typ: tar.TypeSymlink}}), 3 * 512, "not a regular file"},
		{"cut inside a member", whole[:512*5+100], -1, "truncated member"},
		{"cut inside a header", whole[:512*4+100], -1, "truncated tar header"},
		{"cut at a member boundary", whole[:512*9], 512 * 9, "no end-of-archive marker"},
		{"half an end marker", whole[:512*12], -1, "no end-of-archive marker"},
		{"garbage header", append(bytes.Clone(whole[:512*4]), bytes.Repeat([]byte{'z'}, 1024)...), -1, "bad tar header"},
		{"oversized member", big.Bytes(), 512, "over the limit"},
		{"sparse member", sparseTar, 3 * 512, "sparse file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.data))
			_, err := readAll(r)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			for _, w := range []string{"byte offset", tc.wantMsg} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.wantOffset >= 0 && e.Offset != tc.wantOffset {
				t.Errorf("offset %d, want %d", e.Offset, tc.wantOffset)
			}
			if _, again := r.Next(); again != err {
				t.Errorf("error not sticky: then %v", again)
			}
		})
	}
}

func TestSampleClass(t *testing.T) {
	for _, tc := range []struct {
		cls  string
		want int
		ok   bool
	}{{"3", 3, true}, {"12\n", 12, true}, {"-1", 0, false}, {"x", 0, false}} {
		s := &Sample{Key: "k", Members: []Member{{"cls", []byte(tc.cls)}}}
		got, err := s.Class()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Class(%q) = %d, %v; want %d ok=%v", tc.cls, got, err, tc.want, tc.ok)
		}
	}
	if _, err := (&Sample{Key: "k"}).Class(); err == nil {
		t.Errorf("missing .cls: no error")
	}
}

func FuzzReader(f *testing.F) {
	var b bytes.Buffer
	w := NewWriter(&b)
	for _, s := range []Sample{
		{Key: "a_src-0001", Members: []Member{{"png", []byte("\x89PNG\r\n\x1a\n")}, {"cls", []byte("1")}, {"json", []byte(`{"class":"a"}`)}}},
		{Key: "細胞_src-0002", Members: []Member{{"png", []byte("png")}, {"cls", []byte("0")}}},
	} {
		if err := w.WriteSample(&s); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:b.Len()-1100])
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		keys := map[string]bool{}
		for {
			s, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Offset < 0 || e.Offset > int64(len(data)) {
					t.Fatalf("bad error %T: %v", err, err)
				}
				return
			}
			if keys[s.Key] {
				t.Fatalf("key %q returned twice", s.Key)
			}
			keys[s.Key] = true
			if len(s.Members) == 0 {
				t.Fatalf("sample %q without members", s.Key)
			}
			_, _ = s.Class() // must not panic
		}
	})
}
