package dataset

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// WDSample is one WebDataset sample: the adjacent tar members sharing a
// key (the member name up to the first dot of its base name).
type WDSample struct {
	Key    string
	Files  map[string][]byte // by extension without the leading dot: "png", "cls", "json"
	Offset int64             // byte offset just after the header of the sample's first member
}

// Class parses the .cls member: the class index as decimal text.
func (s *WDSample) Class() (int, error) {
	b, ok := s.Files["cls"]
	if !ok {
		return 0, fmt.Errorf("sample %q has no .cls member", s.Key)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("sample %q: .cls is %q, want a class index", s.Key, b)
	}
	return n, nil
}

// countingReader tells where in the shard the tar reader is, for errors.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type wdMember struct {
	key, ext string
	data     []byte
	off      int64
}

// WebDatasetReader streams samples from one WebDataset tar shard. It
// checks that members of a sample are adjacent and unique, that members
// are regular files of bounded size, and that the archive ends with its
// end-of-archive marker (so a shard cut at a member boundary is caught).
type WebDatasetReader struct {
	cr      *countingReader
	tr      *tar.Reader
	name    string
	pending *wdMember
	done    map[string]bool
	err     error
	eof     bool // the end-of-archive marker was read
}

// NewWebDatasetReader reads samples from r; name is used in errors.
func NewWebDatasetReader(r io.Reader, name string) *WebDatasetReader {
	cr := &countingReader{r: r}
	return &WebDatasetReader{cr: cr, tr: tar.NewReader(cr), name: name, done: map[string]bool{}}
}

// Next returns the next sample, io.EOF after the last, or *ShardError.
// Errors are sticky.
func (w *WebDatasetReader) Next() (*WDSample, error) {
	if w.err != nil {
		return nil, w.err
	}
	s, err := w.next()
	if err != nil {
		w.err = err
	}
	return s, err
}

func (w *WebDatasetReader) fail(off int64, msg string, err error) error {
	return &ShardError{Path: w.name, Offset: off, Msg: msg, Err: err}
}

func (w *WebDatasetReader) next() (*WDSample, error) {
	var cur *WDSample
	for {
		m := w.pending
		w.pending = nil
		if m == nil {
			var err error
			m, err = w.member()
			if err == io.EOF {
				if cur == nil {
					return nil, io.EOF
				}
				w.done[cur.Key] = true
				return cur, nil
			}
			if err != nil {
				return nil, err
			}
		}
		if cur != nil && m.key != cur.Key {
			w.pending = m
			w.done[cur.Key] = true
			return cur, nil
		}
		if cur == nil {
			if w.done[m.key] {
				return nil, w.fail(m.off, fmt.Sprintf("members of sample %q are not adjacent (or the key repeats)", m.key), nil)
			}
			cur = &WDSample{Key: m.key, Files: map[string][]byte{}, Offset: m.off}
		}
		if _, dup := cur.Files[m.ext]; dup {
			return nil, w.fail(m.off, fmt.Sprintf("sample %q has two .%s members", m.key, m.ext), nil)
		}
		cur.Files[m.ext] = m.data
	}
}

// member reads the next regular file member.
func (w *WebDatasetReader) member() (*wdMember, error) {
	if w.eof {
		return nil, io.EOF
	}
	for {
		before := w.cr.n
		h, err := w.tr.Next()
		if err == io.EOF {
			w.eof = true
			// archive/tar reports a bare end of file the same as the two
			// zero blocks that end an archive; only the latter is whole.
			if w.cr.n-before < 1024 {
				return nil, w.fail(w.cr.n, "truncated: no end-of-archive marker", nil)
			}
			return nil, io.EOF
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, w.fail(w.cr.n, "truncated tar header", err)
			}
			return nil, w.fail(w.cr.n, "bad tar header", err)
		}
		off := w.cr.n
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, w.fail(off, fmt.Sprintf("member %q is not a regular file (type %q)", h.Name, h.Typeflag), nil)
		}
		for k := range h.PAXRecords {
			// A sparse member expands holes to zeros: a few bytes of
			// archive could claim up to MaxRecordBytes of memory.
			if strings.HasPrefix(k, "GNU.sparse.") {
				return nil, w.fail(off, fmt.Sprintf("member %q is a sparse file", h.Name), nil)
			}
		}
		if h.Size < 0 || h.Size > MaxRecordBytes {
			return nil, w.fail(off, fmt.Sprintf("member %q is %d bytes, over the limit of %d", h.Name, h.Size, MaxRecordBytes), nil)
		}
		dir, base := path.Split(h.Name)
		dot := strings.IndexByte(base, '.')
		if dot <= 0 || dot == len(base)-1 {
			return nil, w.fail(off, fmt.Sprintf("member %q has no key.extension name", h.Name), nil)
		}
		data, _, err := readN(w.tr, h.Size)
		if err != nil {
			return nil, w.fail(w.cr.n, fmt.Sprintf("truncated member %q", h.Name), err)
		}
		return &wdMember{key: dir + base[:dot], ext: base[dot+1:], data: data, off: off}, nil
	}
}
