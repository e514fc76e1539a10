package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
)

// IndexFile is the shard index of a format, OUT/<format>/index.json: per
// split, its shards in order with their sample counts, so a loader can
// size an epoch and spread shards over workers without opening them. The
// entries follow the WebDataset library's shard list ({"url",
// "nsamples"}); url is relative to the index file. It is written after
// the shards and before the manifest and card, and dataset.Verify checks
// it against the card.
const IndexFile = "index.json"

// ShardIndex is the content of an IndexFile. Field order is byte order.
type ShardIndex struct {
	Train []IndexEntry `json:"train,omitempty"`
	Val   []IndexEntry `json:"val,omitempty"`
	Test  []IndexEntry `json:"test,omitempty"`
}

// IndexEntry is one shard in a ShardIndex.
type IndexEntry struct {
	URL      string `json:"url"`      // shard file name, relative to the index
	NSamples int    `json:"nsamples"` // samples in the shard
	FileSize int64  `json:"filesize"` // bytes
	SHA256   string `json:"sha256"`
}

// Split returns the entries of split s.
func (x *ShardIndex) Split(s string) []IndexEntry {
	switch s {
	case Train:
		return x.Train
	case Val:
		return x.Val
	case Test:
		return x.Test
	}
	return nil
}

func (x *ShardIndex) add(s string, e IndexEntry) {
	switch s {
	case Train:
		x.Train = append(x.Train, e)
	case Val:
		x.Val = append(x.Val, e)
	case Test:
		x.Test = append(x.Test, e)
	}
}

// IndexOf builds the index of format from shards (Card.Shards order: by
// path within a split, which is shard order).
func IndexOf(format string, shards []Shard) ShardIndex {
	var x ShardIndex
	for _, s := range shards {
		if s.Format != format {
			continue
		}
		x.add(s.Split, IndexEntry{URL: path.Base(s.Path), NSamples: s.Samples, FileSize: s.Bytes, SHA256: s.SHA256})
	}
	return x
}

// MarshalIndex is the bytes of an IndexFile: indented JSON and a newline.
func MarshalIndex(x ShardIndex) ([]byte, error) {
	data, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode shard index: %w", err)
	}
	return append(data, '\n'), nil
}

// ReadIndex decodes an IndexFile (at most MaxCardBytes); name is the file,
// for the error. Unknown fields are refused: the index is augsplit's own.
func ReadIndex(r io.Reader, name string) (*ShardIndex, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxCardBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxCardBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxCardBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var x ShardIndex
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &x, nil
}
