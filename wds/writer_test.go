package wds

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testSamples mixes ASCII keys (USTAR), non-ASCII ones in composed and
// decomposed form, a key whose names are longer than USTAR holds, a key
// with a folder, and members from empty to several blocks (PAX).
func testSamples() []Sample {
	png := func(n int) []byte { return bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, n) }
	return []Sample{
		{Key: "round_cell-0001", Members: []Member{{"png", png(300)}, {"cls", []byte("0")}, {"json", []byte(`{"class":"round"}`)}}},
		{Key: "細胞_a-0002", Members: []Member{{"png", png(1)}, {"cls", []byte("1")}, {"json", []byte(`{"class":"細胞"}`)}}},
		{Key: "Zellen_ä_u\u0308-0003", Members: []Member{{"png", nil}, {"cls", []byte("2")}}},
		{Key: strings.Repeat("k", 97), Members: []Member{{"png", png(128)}, {"json", []byte("{}")}}},
		{Key: "train/spiky_x-0004", Members: []Member{{"png", png(129)}, {"seg.png", png(2)}, {"cls", []byte("3")}}},
	}
}

func writeAll(t testing.TB, samples []Sample) []byte {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b)
	for i := range samples {
		before := b.Len()
		if err := w.WriteSample(&samples[i]); err != nil {
			t.Fatalf("WriteSample(%q): %v", samples[i].Key, err)
		}
		if got, want := int64(b.Len()-before), EncodedSize(&samples[i]); got != want {
			t.Errorf("sample %q: wrote %d bytes, EncodedSize says %d", samples[i].Key, got, want)
		}
	}
	before := b.Len()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := b.Len() - before; got != TrailerSize {
		t.Errorf("Close wrote %d bytes, want TrailerSize %d", got, TrailerSize)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	samples := testSamples()
	got, err := readAll(NewReader(bytes.NewReader(writeAll(t, samples))))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(samples) {
		t.Fatalf("read %d samples, want %d", len(got), len(samples))
	}
	var at int64
	for i, g := range got {
		want := samples[i]
		if g.Key != want.Key || len(g.Members) != len(want.Members) {
			t.Fatalf("sample %d = %q with %d members, want %q with %d", i, g.Key, len(g.Members), want.Key, len(want.Members))
		}
		for j, m := range g.Members {
			if m.Ext != want.Members[j].Ext || !bytes.Equal(m.Data, want.Members[j].Data) {
				t.Errorf("sample %q member %d = .%s (%d bytes), want .%s (%d bytes)", g.Key, j, m.Ext, len(m.Data), want.Members[j].Ext, len(want.Members[j].Data))
			}
		}
		// The offset is just after the first member's header, and its
		// PAX header when it has one.
		wantOff := at + 512
		if format(want.Key, want.Members[0].Ext) == tar.FormatPAX {
			wantOff += blocks(len(paxRecord("path", want.Key+"."+want.Members[0].Ext)))
		}
		if g.Offset != wantOff {
			t.Errorf("sample %q at offset %d, want %d", g.Key, g.Offset, wantOff)
		}
		at += EncodedSize(&want)
	}
}

// TestHeaders: every header is the fixed one, names USTAR can hold are
// plain USTAR, and the others PAX with nothing but a "path" record, so
// nothing that varies (a clock, a user) reaches the bytes.
func TestHeaders(t *testing.T) {
	data := writeAll(t, testSamples())
	if got := string(data[257:265]); got != "ustar\x0000" {
		t.Errorf("magic+version = %q, want %q, as Python's tarfile and GNU tar expect", got, "ustar\x0000")
	}
	tr := tar.NewReader(bytes.NewReader(data))
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		wantFormat, wantPAX := tar.FormatUSTAR, map[string]string(nil)
		if !isASCII(h.Name) || len(h.Name) > 100 {
			wantFormat, wantPAX = tar.FormatPAX, map[string]string{"path": h.Name}
		}
		if h.Format != wantFormat || !maps.Equal(h.PAXRecords, wantPAX) {
			t.Errorf("%s: format %v, PAX records %v; want %v, %v", h.Name, h.Format, h.PAXRecords, wantFormat, wantPAX)
		}
		if h.Typeflag != tar.TypeReg || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" ||
			!h.ModTime.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: header %+v is not the fixed one", h.Name, h)
		}
	}
	if n != 13 {
		t.Errorf("%d members, want 13", n)
	}
}

// TestEncodedSizeMatchesArchiveTar checks the size math against what
// archive/tar writes for names on both sides of the USTAR limits.
func TestEncodedSizeMatchesArchiveTar(t *testing.T) {
	for _, key := range []string{"a", "細胞_x", strings.Repeat("細", 31), "Zellen_ä", strings.Repeat("k", 95), strings.Repeat("k", 96), strings.Repeat("k", 200), "d/" + strings.Repeat("k", 120)} {
		for _, n := range []int{0, 1, 511, 512, 513} {
			name := key + ".json"
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(n), Mode: 0o644, ModTime: modTime, Format: format(key, "json")}); err != nil {
				t.Fatalf("%q: %v", name, err)
			}
			tw.Write(make([]byte, n))
			tw.Flush()
			s := Sample{Key: key, Members: []Member{{"json", make([]byte, n)}}}
			if got := EncodedSize(&s); got != int64(buf.Len()) {
				t.Errorf("EncodedSize(%q, %d bytes) = %d, archive/tar wrote %d", name, n, got, buf.Len())
			}
		}
	}
}

func TestWriterRejects(t *testing.T) {
	for _, tc := range []struct {
		s    Sample
		want string
	}{
		{Sample{Key: "a"}, "no members"},
		{Sample{Key: "a.b", Members: []Member{{"png", nil}}}, "does not split"},
		{Sample{Key: "", Members: []Member{{"png", nil}}}, "does not split"},
		{Sample{Key: "dir/", Members: []Member{{"png", nil}}}, "does not split"},
		{Sample{Key: "a", Members: []Member{{"", nil}}}, "does not split"},
		{Sample{Key: "a", Members: []Member{{"x/png", nil}}}, "does not split"},
		{Sample{Key: "a", Members: []Member{{"png", nil}, {"cls", nil}, {"png", nil}}}, "two .png members"},
	} {
		t.Run(fmt.Sprintf("%q", tc.s.Key), func(t *testing.T) {
			var b bytes.Buffer
			err := NewWriter(&b).WriteSample(&tc.s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("WriteSample(%+v) = %v, want an error about %q", tc.s, err, tc.want)
			}
		})
	}
	// Accepted names read back as the same key and extension.
	for _, s := range []Sample{
		{Key: "d.x/a", Members: []Member{{"seg.png", []byte("1")}}},
		{Key: "-", Members: []Member{{"a.b.c", nil}}},
	} {
		got, err := readAll(NewReader(bytes.NewReader(writeAll(t, []Sample{s}))))
		if err != nil || len(got) != 1 || got[0].Key != s.Key || !reflect.DeepEqual(got[0].Members[0].Ext, s.Members[0].Ext) {
			t.Errorf("%+v read back as %+v, %v", s, got, err)
		}
	}
}
