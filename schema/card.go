package schema

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
)

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
	SplitLevel     map[string]string         `json:"split_level"` // class -> LevelSource | LevelVariant
	Total          int                       `json:"total"`
	Sources        []Source                  `json:"sources"`
	Skipped        []Skipped                 `json:"skipped,omitempty"`
	NonImages      int                       `json:"non_images"`         // files ignored because not images
	Renamed        []Renamed                 `json:"renamed,omitempty"`  // names sanitised for output
	Warnings       []string                  `json:"warnings,omitempty"` // what stderr warned about (e.g. sources shared across splits)
	Formats        []string                  `json:"formats"`            // "folder", "webdataset", "tfrecord"
	Shards         []Shard                   `json:"shards,omitempty"`
	Metadata       []FileSum                 `json:"metadata,omitempty"` // files derived from this card (croissant.json, README.md), sorted by path
	ManifestSHA256 string                    `json:"manifest_sha256"`    // sha256 of manifest.jsonl as written

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
	// Group is what `split --group-regex` captured from the file name:
	// sources of one class with the same group were kept in one split and
	// are one unit of validation evidence. Absent when each source is its
	// own group.
	Group string `json:"group,omitempty"`
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
	Format  string `json:"format"` // FormatWebDataset | FormatTFRecord
	Split   string `json:"split"`
	Path    string `json:"path"` // relative to OUT
	Samples int    `json:"samples"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
}

// FileSum seals a file of OUT by its sha256.
type FileSum struct {
	Path   string `json:"path"` // relative to OUT
	SHA256 string `json:"sha256"`
}

// MaxCardBytes bounds dataset.json, which lists every source.
const MaxCardBytes = 256 << 20

// ReadCard decodes a dataset card from r (at most MaxCardBytes). name is
// the file, for the error. It does not check the seal (CheckCardSeal) or
// the contents (Card.Check).
func ReadCard(r io.Reader, name string) (*Card, error) {
	var card Card
	if err := json.NewDecoder(io.LimitReader(r, MaxCardBytes)).Decode(&card); err != nil {
		return nil, fmt.Errorf("%s: not a valid dataset card: %w", name, err)
	}
	return &card, nil
}

// Check reports what is inconsistent within the card itself, one problem
// per string, nil when there is none: classes sorted, unique and valid;
// splits known and in order; a count above zero for every class in every
// split, and counts that add up to the total; a split level for every
// class; known formats; sources in listed classes and splits. These are
// the checks of dataset.Verify that need no other file, and the writer
// refuses to seal a card that fails them.
func (c *Card) Check() []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// The class list is the label order: it must be sorted and unique.
	if len(c.Classes) == 0 {
		add("%s: lists no classes", CardFile)
	}
	if !sort.StringsAreSorted(c.Classes) {
		add("%s: classes are not sorted: %q", CardFile, c.Classes)
	}
	classes := map[string]bool{}
	for _, cl := range c.Classes {
		if classes[cl] {
			add("%s: class %q listed twice", CardFile, cl)
		}
		classes[cl] = true
		if !ValidName(cl) {
			add("%s: class %q: want letters, digits, '-' or '_'", CardFile, cl)
		}
	}

	if len(c.Splits) == 0 {
		add("%s: lists no splits", CardFile)
	}
	last := -1
	for _, s := range c.Splits {
		i := SplitIndex(s)
		if i < 0 {
			add("%s: unknown split %q (want train, val or test)", CardFile, s)
			continue
		}
		if i <= last {
			add("%s: splits %q are not in the order train, val, test, each once", CardFile, c.Splits)
		}
		last = i
	}

	total := 0
	for _, cl := range sortedKeys(c.Counts) {
		if !classes[cl] {
			add("%s: counts name class %q, which the card's classes do not list", CardFile, cl)
		}
		for _, s := range sortedKeys(c.Counts[cl]) {
			n := c.Counts[cl][s]
			switch {
			case n < 0:
				add("%s: class %q split %q: negative count %d", CardFile, cl, s, n)
			case n > 0 && !slices.Contains(c.Splits, s):
				add("%s: counts name split %q for class %q, which the card's splits do not list", CardFile, s, cl)
			}
			total += n
		}
	}
	for _, cl := range c.Classes {
		for _, s := range c.Splits {
			if c.Counts[cl][s] <= 0 {
				add("class %q has no samples in split %q", cl, s)
			}
		}
	}
	if total != c.Total {
		add("%s: counts add up to %d samples, the card's total is %d", CardFile, total, c.Total)
	}

	for _, cl := range c.Classes {
		switch lv, ok := c.SplitLevel[cl]; {
		case !ok:
			add("%s: class %q has no split_level", CardFile, cl)
		case lv != LevelSource && lv != LevelVariant:
			add("%s: class %q has split_level %q (want %s or %s)", CardFile, cl, lv, LevelSource, LevelVariant)
		}
	}
	for _, cl := range sortedKeys(c.SplitLevel) {
		if !classes[cl] {
			add("%s: split_level names class %q, which the card's classes do not list", CardFile, cl)
		}
	}

	if len(c.Formats) == 0 {
		add("%s: lists no formats", CardFile)
	}
	formats := map[string]bool{}
	for _, f := range c.Formats {
		switch {
		case !IsFormat(f):
			add("%s: unknown format %q (want folder, webdataset or tfrecord)", CardFile, f)
		case formats[f]:
			add("%s: format %q listed twice", CardFile, f)
		}
		formats[f] = true
	}

	for _, src := range c.Sources {
		if !classes[src.Class] {
			add("%s: source %s has class %q, which the card's classes do not list", CardFile, src.Path, src.Class)
		}
		if src.Split != "" && !slices.Contains(c.Splits, src.Split) {
			add("%s: source %s is in split %q, which the card's splits do not list", CardFile, src.Path, src.Split)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
