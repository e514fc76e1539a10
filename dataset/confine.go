package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/augsplit/augsplit/schema"
)

// OutsideError is a path from a dataset's card or manifest that leads out
// of the dataset: absolute, through "..", or through a symlink. augsplit
// never writes such a path, so the card or manifest was edited.
type OutsideError struct {
	Root string
	Path string // as the card or manifest gives it
}

func (e *OutsideError) Error() string {
	return fmt.Sprintf("%s: path %q in the card or manifest leads outside the dataset; "+
		"it was not written by augsplit: regenerate the dataset or restore its files", e.Root, e.Path)
}

// realRoots caches each dataset root's resolved path: Confine runs once a
// sample.
var realRoots sync.Map // string -> string

// Confine returns the file that rel, a slash-separated path from the card
// or manifest of the dataset at root, names, after checking that it stays
// inside root: rel must be a clean relative path (no "..", no backslash or
// drive colon) and must not leave root through a symlink. Every command
// that follows a path from a card or manifest (train, eval, audit,
// preview, verify) goes through it. A path that does not exist yet is
// returned as is, for the caller's own "missing" error.
func Confine(root, rel string) (string, error) {
	if !schema.ValidPath(rel) {
		return "", &OutsideError{Root: root, Path: rel}
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(p)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	realRoot, err := resolveRoot(root)
	if err != nil {
		return "", err
	}
	if real, err = filepath.Abs(real); err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	if !within(realRoot, real) {
		return "", &OutsideError{Root: root, Path: rel}
	}
	return p, nil
}

func resolveRoot(root string) (string, error) {
	if r, ok := realRoots.Load(root); ok {
		return r.(string), nil
	}
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("resolve dataset folder: %w", err)
	}
	if r, err = filepath.Abs(r); err != nil {
		return "", fmt.Errorf("resolve dataset folder: %w", err)
	}
	realRoots.Store(root, r)
	return r, nil
}
