package wds

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/augsplit/augsplit/internal/shardio"
)

// Reader reads the samples of a WebDataset shard. It checks that the
// members of a sample are adjacent and have distinct extensions, that keys
// do not come back, that members are regular files of at most
// MaxMemberBytes, and that the archive ends with its end-of-archive marker
// (so a shard cut at a member boundary is caught). Directory entries are
// skipped.
type Reader struct {
	cr      *shardio.Counter
	tr      *tar.Reader
	pending *member
	done    map[string]bool
	err     error
	eof     bool // the end-of-archive marker was read
}

type member struct {
	key, ext string
	data     []byte
	off      int64
}

// NewReader returns a Reader of the samples in the tar archive r.
func NewReader(r io.Reader) *Reader {
	cr := &shardio.Counter{R: r}
	return &Reader{cr: cr, tr: tar.NewReader(cr), done: map[string]bool{}}
}

// Next returns the next sample, io.EOF after the last, or an *Error.
// Errors are sticky.
func (r *Reader) Next() (*Sample, error) {
	if r.err != nil {
		return nil, r.err
	}
	s, err := r.next()
	if err != nil {
		r.err = err
	}
	return s, err
}

func fail(off int64, format string, a ...any) error {
	return &Error{Offset: off, Err: fmt.Errorf(format, a...)}
}

func (r *Reader) next() (*Sample, error) {
	var cur *Sample
	for {
		m := r.pending
		r.pending = nil
		if m == nil {
			var err error
			m, err = r.member()
			if err == io.EOF {
				if cur == nil {
					return nil, io.EOF
				}
				r.done[cur.Key] = true
				return cur, nil
			}
			if err != nil {
				return nil, err
			}
		}
		if cur != nil && m.key != cur.Key {
			r.pending = m
			r.done[cur.Key] = true
			return cur, nil
		}
		if cur == nil {
			if r.done[m.key] {
				return nil, fail(m.off, "members of sample %q are not adjacent (or the key repeats)", m.key)
			}
			cur = &Sample{Key: m.key, Offset: m.off}
		}
		if _, dup := cur.Data(m.ext); dup {
			return nil, fail(m.off, "sample %q has two .%s members", m.key, m.ext)
		}
		cur.Members = append(cur.Members, Member{Ext: m.ext, Data: m.data})
	}
}

// member reads the next regular file member.
func (r *Reader) member() (*member, error) {
	if r.eof {
		return nil, io.EOF
	}
	for {
		before := r.cr.N
		h, err := r.tr.Next()
		if err == io.EOF {
			r.eof = true
			// archive/tar reports a bare end of file the same as the two
			// zero blocks that end an archive; only the latter is whole.
			if r.cr.N-before < TrailerSize {
				return nil, fail(r.cr.N, "truncated: no end-of-archive marker")
			}
			return nil, io.EOF
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fail(r.cr.N, "truncated tar header: %w", err)
			}
			return nil, fail(r.cr.N, "bad tar header: %w", err)
		}
		off := r.cr.N
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, fail(off, "member %q is not a regular file (type %q)", h.Name, h.Typeflag)
		}
		for k := range h.PAXRecords {
			// A sparse member expands holes to zeros: a few bytes of
			// archive could claim up to MaxMemberBytes of memory.
			if strings.HasPrefix(k, "GNU.sparse.") {
				return nil, fail(off, "member %q is a sparse file", h.Name)
			}
		}
		if h.Size < 0 || h.Size > MaxMemberBytes {
			return nil, fail(off, "member %q is %d bytes, over the limit of %d", h.Name, h.Size, MaxMemberBytes)
		}
		key, ext, ok := splitName(h.Name)
		if !ok {
			return nil, fail(off, "member %q has no key.extension name", h.Name)
		}
		data, _, err := shardio.ReadN(r.tr, h.Size)
		if err != nil {
			return nil, fail(r.cr.N, "truncated member %q: %w", h.Name, err)
		}
		return &member{key: key, ext: ext, data: data, off: off}, nil
	}
}
