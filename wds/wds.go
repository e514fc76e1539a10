// Package wds reads and writes WebDataset shards: tar archives in which a
// sample is the run of adjacent members sharing a key, the member name up
// to the first dot of its base name ("a/x_1.png" and "a/x_1.cls" are the
// "png" and "cls" members of sample "a/x_1").
//
// The Writer and the Reader share the Sample type and the naming rule. The
// Writer's headers are deterministic (regular files, mode 0644, uid and gid
// 0, no user or group names, a fixed modification time), so the same
// samples give the same bytes; names that USTAR cannot hold (non-ASCII or
// longer than 100 bytes) get a PAX "path" record, which Python's tarfile,
// GNU tar and webdataset read.
package wds

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// MaxMemberBytes is the largest member the Reader accepts: a corrupt size
// field must not make it allocate gigabytes.
const MaxMemberBytes = 256 << 20

// TrailerSize is the number of bytes Close writes: the two zero blocks
// that end a tar archive.
const TrailerSize = 1024

// Sample is one WebDataset sample.
type Sample struct {
	Key     string
	Members []Member // in archive order
	// Offset is set by the Reader: the byte offset in the shard just after
	// the header of the sample's first member. The Writer ignores it.
	Offset int64
}

// Member is one file of a sample.
type Member struct {
	Ext  string // the name after the key and its dot: "png", "cls", "seg.png"
	Data []byte
}

// Data returns the data of the member with extension ext.
func (s *Sample) Data(ext string) ([]byte, bool) {
	for i := range s.Members {
		if s.Members[i].Ext == ext {
			return s.Members[i].Data, true
		}
	}
	return nil, false
}

// Class parses the .cls member, which by WebDataset convention holds the
// class index as decimal text.
func (s *Sample) Class() (int, error) {
	b, ok := s.Data("cls")
	if !ok {
		return 0, fmt.Errorf("sample %q has no .cls member", s.Key)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("sample %q: .cls is %q, want a class index", s.Key, b)
	}
	return n, nil
}

// splitName splits a member name into the key and extension of the
// WebDataset rule: the key runs to the first dot of the base name. ok is
// false when the base name has no dot between non-empty parts.
func splitName(name string) (key, ext string, ok bool) {
	dir, base := path.Split(name)
	dot := strings.IndexByte(base, '.')
	if dot <= 0 || dot == len(base)-1 {
		return "", "", false
	}
	return dir + base[:dot], base[dot+1:], true
}

// Error is a fault in a WebDataset shard: a malformed or truncated tar, a
// member that breaks the WebDataset rules, or a failed read.
type Error struct {
	Offset int64 // byte offset in the shard where reading went wrong
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("at byte offset %d: %v", e.Offset, e.Err) }

func (e *Error) Unwrap() error { return e.Err }
