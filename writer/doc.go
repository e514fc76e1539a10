// Package writer turns a stream of finished samples into an augsplit
// output folder: the ImageFolder layout (OUT/<split>/<class>/<id>.png),
// WebDataset tar shards and TFRecord shards, the manifest (manifest.jsonl)
// and the dataset card (dataset.json).
//
// It knows nothing of how samples were made. Its promises are about the
// disk: every file is written under a temporary name and renamed; folder
// samples are staged in OUT/.augsplit-stage and each class folder moved
// into OUT/<split>/<class> at Commit, so an interrupted run is no loadable
// ImageFolder; the metadata files (Options.Metadata), the manifest and then
// the card are written last, so a dataset.json means a complete dataset; the bytes depend only on the samples and their order,
// so a re-run converges on the same output; and every write goes through
// an FS, so failures can be injected and tested.
//
// It keeps its own contract: it is opened with the class list (sorted: a
// sample's ClassIndex is its class's position) and the planned splits, Put
// refuses a sample that does not fit them (*SampleError), and Commit fills
// the card's classes, splits, counts and totals from what was Put and
// refuses a card that verify would reject (*CardError). The files and
// their names are package schema's.
//
// A run spread over machines (generate --parts) writes the same bytes
// another way, through a store.Store that may be a bucket without rename:
// StartPart records the plan (PlanRecord), each part writes its Units with
// OpenUnit (whole shards under their final names, folder samples, the
// unit's manifest lines, and last its summary, the unit's done marker),
// and Seal checks every unit, streams their manifest lines in unit order
// into manifest.jsonl and writes the card last. Out and UnitOut share the
// sample checks and shard encoding (encode.go), so a shard has the same
// bytes whichever wrote it.
//
// Typical use:
//
//	out, err := writer.Open(ctx, dir, writer.Options{Classes: classes, Fingerprint: fp, Formats: formats})
//	if errors.Is(err, writer.ErrUpToDate) { ... nothing to do ... }
//	for each sample in planned order { if err := out.Put(ctx, s); err != nil { out.Abort(); return err } }
//	card := &schema.Card{Tool: "mytool", SplitLevel: levels} // provenance; a split level per class
//	if err := out.Commit(card); err != nil { out.Abort(); return err }
package writer
