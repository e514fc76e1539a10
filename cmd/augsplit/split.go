package main

import (
	"context"
	"fmt"
	"io"
	"regexp"

	"github.com/augsplit/augsplit/generate"
)

func init() {
	commands["split"] = command{run: runSplit, short: "split a folder of real images (no augmentation) with the same guarantees"}
}

func runSplit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("split", stderr)
	var cfg generate.SplitConfig
	fs.StringVar(&cfg.In, "in", "", "source folder: one subfolder per class (required)")
	fs.StringVar(&cfg.Out, "out", "", "output folder (required)")
	fs.Float64Var(&cfg.Val, "val", 0.2, "fraction of each class for validation")
	fs.Float64Var(&cfg.Test, "test", 0, "fraction of each class for test")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed: same seed, same split")
	fs.StringVar(&cfg.GroupRegex, "group-regex", "", "group files by the first capture group of this regexp on the file name (default: each file its own group)")
	fs.BoolVar(&cfg.Link, "link", false, "hard-link files instead of copying them")
	fs.BoolVar(&cfg.SkipBad, "skip-bad", false, "skip files that fail to decode and list them in the card")
	fs.IntVar(&cfg.MaxPixels, "max-pixels", 64<<20, "refuse images with more pixels than this")
	fs.BoolVar(&cfg.FollowSymlinks, "follow-symlinks", false, "follow symlinks that point outside --in")
	fs.BoolVar(&cfg.Force, "force", false, "replace an OUT that holds something else")
	quiet := fs.Bool("quiet", false, "no progress and no summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("split: unexpected argument %q", fs.Arg(0))
	}
	if cfg.In == "" || cfg.Out == "" {
		return usagef("split: --in and --out are required")
	}
	if cfg.Val < 0 || cfg.Test < 0 || cfg.Val+cfg.Test >= 1 {
		return usagef("split: --val %v and --test %v must be fractions with a sum below 1", cfg.Val, cfg.Test)
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
	prog := newProgress(stderr, *quiet, "split")
	card, err := generate.Split(ctx, cfg, generate.Options{Log: stderr, Progress: prog.update})
	prog.finish()
	if generate.IsUpToDate(err) {
		fmt.Fprintf(stderr, "%s already holds this exact split: nothing to do\n", cfg.Out)
		return nil
	}
	if err != nil {
		return explain(ctx, stderr, err)
	}
	if !*quiet {
		printSummary(stderr, card)
	}
	return nil
}
