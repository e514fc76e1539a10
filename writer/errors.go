package writer

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUpToDate is returned by Open when OUT already holds a finished dataset
// with the same fingerprint: the caller reports "already up to date" and
// writes nothing.
var ErrUpToDate = errors.New("output is already up to date")

// NotEmptyError is returned by Open when OUT holds something augsplit must
// not overwrite without being told to: files it did not write, a finished
// dataset of another configuration, or an unfinished run of another one.
type NotEmptyError struct {
	Dir    string
	Reason string // what was found, e.g. "holds files augsplit did not write"
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("output folder %s is not empty: it %s; choose another --out or use --force to replace augsplit's files there", e.Dir, e.Reason)
}

// SampleError is a sample Put refused because it does not fit the dataset
// the Out was opened for, or is malformed. Nothing of it was written.
type SampleError struct {
	ID     string // the sample's id
	Field  string // what is wrong: "id", "split", "class", "class_index", "sha256" or "ext"
	Reason string // what is wrong with it and what would be right
}

func (e *SampleError) Error() string {
	return fmt.Sprintf("sample %q: %s", e.ID, e.Reason)
}

// CardError is a card Commit refused to seal because dataset.Verify would
// reject it (see schema.Card.Check); nothing final was written.
type CardError struct {
	Problems []string
}

func (e *CardError) Error() string {
	const show = 3
	msg := strings.Join(e.Problems[:min(show, len(e.Problems))], "; ")
	if n := len(e.Problems) - show; n > 0 {
		msg += fmt.Sprintf("; and %d more", n)
	}
	return "dataset card not sealed, it would not verify: " + msg
}
