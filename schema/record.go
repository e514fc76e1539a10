package schema

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Record is one line of OUT/manifest.jsonl: everything needed to find,
// check and reproduce one sample. Field order is the JSON order; keep it
// stable, the manifest is compared byte for byte across runs.
type Record struct {
	ID           string          `json:"id"`            // unique across the dataset; at most MaxIDLen bytes of ASCII letters, digits, _ and -, and Unicode letters, digits and marks (no dot: WebDataset keys)
	Split        string          `json:"split"`         // train | val | test
	Class        string          `json:"class"`         // sanitised class name as written to disk
	ClassIndex   int             `json:"class_index"`   // index in sorted class list (classes.txt)
	Source       string          `json:"source"`        // source path relative to --in, slash separated (a non-UTF-8 path strconv.Quote'd: dataset.EscapePath)
	SourceSHA256 string          `json:"source_sha256"` // of the source file bytes
	Variant      int             `json:"variant"`       // 1..N augmented; 0 = the un-augmented original
	Params       json.RawMessage `json:"params"`        // what augment applied (a JSON array), "[]" for originals
	Width        int             `json:"width"`
	Height       int             `json:"height"`
	Channels     int             `json:"channels"`  // 1 grey, 3 RGB, 4 RGB with alpha (a PNG with transparency)
	BitDepth     int             `json:"bit_depth"` // 8 or 16
	Path         string          `json:"path"`      // folder format: relative to OUT, slash separated (SamplePath); "" when not written as a file
	SHA256       string          `json:"sha256"`    // of the encoded image bytes (the PNG)
}

// MaxManifestLine bounds one manifest line: a record is a few hundred bytes
// plus its applied parameters; a longer line is corruption, not data.
const MaxManifestLine = 1 << 20

// ManifestError is a manifest line that cannot be read.
type ManifestError struct {
	Path string
	Line int
	Err  error
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *ManifestError) Unwrap() error { return e.Err }

// ReadManifest calls fn for each record of a manifest in order. Lines are
// bounded by MaxManifestLine; each must be one JSON record with a safe id,
// class and path (see ParseRecord). Errors are *ManifestError naming the
// file and line, or whatever fn returns.
func ReadManifest(r io.Reader, name string, fn func(line int, rec Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxManifestLine)
	line := 0
	for sc.Scan() {
		line++
		rec, err := ParseRecord(sc.Bytes())
		if err != nil {
			return &ManifestError{Path: name, Line: line, Err: err}
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &ManifestError{Path: name, Line: line + 1, Err: fmt.Errorf("line longer than %d bytes", MaxManifestLine)}
		}
		return &ManifestError{Path: name, Line: line + 1, Err: err}
	}
	return nil
}

// ParseRecord parses one manifest line. Beyond JSON syntax it checks what
// a reader relies on for safety: an id and class usable as path elements,
// a known split, and a path that stays inside OUT. A manifest is data, not
// trusted.
func ParseRecord(line []byte) (Record, error) {
	var rec Record
	if len(bytes.TrimSpace(line)) == 0 {
		return rec, errors.New("empty line")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&rec); err != nil {
		return rec, fmt.Errorf("not a JSON record: %w", err)
	}
	if dec.More() {
		return rec, errors.New("text after the JSON record")
	}
	switch {
	case !ValidName(rec.ID):
		return rec, fmt.Errorf("id %q: want letters, digits, '-' or '_'", rec.ID)
	case !IsSplit(rec.Split):
		return rec, fmt.Errorf("split %q: want train, val or test", rec.Split)
	case !ValidName(rec.Class):
		return rec, fmt.Errorf("class %q: want letters, digits, '-' or '_'", rec.Class)
	case rec.ClassIndex < 0:
		return rec, fmt.Errorf("class_index %d is negative", rec.ClassIndex)
	case !validSHA256(rec.SHA256):
		return rec, fmt.Errorf("sha256 %q: want 64 lowercase hex digits", rec.SHA256)
	case rec.Path != "" && !ValidPath(rec.Path):
		return rec, fmt.Errorf("path %q: want a relative slash-separated path inside the dataset", rec.Path)
	}
	return rec, nil
}
