package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/conf"
	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/hub"
	"github.com/augsplit/augsplit/internal/shq"
	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/preview"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/writer"
)

type generateOptions struct {
	config      string
	quiet       bool
	printConfig bool
	preview     bool
	json        bool
	parts       partFlags
}

func newGenerateCmd() *cobra.Command {
	cfg := generate.Defaults()
	var o generateOptions
	cmd := &cobra.Command{
		Use:   "generate --in DIR --out DIR [flags]",
		Short: "augment source images into a split, verified dataset",
		Long: `Scans DIR (one subfolder per class), splits its sources so that every class is
in every split and variants of one source stay on one side, makes --per-source
variants of each with the pipeline, and writes OUT with manifest.jsonl and
dataset.json last. Same inputs and seed, same bytes, for any --workers.

--size resizes each source once; --fit says how a source of another aspect
ratio gets there: squash (the default, what --size always did: stretch to the
size, warned about when the aspect ratio changes by more than 5%), pad (fit
inside, keep the aspect ratio, black borders) or crop (cover, keep the aspect
ratio, keep the centre). Renamed classes and files, and split fractions that
whole sources moved from --val/--test, are said on stderr and in the card.

` + summaryHelp,
		Example: `  augsplit generate --in cells --out data --size 64
  augsplit generate --in photos --out data --size 96 --fit pad
  augsplit generate --in cells --out data --config augsplit.yaml --seed 7
  augsplit generate --in cells --out data --quiet --json | jq .split_totals
  augsplit generate --print-config > augsplit.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := applyConfigFile(cmd.Flags(), o.config, func() { cfg = generate.Defaults() }, cfg.ApplyFile)
			if err != nil {
				return err
			}
			return runGenerate(cmd.Context(), &cfg, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.In, "in", "", "source folder: one subfolder per class, a path or a URL such as s3://bucket/prefix (required)")
	f.StringVar(&cfg.Out, "out", "", "output folder (required)")
	f.IntVar(&cfg.PerSource, "per-source", cfg.PerSource, "augmented variants per source image")
	f.Float64Var(&cfg.Val, "val", cfg.Val, "fraction of each class for validation")
	f.Float64Var(&cfg.Test, "test", cfg.Test, "fraction of each class for test")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed: same seed, same bytes")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "worker goroutines, 0 for one per CPU, at most 4 per CPU (output does not depend on it)")
	f.Var(sizeValue{&cfg.Size}, "size", "resize sources once to `N` or WxH before augmenting")
	f.StringVar(&cfg.Fit, "fit", "", "with --size: squash (default: stretch, as before), pad (keep aspect, black borders) or crop (keep aspect, centre)")
	f.StringVar(&o.config, "config", "", "YAML config file (flags override it)")
	f.StringVar(&cfg.Color, "color", cfg.Color, "keep | gray (or grey) | rgb")
	f.StringVar(&cfg.PNGCompression, "png-compression", cfg.PNGCompression, "default | speed | best | none")
	f.BoolVar(&cfg.SkipBad, "skip-bad", false, "skip sources that fail to decode and list them in the card")
	f.BoolVar(&cfg.Force, "force", false, "replace an OUT that holds something else")
	f.BoolVar(&o.quiet, "quiet", false, "no progress and no summary")
	f.BoolVar(&o.printConfig, "print-config", false, "print the effective config as YAML and exit")
	f.BoolVar(&cfg.ValOriginals, "val-originals", false, "for classes split by source, put the un-augmented originals in val/test")
	f.IntVar(&cfg.MaxPixels, "max-pixels", cfg.MaxPixels, "refuse source images with more pixels than this")
	f.BoolVar(&cfg.FollowSymlinks, "follow-symlinks", false, "follow symlinks that point outside --in")
	f.Var(listValue{&cfg.Formats}, "format", "comma-separated: folder, webdataset, tfrecord")
	f.IntVar(&cfg.BitDepth, "bit-depth", cfg.BitDepth, "bits per channel of the written PNGs: 8 (16-bit sources mapped by round(v/257)) or 16 (keeps every bit)")
	f.IntVar(&cfg.Shards, "shards", 0, "shards per split, balanced (0: by --shard-size, else at least 8 when a split has 512 samples or more, 1000 at most each)")
	f.IntVar(&cfg.ShardSize, "shard-size", 0, "most samples per shard; shards balanced (0: the default rule, see --shards)")
	f.Int64Var(&cfg.ShardBytes, "shard-bytes", 0, "bytes per shard (0: no limit); whichever limit is reached first")
	f.StringVar(&cfg.Name, "name", "", "dataset name in croissant.json and README.md (default augsplit-<fingerprint prefix>)")
	f.StringVar(&cfg.License, "license", "", "dataset license in croissant.json and README.md, e.g. cc-by-4.0 (default unknown: augsplit cannot know the sources' license)")
	f.StringVar(&cfg.Description, "description", "", "dataset description in croissant.json and README.md (default a sentence with the counts)")
	f.StringVar(&cfg.URL, "url", "", "where the dataset is published, an absolute http(s) URL: croissant.json's url, README.md's Homepage (default none)")
	f.StringVar(&cfg.Creator, "creator", "", "who made the dataset: croissant.json's creator (a sc:Person), README.md's Curated by (default none)")
	f.StringVar(&cfg.Date, "date", "", "publication date `YYYY-MM-DD`: croissant.json's datePublished (default none: no clock, same command, same bytes)")
	f.BoolVar(&o.preview, "preview", false, "write preview.png and splits.png at the end")
	f.BoolVar(&o.json, "json", false, "print the run's summary as one JSON object on stdout (fields above)")
	f.IntVar(&o.parts.parts, "parts", 0, "split the run into N parts (machines) that each write whole shards; augsplit seal OUT merges them")
	f.IntVar(&o.parts.part, "part", -1, "with --parts: the part to write, 0 to N-1 (default from "+strings.Join(indexVars, ", ")+")")
	completeWords(cmd, "color", "keep", "gray", "rgb")
	completeWords(cmd, "fit", generate.FitSquash, generate.FitPad, generate.FitCrop)
	completeWords(cmd, "bit-depth", "8", "16")
	completeWords(cmd, "png-compression", "default", "speed", "best", "none")
	completeWords(cmd, "format", append(schema.Formats(), strings.Join(schema.Formats(), ","))...)
	return cmd
}

func runGenerate(ctx context.Context, cfg *generate.Config, o generateOptions, stdout, stderr io.Writer) (err error) {
	// Messages name a fetched --in by its URL, not its temporary folder.
	names := &fetchNames{}
	nout, nerr := names.writer(stdout), names.writer(stderr)
	defer func() { nout.Flush(); nerr.Flush(); err = names.err(err) }()
	stdout, stderr = nout, nerr
	if m := generate.MaxWorkers(); cfg.Workers > m {
		fmt.Fprintf(stderr, "warning: --workers %d is more than %d (4 per CPU, at most 256): using %d\n", cfg.Workers, m, m)
	}
	// --print-config shows the workers asked for (0: one per CPU), not
	// this machine's CPU count: the same command prints the same config.
	workers := max(cfg.Workers, 0)
	cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if o.printConfig {
		printed := *cfg
		printed.Workers = workers
		y, err := printed.YAML()
		if err != nil {
			return err
		}
		_, err = stdout.Write(y)
		return err
	}
	if cfg.In == "" || cfg.Out == "" {
		return usagef("generate: --in and --out are required")
	}
	for _, l := range []string{cfg.In, cfg.Out} { // a config file's too
		if err := store.CheckLocation(l); err != nil {
			return &usageError{msg: err.Error(), err: err}
		}
	}
	// Before fetching anything: OUT inside --in (or the reverse) would
	// write into the sources.
	if err := dataset.CheckSeparate(cfg.In, cfg.Out); err != nil {
		return explain(ctx, stderr, err)
	}
	// Sources in a bucket are fetched to a temporary folder; the card
	// records the URL (without its endpoint options), not that folder.
	inDir, cleanup, err := localDir(ctx, cfg.In, stderr, names)
	if err != nil {
		return err
	}
	defer cleanup()
	cfg.In = store.Name(cfg.In)
	if cfg.Force && store.IsURL(cfg.Out) {
		return usagef("generate: --force is not supported for a bucket --out: augsplit removes nothing from a bucket; to start %s afresh, delete its objects with the cloud's tool (%s), or choose another --out", store.Name(cfg.Out), generate.DeleteHint(store.Name(cfg.Out)))
	}
	if o.preview && store.IsURL(cfg.Out) {
		return usagef("generate: --preview writes pictures into a folder: with --out %s, run augsplit preview %s afterwards", store.Name(cfg.Out), shq.Quote(cfg.Out))
	}
	part, err := resolvePart(o.parts, cfg, os.Getenv, stderr)
	if err != nil {
		return err
	}
	if part >= 0 {
		return runPart(ctx, cfg, o, part, inDir, stdout, stderr)
	}
	prog := newProgress(stderr, o.quiet, "generate")
	card, err := generate.Run(ctx, *cfg, generate.Options{Log: stderr, Progress: prog.update, InDir: inDir})
	prog.finish()
	asked := askedShares(cfg.Val, cfg.Test)
	if generate.IsUpToDate(err) {
		fmt.Fprintf(stderr, "%s already holds this exact dataset (same inputs and config): nothing to do\n", cfg.Out)
		if !o.json {
			return nil
		}
		if card, err = readCardAt(ctx, cfg.Out); err != nil {
			return err
		}
		return writeJSON(stdout, summarize(card, cfg.Out, true, asked))
	}
	if err != nil {
		return explain(ctx, stderr, bucketRefusal(cfg.Out, err))
	}
	if !o.quiet {
		printSummary(stderr, card, asked)
		fmt.Fprintf(stderr, "wrote %d samples to %s (manifest.jsonl, dataset.json); check with: augsplit verify %s\n", card.Total, cfg.Out, shq.Quote(cfg.Out))
		croissantNote(stderr, hub.Meta{URL: cfg.URL, Creator: cfg.Creator, Date: cfg.Date})
	}
	if o.preview {
		if err := preview.Write(ctx, cfg.Out, defaultPreviewPerClass); err != nil {
			return err
		}
	}
	if o.json {
		return writeJSON(stdout, summarize(card, cfg.Out, false, asked))
	}
	return nil
}

// defaultPreviewPerClass is how many variants per class --preview shows.
const defaultPreviewPerClass = 6

// explain turns errors about where and how augsplit was pointed into usage
// errors (exit 2), and tells an interrupted run how to finish.
func explain(ctx context.Context, stderr io.Writer, err error) error {
	var sp *dataset.SamePlaceError
	var ce *conf.Error
	var ge *generate.GroupRegexError
	switch {
	case errors.As(err, &sp), errors.As(err, &ce), errors.As(err, &ge):
		return &usageError{msg: err.Error(), err: err}
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(stderr, "stopped before the manifest and card were written: re-run the same command to finish (finished samples are reused)")
	}
	return err
}

// bucketRefusal rewrites a refusal that suggests --force, which does not
// apply to a bucket --out, to say what does; the error chain is kept.
func bucketRefusal(out string, err error) error {
	var ne *writer.NotEmptyError
	if !store.IsURL(out) || !errors.As(err, &ne) || ne.Foreign != "" {
		return err
	}
	name := store.Name(out)
	return &renamedError{err: err, msg: fmt.Sprintf("output %s is not empty: it %s; choose another --out, or delete the objects under %s/ with the cloud's tool (%s) and run again (--force does not apply to buckets)", name, ne.Reason, name, generate.DeleteHint(name))}
}
