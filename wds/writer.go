package wds

import (
	"archive/tar"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// modTime is the mtime of every member: a fixed instant, so shards are
// byte-identical from run to run.
var modTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// memberMode is the mode of every member.
const memberMode = 0o644

// ustarNameLen is the longest name a USTAR header holds without a prefix.
const ustarNameLen = 100

// Writer writes samples to a tar archive. It is not safe for concurrent
// use.
type Writer struct {
	tw  *tar.Writer
	hdr tar.Header
}

// NewWriter returns a Writer that writes a tar archive to w.
func NewWriter(w io.Writer) *Writer { return &Writer{tw: tar.NewWriter(w)} }

// WriteSample writes the members of s, adjacent and in order, each named
// key.ext. When it returns, all EncodedSize(s) bytes, the padding of the
// last member included, have been written to the underlying writer.
//
// The key must not contain a dot after its last slash, and the extensions
// of a sample must be non-empty, without a slash and distinct, so that a
// Reader gives back the same sample. Keys must differ from sample to
// sample; the Writer does not remember them.
func (w *Writer) WriteSample(s *Sample) error {
	if len(s.Members) == 0 {
		return fmt.Errorf("sample %q has no members", s.Key)
	}
	for i := range s.Members {
		m := &s.Members[i]
		name := s.Key + "." + m.Ext
		if k, e, ok := splitName(name); !ok || k != s.Key || e != m.Ext {
			return fmt.Errorf("sample %q: member %q does not split into the key and extension %q (a key has no dot after its last slash; an extension is not empty and has no slash)", s.Key, name, m.Ext)
		}
		for j := range i {
			if s.Members[j].Ext == m.Ext {
				return fmt.Errorf("sample %q has two .%s members", s.Key, m.Ext)
			}
		}
		w.hdr = tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Size:     int64(len(m.Data)),
			Mode:     memberMode,
			ModTime:  modTime,
			Format:   format(s.Key, m.Ext),
		}
		if err := w.tw.WriteHeader(&w.hdr); err != nil {
			return err
		}
		if _, err := w.tw.Write(m.Data); err != nil {
			return err
		}
	}
	// Flush pads the last member to a block boundary now, so the sample's
	// bytes are exactly EncodedSize.
	return w.tw.Flush()
}

// Close writes the end-of-archive marker, TrailerSize bytes. It does not
// close the underlying writer.
func (w *Writer) Close() error { return w.tw.Close() }

// EncodedSize is the number of bytes WriteSample writes for s: per member
// a header, the data padded to 512-byte blocks and, for a name USTAR
// cannot hold, the PAX extended header before it.
func EncodedSize(s *Sample) int64 {
	var n int64
	for i := range s.Members {
		m := &s.Members[i]
		n += blocks(len(m.Data))
		if format(s.Key, m.Ext) == tar.FormatPAX {
			// archive/tar writes the extended header as a member of its
			// own whose data is the records; "path" is the only one,
			// since modTime is whole seconds, the other times are zero
			// and uname/gname are empty.
			n += blocks(len(paxRecord("path", s.Key+"."+m.Ext)))
		}
	}
	return n
}

// blocks is the space a member of n bytes takes: header plus data padded
// to 512-byte blocks.
func blocks(n int) int64 { return 512 + (int64(n)+511)/512*512 }

// format is USTAR for names it holds as they are, so shards of ASCII keys
// stay plain USTAR, and PAX otherwise: archive/tar refuses non-ASCII names
// in USTAR, and PAX carries them as a UTF-8 "path" record.
func format(key, ext string) tar.Format {
	if len(key)+1+len(ext) <= ustarNameLen && isASCII(key) && isASCII(ext) {
		return tar.FormatUSTAR
	}
	return tar.FormatPAX
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// paxRecord formats a PAX record as archive/tar does: "<len> <k>=<v>\n",
// where <len> counts the whole record including its own digits.
func paxRecord(k, v string) string {
	const padding = 3 // ' ', '=' and '\n'
	size := len(k) + len(v) + padding
	size += len(strconv.Itoa(size))
	record := strconv.Itoa(size) + " " + k + "=" + v + "\n"
	if len(record) != size { // adding the digits added a digit
		size = len(record)
		record = strconv.Itoa(size) + " " + k + "=" + v + "\n"
	}
	return record
}
