// Package store is where a dataset's objects live: a local folder or a
// bucket prefix (s3://, gs://, azblob://, file://, mem:// through
// gocloud.dev/blob). Keys are slash-separated paths relative to the root,
// as schema names them ("train/cat/x.png", "dataset.json").
//
// An object store has no rename, so the contract is the one both kinds can
// keep: an object is written once under its final key and appears whole
// or not at all (Create ... Commit), and a reader never sees a half-written
// object. What makes a dataset final is the card, written last.
package store

import (
	"context"
	"io"
)

// Store is a flat namespace of objects under one root.
type Store interface {
	// Create starts writing key. Nothing is visible under key until
	// Commit returns nil; Abort (or a failed Commit) leaves key as it was.
	Create(ctx context.Context, key string) (Writer, error)
	// Open reads key; a missing key is an error wrapping fs.ErrNotExist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat returns key's size; a missing key wraps fs.ErrNotExist.
	Stat(ctx context.Context, key string) (size int64, err error)
	// List returns every key under prefix ("" for all), sorted, each
	// complete (no half-written object, no temporary of Create).
	List(ctx context.Context, prefix string) ([]string, error)
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// URL names the root as the user gave it (a path or a URL), for
	// messages.
	URL() string
	// Dir is the local folder behind the store, or "" for a bucket.
	Dir() string
	Close() error
}

// Writer is an object being written.
type Writer interface {
	io.Writer
	// Commit makes the object visible under its key, whole.
	Commit() error
	// Abort drops what was written; safe after Commit (does nothing).
	Abort()
}
