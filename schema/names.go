package schema

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split names, in their order: a dataset has train and at least one of
// val and test.
const (
	Train = "train"
	Val   = "val"
	Test  = "test"
)

// Splits returns the split names in order: train, val, test. Card.Splits,
// shards and reports list splits in this order.
func Splits() []string { return []string{Train, Val, Test} }

// IsSplit reports whether s is one of the split names.
func IsSplit(s string) bool { return s == Train || s == Val || s == Test }

// SplitIndex is the position of s in Splits, or -1.
func SplitIndex(s string) int { return slices.Index(Splits(), s) }

// Split levels (Card.SplitLevel): how a class's samples were split.
const (
	// LevelSource: whole sources went to one split; no source straddles.
	LevelSource = "source"
	// LevelVariant: the class had fewer sources than splits, so variants
	// of one source are in several splits (near-duplicates across splits).
	LevelVariant = "variant"
)

// Output formats (Card.Formats, Shard.Format). Shards of a format live in
// OUT/<format>/, so the format names are also folder names.
const (
	FormatFolder     = "folder"
	FormatWebDataset = "webdataset"
	FormatTFRecord   = "tfrecord"
)

// Formats returns the format names in their canonical order, the order
// of Card.Formats.
func Formats() []string { return []string{FormatFolder, FormatWebDataset, FormatTFRecord} }

// IsFormat reports whether f is one of the format names.
func IsFormat(f string) bool {
	return f == FormatFolder || f == FormatWebDataset || f == FormatTFRecord
}

// FormatIndex is the position of f in Formats, or -1.
func FormatIndex(f string) int { return slices.Index(Formats(), f) }

// Names of the files augsplit owns at the top of OUT.
const (
	ManifestFile = "manifest.jsonl" // one Record per line, in output order
	CardFile     = "dataset.json"   // the sealed Card, written last of all
	ClassesFile  = "classes.txt"    // Card.Classes, one per line: line i is label i
	MarkerFile   = ".augsplit-partial"
	// LockFile is locked (flock) by the run writing OUT, and holds its pid;
	// the run removes it when it ends.
	LockFile = ".augsplit-lock"
	// CroissantFile and ReadmeFile are the hub metadata (MLCommons
	// Croissant 1.0 and a Hugging Face dataset card), written before the
	// manifest and sealed by their sha256 in Card.Metadata.
	CroissantFile = "croissant.json"
	ReadmeFile    = "README.md"
	// StageDir holds a run's folder-format samples until Commit moves
	// them into OUT/<split>/<class>: an interrupted run leaves no images
	// where ImageFolder-style loaders look.
	StageDir = ".augsplit-stage"
)

// MaxNameLen bounds a class name or sample id as read, in bytes (a file
// name's limit on common file systems).
const MaxNameLen = 255

// MaxIDLen bounds Record.ID as written, in bytes: the longest WebDataset
// member name, "<id>.json", must fit the 100-byte name field of a USTAR
// header (ASCII ids are written as USTAR; non-ASCII ones as PAX, which has
// no such limit, but one bound for both keeps ids portable).
const MaxIDLen = 95

// nameRune reports whether r may appear in a class name or sample id:
// ASCII letters, digits, '_' and '-', and Unicode letters, digits and
// marks, so that names such as "細胞" stay readable. A dot would end a
// WebDataset key early, and separators, spaces and control characters are
// unsafe in paths.
func nameRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
}

// ValidName reports whether s is usable as a class name or sample id: 1 to
// MaxNameLen bytes of valid UTF-8, every rune a NameRune. Such a name is a
// safe path element on every OS and a valid WebDataset key.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxNameLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !nameRune(r) {
			return false
		}
	}
	return true
}

// CheckID accepts an id the writer may write: a ValidName of at most
// MaxIDLen bytes (the limit is in bytes, since tar and file systems count
// bytes). The error says what is wrong, for the caller to put after the id.
func CheckID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("want 1 to %d bytes, have %d", MaxIDLen, len(id))
	}
	if !utf8.ValidString(id) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range id {
		if !nameRune(r) {
			return fmt.Errorf("%q is not allowed: only letters, digits, marks, _ and - are (no dots, spaces, separators or control characters)", r)
		}
	}
	return nil
}

// ValidExt reports whether ext is a file extension a folder-format sample
// may have: a dot and 1 to 5 lower-case letters or digits (".png", ".jpg").
func ValidExt(ext string) bool {
	if len(ext) < 2 || len(ext) > 6 || ext[0] != '.' {
		return false
	}
	for _, r := range ext[1:] {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// SamplePath is where the folder format puts a sample, relative to OUT and
// slash separated: "<split>/<class>/<id><ext>". ext is ".png" for generate
// and the file's own format for `augsplit split`.
func SamplePath(split, class, id, ext string) string {
	return path.Join(split, class, id+ext)
}

// ValidPath reports whether p is a clean relative slash path that cannot
// leave its root on any OS: no "..", no backslash, no drive colon, no
// control bytes.
func ValidPath(p string) bool {
	if p == "" || p == "." || path.IsAbs(p) || path.Clean(p) != p || strings.ContainsAny(p, "\\:") {
		return false
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." || el == "." || el == "" {
			return false
		}
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return false
		}
	}
	return true
}

// validSHA256 accepts 64 lower-case hex digits.
func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// ClassesText is the content of classes.txt: one class per line, line i
// is label i.
func ClassesText(classes []string) []byte {
	var b []byte
	for _, c := range classes {
		b = append(b, c...)
		b = append(b, '\n')
	}
	return b
}
