package dataset

import (
	"errors"
	"fmt"
	"math"

	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

// ShardError is a WebDataset or TFRecord shard whose framing or content is
// invalid, with the byte offset where reading went wrong.
type ShardError struct {
	Path   string
	Offset int64
	Msg    string // empty when Err says it all
	Err    error  // underlying cause, if any
}

func (e *ShardError) Error() string {
	switch {
	case e.Msg == "":
		return fmt.Sprintf("shard %s: at byte offset %d: %v", e.Path, e.Offset, e.Err)
	case e.Err != nil:
		return fmt.Sprintf("shard %s: at byte offset %d: %s: %v", e.Path, e.Offset, e.Msg, e.Err)
	}
	return fmt.Sprintf("shard %s: at byte offset %d: %s", e.Path, e.Offset, e.Msg)
}

func (e *ShardError) Unwrap() error { return e.Err }

// inShard names shard p in an error of a codec reader, which knows the
// offset but not the file.
func inShard(p string, err error) error {
	var te *tfrecord.Error
	var we *wds.Error
	switch {
	case errors.As(err, &te):
		return &ShardError{Path: p, Offset: te.Offset, Err: te.Err}
	case errors.As(err, &we):
		return &ShardError{Path: p, Offset: we.Offset, Err: we.Err}
	}
	return fmt.Errorf("shard %s: %w", p, err)
}

// TFSample is the part of an augsplit tf.train.Example that readers need.
type TFSample struct {
	Encoded  []byte // image/encoded (PNG)
	Label    int    // image/class/label
	Class    string // image/class/text
	SourceID string // image/source_id
	Offset   int64  // byte offset of the record in its shard
}

// ReadTFSample parses the features augsplit writes, naming the missing or
// malformed one.
func ReadTFSample(name string, offset int64, data []byte) (*TFSample, error) {
	fail := func(msg string, err error) error {
		return &ShardError{Path: name, Offset: offset, Msg: msg, Err: err}
	}
	ex, err := tfrecord.ParseExample(data)
	if err != nil {
		return nil, fail("bad record payload", err)
	}
	enc := ex["image/encoded"].Bytes
	if len(enc) != 1 {
		return nil, fail(fmt.Sprintf("image/encoded: want one bytes value, have %d", len(enc)), nil)
	}
	lab := ex["image/class/label"].Int64
	if len(lab) != 1 || lab[0] < 0 || lab[0] > math.MaxInt32 {
		return nil, fail(fmt.Sprintf("image/class/label: want one non-negative int64, have %v", lab), nil)
	}
	s := &TFSample{Encoded: enc[0], Label: int(lab[0]), Offset: offset}
	if t := ex["image/class/text"].Bytes; len(t) == 1 {
		s.Class = string(t[0])
	}
	if t := ex["image/source_id"].Bytes; len(t) == 1 {
		s.SourceID = string(t[0])
	}
	return s, nil
}
