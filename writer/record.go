package writer

import "encoding/json"

// Split names. A dataset has train and at least one of val/test.
const (
	Train = "train"
	Val   = "val"
	Test  = "test"
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
	Path         string          `json:"path"`      // folder format: relative to OUT, slash separated ("train/<class>/<id>.png"); "" when not written as a file
	SHA256       string          `json:"sha256"`    // of the encoded image bytes (the PNG)
}

// Sample is a record plus its encoded image, as handed to a Sink.
type Sample struct {
	Record
	Data []byte // encoded image (PNG for generate; the file's own bytes for split)

	// Ext is the folder format's file extension; "" means ".png". `augsplit
	// split` keeps each file's own format and so its extension.
	Ext string

	// LinkFrom, when set, asks the folder format to hard-link this existing
	// file (same bytes as Data) instead of writing Data: `augsplit split --link`.
	LinkFrom string
}

// Card is OUT/dataset.json, the dataset card. Written last of all.
type Card struct {
	Tool           string                    `json:"tool"`    // "augsplit"
	Version        string                    `json:"version"` // tool version
	Command        string                    `json:"command"` // "generate" | "split"
	Seed           uint64                    `json:"seed"`
	Config         json.RawMessage           `json:"config"`      // effective configuration (flags + file), as JSON
	Fingerprint    string                    `json:"fingerprint"` // sha256 over inputs+config: same fingerprint = same output
	Classes        []string                  `json:"classes"`
	Splits         []string                  `json:"splits"`      // non-empty splits, in order train, val, test
	Counts         map[string]map[string]int `json:"counts"`      // class -> split -> samples
	SplitLevel     map[string]string         `json:"split_level"` // class -> "source" | "variant"
	Total          int                       `json:"total"`
	Sources        []Source                  `json:"sources"`
	Skipped        []Skipped                 `json:"skipped,omitempty"`
	NonImages      int                       `json:"non_images"`         // files ignored because not images
	Renamed        []Renamed                 `json:"renamed,omitempty"`  // names sanitised for output
	Warnings       []string                  `json:"warnings,omitempty"` // what stderr warned about (e.g. sources shared across splits)
	Formats        []string                  `json:"formats"`            // "folder", "webdataset", "tfrecord"
	Shards         []Shard                   `json:"shards,omitempty"`
	ManifestSHA256 string                    `json:"manifest_sha256"` // sha256 of manifest.jsonl as written

	// CardSHA256 is the sha256 of this file as written with this field
	// empty: a hand edit anywhere in the card shows (see SealCard).
	// Keep it the last field.
	CardSHA256 string `json:"card_sha256"`
}

// Source describes one input image.
type Source struct {
	Path   string `json:"path"` // relative to --in, slash separated (a non-UTF-8 path strconv.Quote'd)
	Class  string `json:"class"`
	SHA256 string `json:"sha256"`
	Width  int    `json:"width"`  // as used: after Orientation
	Height int    `json:"height"` // as used: after Orientation
	// Orientation is the EXIF orientation (2 to 8) applied to a JPEG
	// source when it was decoded; absent when none was.
	Orientation int    `json:"orientation,omitempty"`
	Split       string `json:"split,omitempty"` // when split by source: where its variants went
}

// Skipped is an input file left out (--skip-bad) and why.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Renamed records an input name that had to be sanitised for output.
type Renamed struct {
	From string `json:"from"` // original (may be invalid UTF-8: quoted with strconv.Quote)
	To   string `json:"to"`
}

// Shard describes one WebDataset or TFRecord file.
type Shard struct {
	Format  string `json:"format"` // webdataset | tfrecord
	Split   string `json:"split"`
	Path    string `json:"path"` // relative to OUT
	Samples int    `json:"samples"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
}
