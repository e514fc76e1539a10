// Package writer turns a stream of finished samples into an augsplit
// output folder: the ImageFolder layout (OUT/<split>/<class>/<id>.png),
// WebDataset tar shards and TFRecord shards, the manifest (manifest.jsonl)
// and the dataset card (dataset.json).
//
// It knows nothing of how samples were made. Its promises are about the
// disk: every file is written under a temporary name and renamed; the
// manifest and then the card are written last, so a dataset.json means a
// complete dataset; the bytes depend only on the samples and their order,
// so a re-run converges on the same output; and every write goes through
// an FS, so failures can be injected and tested.
//
// Typical use:
//
//	out, err := writer.Open(ctx, dir, writer.Options{Fingerprint: fp, Formats: formats})
//	if errors.Is(err, writer.ErrUpToDate) { ... nothing to do ... }
//	for each sample in planned order { if err := out.Put(ctx, s); err != nil { out.Abort(); return err } }
//	if err := out.Commit(card); err != nil { out.Abort(); return err }
package writer
