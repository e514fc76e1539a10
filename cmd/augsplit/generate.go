package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/preview"
	"github.com/augsplit/augsplit/writer"
)

func init() {
	commands["generate"] = command{run: runGenerate, short: "augment source images into a split, verified dataset"}
}

func runGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate", stderr)
	def := generate.Defaults()
	var (
		in          = fs.String("in", "", "source folder: one subfolder per class (required)")
		out         = fs.String("out", "", "output folder (required)")
		perSource   = fs.Int("per-source", def.PerSource, "augmented variants per source image")
		val         = fs.Float64("val", def.Val, "fraction of each class for validation")
		test        = fs.Float64("test", def.Test, "fraction of each class for test")
		seed        = fs.Uint64("seed", def.Seed, "seed: same seed, same bytes")
		workers     = fs.Int("workers", def.Workers, "worker goroutines, 0 for one per CPU (output does not depend on it)")
		size        = fs.String("size", "", "resize sources once to N or WxH before augmenting")
		config      = fs.String("config", "", "YAML config file (flags override it)")
		color       = fs.String("color", def.Color, "keep | gray (or grey) | rgb")
		pngLevel    = fs.String("png-compression", def.PNGCompression, "default | speed | best | none")
		skipBad     = fs.Bool("skip-bad", false, "skip sources that fail to decode and list them in the card")
		force       = fs.Bool("force", false, "replace an OUT that holds something else")
		quiet       = fs.Bool("quiet", false, "no progress and no summary")
		printConfig = fs.Bool("print-config", false, "print the effective config as YAML and exit")
		valOrig     = fs.Bool("val-originals", false, "for classes split by source, put the un-augmented originals in val/test")
		maxPixels   = fs.Int("max-pixels", def.MaxPixels, "refuse source images with more pixels than this")
		followLinks = fs.Bool("follow-symlinks", false, "follow symlinks that point outside --in")
		formats     = fs.String("format", strings.Join(def.Formats, ","), "comma-separated: folder, webdataset, tfrecord")
		shardSize   = fs.Int("shard-size", def.ShardSize, "samples per shard")
		shardBytes  = fs.Int64("shard-bytes", 0, "bytes per shard (0: no limit); whichever limit is reached first")
		preview     = fs.Bool("preview", false, "write preview.png and splits.png at the end")
	)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("generate: unexpected argument %q", fs.Arg(0))
	}
	cfg := def
	if *config != "" {
		data, err := os.ReadFile(*config)
		if err != nil {
			return usagef("read config: %v", err)
		}
		if err := cfg.ApplyFile(*config, data); err != nil {
			return usagef("%v", err)
		}
	}
	// Flags override the file; only flags the user actually set.
	var flagErr error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "per-source":
			cfg.PerSource = *perSource
		case "val":
			cfg.Val = *val
		case "test":
			cfg.Test = *test
		case "seed":
			cfg.Seed = *seed
		case "workers":
			cfg.Workers = *workers
		case "size":
			s, err := generate.ParseSize(*size)
			if err != nil {
				flagErr = err
			}
			cfg.Size = s
		case "color":
			cfg.Color = *color
		case "png-compression":
			cfg.PNGCompression = *pngLevel
		case "skip-bad":
			cfg.SkipBad = *skipBad
		case "val-originals":
			cfg.ValOriginals = *valOrig
		case "max-pixels":
			cfg.MaxPixels = *maxPixels
		case "follow-symlinks":
			cfg.FollowSymlinks = *followLinks
		case "format":
			cfg.Formats = splitList(*formats)
		case "shard-size":
			cfg.ShardSize = *shardSize
		case "shard-bytes":
			cfg.ShardBytes = *shardBytes
		}
	})
	if flagErr != nil {
		return usagef("--size: %v", flagErr)
	}
	cfg.In, cfg.Out, cfg.Force = *in, *out, *force
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if *printConfig {
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

	prog := newProgress(stderr, *quiet, "generate")
	card, err := generate.Run(ctx, cfg, generate.Options{Log: stderr, Progress: prog.update})
	prog.finish()
	if generate.IsUpToDate(err) {
		fmt.Fprintf(stderr, "%s already holds this exact dataset (same inputs and config): nothing to do\n", cfg.Out)
		return nil
	}
	if err != nil {
		return explain(ctx, stderr, err)
	}
	if !*quiet {
		printSummary(stderr, card)
		fmt.Fprintf(stderr, "wrote %d samples to %s (manifest.jsonl, dataset.json); check with: augsplit verify %s\n", card.Total, cfg.Out, cfg.Out)
	}
	if *preview {
		if err := writePreview(ctx, cfg.Out); err != nil {
			return err
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
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

// writePreview draws preview.png and splits.png into a finished OUT.
func writePreview(ctx context.Context, out string) error {
	return preview.Write(ctx, out, defaultPreviewPerClass)
}

// defaultPreviewPerClass is how many variants per class --preview shows.
const defaultPreviewPerClass = 6

// explain turns errors about where and how augsplit was pointed into usage
// errors (exit 2), and tells an interrupted run how to finish.
func explain(ctx context.Context, stderr io.Writer, err error) error {
	var sp *dataset.SamePlaceError
	var ce *generate.ConfigError
	switch {
	case errors.As(err, &sp), errors.As(err, &ce):
		return &usageError{msg: err.Error(), err: err}
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(stderr, "stopped before the manifest and card were written: re-run the same command to finish (finished samples are reused)")
	}
	return err
}
