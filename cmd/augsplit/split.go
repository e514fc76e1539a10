package main

import (
	"context"
	"fmt"
	"io"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/hub"
)

func newSplitCmd() *cobra.Command {
	var cfg generate.SplitConfig
	var quiet, asJSON bool
	cmd := &cobra.Command{
		Use:   "split --in DIR --out DIR [flags]",
		Short: "split a folder of real images (no augmentation) with the same guarantees",
		Long: `Copies (or hard-links) the images of DIR (one subfolder per class) into
OUT/<split>/<class>/, every class in every split, files of one group never on
both sides, with the manifest and card that generate writes. A --group-regex
that matches none of the file names is a usage error (exit 2): a typo would
otherwise make every file its own group. Renamed classes and files, and split
fractions that whole groups moved from --val/--test, are said on stderr and in
the card.

` + summaryHelp,
		Example: `  augsplit split --in photos --out data --val 0.2 --test 0.1
  augsplit split --in scans --out data --group-regex '^(patient\d+)_' --link
  augsplit split --in photos --out data --quiet --json | jq .fractions`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSplit(cmd.Context(), cfg, quiet, asJSON, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.In, "in", "", "source folder: one subfolder per class (required)")
	f.StringVar(&cfg.Out, "out", "", "output folder (required)")
	f.Float64Var(&cfg.Val, "val", 0.2, "fraction of each class for validation")
	f.Float64Var(&cfg.Test, "test", 0, "fraction of each class for test")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed: same seed, same split")
	f.StringVar(&cfg.GroupRegex, "group-regex", "", "group files by the first capture group of this regexp on the file name (default: each file its own group)")
	f.BoolVar(&cfg.Link, "link", false, "hard-link files instead of copying them")
	f.BoolVar(&cfg.SkipBad, "skip-bad", false, "skip files that fail to decode and list them in the card")
	f.IntVar(&cfg.MaxPixels, "max-pixels", 64<<20, "refuse images with more pixels than this")
	f.BoolVar(&cfg.FollowSymlinks, "follow-symlinks", false, "follow symlinks that point outside --in")
	f.BoolVar(&cfg.Force, "force", false, "replace an OUT that holds something else")
	f.StringVar(&cfg.Name, "name", "", "dataset name in croissant.json and README.md (default augsplit-<fingerprint prefix>)")
	f.StringVar(&cfg.License, "license", "", "dataset license in croissant.json and README.md, e.g. cc-by-4.0 (default unknown: augsplit cannot know the sources' license)")
	f.StringVar(&cfg.Description, "description", "", "dataset description in croissant.json and README.md (default a sentence with the counts)")
	f.StringVar(&cfg.URL, "url", "", "where the dataset is published, an absolute http(s) URL: croissant.json's url, README.md's Homepage (default none)")
	f.StringVar(&cfg.Creator, "creator", "", "who made the dataset: croissant.json's creator (a sc:Person), README.md's Curated by (default none)")
	f.StringVar(&cfg.Date, "date", "", "publication date `YYYY-MM-DD`: croissant.json's datePublished (default none: no clock, same command, same bytes)")
	f.BoolVar(&quiet, "quiet", false, "no progress and no summary")
	f.BoolVar(&asJSON, "json", false, "print the run's summary as one JSON object on stdout (fields above)")
	return cmd
}

func runSplit(ctx context.Context, cfg generate.SplitConfig, quiet, asJSON bool, stdout, stderr io.Writer) error {
	if cfg.In == "" || cfg.Out == "" {
		return usagef("split: --in and --out are required")
	}
	if cfg.Val < 0 || cfg.Test < 0 || cfg.Val+cfg.Test >= 1 {
		return usagef("split: --val %v and --test %v must be fractions with a sum below 1", cfg.Val, cfg.Test)
	}
	if err := cfg.Validate(); err != nil {
		return usagef("split: %v", err)
	}
	if cfg.GroupRegex != "" {
		re, err := regexp.Compile(cfg.GroupRegex)
		if err != nil {
			return usagef("split: --group-regex: %v", err)
		}
		if re.NumSubexp() < 1 {
			return usagef("split: --group-regex %q has no capture group: mark the group part of the file name with ( ), e.g. '^(patient\\d+)_'", cfg.GroupRegex)
		}
	}
	prog := newProgress(stderr, quiet, "split")
	card, err := generate.Split(ctx, cfg, generate.Options{Log: stderr, Progress: prog.update})
	prog.finish()
	asked := askedShares(cfg.Val, cfg.Test)
	if generate.IsUpToDate(err) {
		fmt.Fprintf(stderr, "%s already holds this exact split: nothing to do\n", cfg.Out)
		if !asJSON {
			return nil
		}
		if card, err = dataset.ReadCard(ctx, cfg.Out); err != nil {
			return err
		}
		return writeJSON(stdout, summarize(card, cfg.Out, true, asked))
	}
	if err != nil {
		return explain(ctx, stderr, err)
	}
	if !quiet {
		printSummary(stderr, card, asked)
		croissantNote(stderr, hub.Meta{URL: cfg.URL, Creator: cfg.Creator, Date: cfg.Date})
	}
	if asJSON {
		return writeJSON(stdout, summarize(card, cfg.Out, false, asked))
	}
	return nil
}
