// Package schema is the on-disk contract of an augsplit dataset: what the
// writer writes and every reader (dataset, audit, preview, train) reads.
//
// It holds the manifest record (one line of manifest.jsonl), the dataset
// card (dataset.json) and its parts, the names of splits, formats, split
// levels and the files of OUT, the rules a name, id or path must follow,
// the card's seal, and the bounded readers of manifest and card. It imports
// nothing of augsplit, so every package can use it.
//
// Field order and JSON tags of Record and Card are the byte order of the
// files: changing them changes every dataset augsplit writes.
package schema
