package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/conf"
	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/preview"
	"github.com/augsplit/augsplit/writer"
)

type generateOptions struct {
	config      string
	quiet       bool
	printConfig bool
	preview     bool
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
dataset.json last. Same inputs and seed, same bytes, for any --workers.`,
		Example: `  augsplit generate --in cells --out data --size 64
  augsplit generate --in cells --out data --config augsplit.yaml --seed 7
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
	f.StringVar(&cfg.In, "in", "", "source folder: one subfolder per class (required)")
	f.StringVar(&cfg.Out, "out", "", "output folder (required)")
	f.IntVar(&cfg.PerSource, "per-source", cfg.PerSource, "augmented variants per source image")
	f.Float64Var(&cfg.Val, "val", cfg.Val, "fraction of each class for validation")
	f.Float64Var(&cfg.Test, "test", cfg.Test, "fraction of each class for test")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed: same seed, same bytes")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "worker goroutines, 0 for one per CPU (output does not depend on it)")
	f.Var(sizeValue{&cfg.Size}, "size", "resize sources once to `N` or WxH before augmenting")
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
	f.IntVar(&cfg.ShardSize, "shard-size", cfg.ShardSize, "samples per shard")
	f.Int64Var(&cfg.ShardBytes, "shard-bytes", 0, "bytes per shard (0: no limit); whichever limit is reached first")
	f.BoolVar(&o.preview, "preview", false, "write preview.png and splits.png at the end")
	completeWords(cmd, "color", "keep", "gray", "rgb")
	completeWords(cmd, "png-compression", "default", "speed", "best", "none")
	completeWords(cmd, "format", "folder", "webdataset", "tfrecord", "folder,webdataset,tfrecord")
	return cmd
}

func runGenerate(ctx context.Context, cfg *generate.Config, o generateOptions, stdout, stderr io.Writer) error {
	cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if o.printConfig {
		y, err := cfg.YAML()
		if err != nil {
			return err
		}
		_, err = stdout.Write(y)
		return err
	}
	if cfg.In == "" || cfg.Out == "" {
		return usagef("generate: --in and --out are required")
	}
	prog := newProgress(stderr, o.quiet, "generate")
	card, err := generate.Run(ctx, *cfg, generate.Options{Log: stderr, Progress: prog.update})
	prog.finish()
	if generate.IsUpToDate(err) {
		fmt.Fprintf(stderr, "%s already holds this exact dataset (same inputs and config): nothing to do\n", cfg.Out)
		return nil
	}
	if err != nil {
		return explain(ctx, stderr, err)
	}
	if !o.quiet {
		printSummary(stderr, card)
		fmt.Fprintf(stderr, "wrote %d samples to %s (manifest.jsonl, dataset.json); check with: augsplit verify %s\n", card.Total, cfg.Out, cfg.Out)
	}
	if o.preview {
		return preview.Write(ctx, cfg.Out, defaultPreviewPerClass)
	}
	return nil
}

// printSummary writes the per-class, per-split table that ends a run.
func printSummary(w io.Writer, card *writer.Card) {
	width := len("class")
	for _, c := range card.Classes {
		width = max(width, len(c))
	}
	fmt.Fprintf(w, "\n%-*s", width, "class")
	for _, s := range card.Splits {
		fmt.Fprintf(w, " %7s", s)
	}
	fmt.Fprintf(w, " %7s  %s\n", "total", "split by")
	totals := map[string]int{}
	for _, c := range card.Classes {
		fmt.Fprintf(w, "%-*s", width, c)
		sum := 0
		for _, s := range card.Splits {
			n := card.Counts[c][s]
			totals[s] += n
			sum += n
			fmt.Fprintf(w, " %7d", n)
		}
		fmt.Fprintf(w, " %7d  %s\n", sum, card.SplitLevel[c])
	}
	fmt.Fprintf(w, "%-*s", width, "all")
	for _, s := range card.Splits {
		fmt.Fprintf(w, " %7d", totals[s])
	}
	fmt.Fprintf(w, " %7d\n\n", card.Total)
}

// defaultPreviewPerClass is how many variants per class --preview shows.
const defaultPreviewPerClass = 6

// explain turns errors about where and how augsplit was pointed into usage
// errors (exit 2), and tells an interrupted run how to finish.
func explain(ctx context.Context, stderr io.Writer, err error) error {
	var sp *dataset.SamePlaceError
	var ce *conf.Error
	switch {
	case errors.As(err, &sp), errors.As(err, &ce):
		return &usageError{msg: err.Error(), err: err}
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(stderr, "stopped before the manifest and card were written: re-run the same command to finish (finished samples are reused)")
	}
	return err
}
