package writer

import (
	"errors"
	"fmt"
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
