package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/train"
)

type trainOptions struct {
	data, out, config, valSplit, form string

	restore      string // "", best or last
	holdout      string
	holdoutName  string // --holdout as given, for messages (holdout may be a fetched copy)
	holdoutEvery int
	cv           int
	cvFinal      bool
	cvParallel   int
	force        bool
}

func newTrainCmd() *cobra.Command {
	cfg := trainDefaults()
	var o trainOptions
	cmd := &cobra.Command{
		Use:   "train --data OUT [--size N] [--epochs N] [--seed S] [--out RUN] [--config FILE] [--holdout DIR] [--cv K] [flags]",
		Short: "train the bundled CNN on a generated dataset",
		Long: `Trains the bundled CNN (the researcher's Keras model, written with Gorgonia) on
the train split of OUT, validating on --val-split after every epoch. RUN gets
metrics.jsonl, curves.png, confusion.txt/.png, model.bin (best epoch),
last.bin and summary.json. Apart from seconds, the same data, seed and flags
give the same metrics.jsonl.

It says what val holds (sources, split level) and prints val_accuracy's 95%
interval over sources: variants of one source are near-duplicates, so sources,
not images, are the evidence. --holdout scores a folder of real new images;
--cv K validates every source once with K models (and needs no val split).

A RUN that already holds a run is refused (exit 1) unless --force, which
removes that run's files first.`,
		Example: `  augsplit train --data data --out run
  augsplit train --data data --size 64 --epochs 30 --seed 2
  augsplit train --data data --config augsplit.yaml --epochs 5
  augsplit train --data data --holdout new-photos --holdout-every 5
  augsplit train --data data --cv 5 --cv-final`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if o.data == "" {
				return usagef("train: --data is required")
			}
			// Refused before any image is read.
			if found := train.UsedRun(o.out); len(found) > 0 && !o.force {
				return &train.RunUsedError{Dir: o.out, Files: found}
			}
			// A URL's objects are fetched to a temporary folder; messages
			// keep naming the URL.
			o.holdoutName = store.Name(o.holdout)
			names := &fetchNames{}
			stdout, stderr := names.writer(cmd.OutOrStdout()), names.writer(cmd.ErrOrStderr())
			defer func() { stdout.Flush(); stderr.Flush(); err = names.err(err) }()
			data, cleanup, err := localDir(cmd.Context(), o.data, stderr, names)
			if err != nil {
				return err
			}
			defer cleanup()
			o.data = data
			if o.holdout != "" {
				hold, cleanup, err := localDir(cmd.Context(), o.holdout, stderr, names)
				if err != nil {
					return err
				}
				defer cleanup()
				o.holdout = hold
			}
			if o.cv == 0 {
				if err := train.CheckValSplit(o.data, o.valSplit); err != nil {
					return err
				}
			}
			err = applyConfigFile(cmd.Flags(), o.config, func() { cfg = trainDefaults() }, cfg.ApplyFile)
			if err != nil {
				return err
			}
			if err := checkValidationFlags(cmd.Flags(), &cfg, o); err != nil {
				return err
			}
			return runTrain(cmd.Context(), cfg, o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.data, "data", "", "dataset: an augsplit OUT (folder or shards) or root/<split>/<class>/, a path or a URL such as s3://bucket/prefix (required)")
	f.StringVar(&o.out, "out", "run", "run folder for metrics.jsonl, curves.png, confusion.*, model.bin, last.bin")
	f.StringVar(&o.config, "config", "", "YAML file of hyper-parameters, keys "+strings.Join(train.ConfigKeys(), ", ")+
		" (or a generate config whose train: section holds them); flags given override it")
	f.StringVar(&o.valSplit, "val-split", schema.Val, "split to validate on")
	f.BoolVar(&o.force, "force", false, "replace a run already in --out (its files are removed first)")
	f.StringVar(&o.form, "form", "", "form of an augsplit OUT to read: folder, webdataset or tfrecord (default: folder if written, else shards)")
	f.StringVar(&o.restore, "restore", "", "weights kept at the end: best (by val_loss, Keras's restore_best_weights; the default) or last")
	f.StringVar(&o.holdout, "holdout", "", "labelled folder of real new images, DIR/<class>/*, scored at the end")
	f.IntVar(&o.holdoutEvery, "holdout-every", 0, "also score --holdout every N epochs (0: only the last)")
	f.IntVar(&o.cv, "cv", 0, "K: cross-validate by source over train+val with K folds (test untouched); writes RUN/cv.json")
	f.BoolVar(&o.cvFinal, "cv-final", false, "with --cv: also train one model on train+val (RUN/final/model.bin)")
	f.IntVar(&o.cvParallel, "cv-parallel", 0, "with --cv: folds trained at once (0: one per core); results do not depend on it")
	addHyperFlags(f, &cfg)
	completeWords(cmd, "form", schema.Formats()...)
	completeWords(cmd, "restore", "best", "last")
	return cmd
}

// checkValidationFlags checks the validation flags together and applies
// --restore to cfg (it is early_restore under a plainer name).
func checkValidationFlags(f *pflag.FlagSet, cfg *train.Config, o trainOptions) error {
	switch o.restore {
	case "":
	case "best", "last":
		if f.Changed("early-restore") {
			return usagef("train: --restore and --early-restore both given: keep one")
		}
		cfg.EarlyRestore = o.restore == "best"
	default:
		return usagef("train: --restore %q: want best or last", o.restore)
	}
	if o.cv == 1 || o.cv < 0 {
		return usagef("train: --cv %d: want 2 or more folds (0: no cross-validation)", o.cv)
	}
	if o.cvFinal && o.cv == 0 {
		return usagef("train: --cv-final needs --cv K")
	}
	if o.holdoutEvery < 0 || (o.holdoutEvery > 0 && o.holdout == "") {
		return usagef("train: --holdout-every needs --holdout DIR and N >= 1")
	}
	if o.cvParallel < 0 {
		return usagef("train: --cv-parallel %d: want 0 (one per CPU) or more", o.cvParallel)
	}
	if o.valSplit == schema.Train {
		// Scores on the images the model is fitted to measure memory, not
		// accuracy: no number printed after it could be trusted.
		return usagef("train: --val-split train validates on the training images; choose val or test, or cross-validate with --cv 5")
	}
	return nil
}

func runTrain(ctx context.Context, cfg train.Config, o trainOptions, stdout, stderr io.Writer) error {
	splits := []string{schema.Train, o.valSplit}
	if o.cv > 0 && !slices.Contains(train.SplitsOf(o.data), o.valSplit) {
		splits = splits[:1] // a dataset made with --val 0: the folds are the validation
	}
	d, err := train.LoadSplits(ctx, o.data, splits, train.LoadOptions{Format: o.form, Size: cfg.Size})
	if err != nil {
		return err
	}
	trainSet, valSet := d.Sets[schema.Train], d.Sets[o.valSplit]
	cfg.Size = trainSet.H
	if err := cfg.Validate(); err != nil {
		return usagef("train: %v", err)
	}
	if d.WidenedAt != "" {
		fmt.Fprintf(stderr, "train: grey and colour images are mixed (first colour one: %s): training on RGB, grey images copied to R, G and B\n", d.WidenedAt)
	}
	var hold *train.Set
	if o.holdout != "" {
		if hold, err = train.LoadFolder(ctx, o.holdout, trainSet.Classes, trainSet.C, trainSet.H, trainSet.W); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "train: holdout: %d images of %s\n", hold.N, o.holdoutName)
		leaks, err := train.HoldoutLeaks(ctx, o.data, o.holdout)
		if err != nil {
			return err
		}
		for _, l := range leaks {
			fmt.Fprintf(stderr, "warning: %s; its accuracy is not accuracy on new images\n", l)
		}
	}
	if o.force {
		if err := train.ClearRun(o.out); err != nil {
			return err
		}
	}
	if o.cv > 0 {
		every, _ := d.All()
		fmt.Fprintf(stderr, "train: %d-fold cross-validation by source over %s: %d images, %d classes, %dx%dx%d\n",
			o.cv, strings.Join(d.Splits, "+"), every.N, len(every.Classes), every.H, every.W, every.C)
		r, err := train.CrossValidate(ctx, cfg, every, train.CVOptions{K: o.cv, Parallel: o.cvParallel, Log: stderr,
			RunDir: o.out, Final: o.cvFinal, Holdout: hold})
		if err != nil {
			return err
		}
		train.WriteCVSummary(stdout, r, o.out)
		return nil
	}
	prov := train.DescribeVal(train.SplitLevels(o.data), valSet)
	fmt.Fprintf(stderr, "train: %d images, validation: %d images, %d classes, %dx%dx%d\n",
		trainSet.N, valSet.N, len(trainSet.Classes), trainSet.H, trainSet.W, trainSet.C)
	fmt.Fprintf(stderr, "train: validating on %s\n", prov.Line())
	res, err := train.Fit(ctx, cfg, trainSet, valSet, train.Options{Log: stderr, RunDir: o.out,
		Holdout: hold, HoldoutEvery: o.holdoutEvery, Val: prov})
	if ie := (*train.InterruptedError)(nil); errors.As(err, &ie) {
		// The exit code still says "interrupted" (err unwraps to the
		// context's error); this line says what the run folder holds.
		if ie.BestEpoch == 0 {
			fmt.Fprintf(stderr, "interrupted at epoch %d: no epoch finished, so no model was saved\n", ie.Epoch)
		} else {
			fmt.Fprintf(stderr, "interrupted at epoch %d: best model so far (epoch %d, val_loss %.4f) is in %s; last finished epoch in %s\n",
				ie.Epoch, ie.BestEpoch, ie.Best.Loss, filepath.Join(o.out, "model.bin"), filepath.Join(o.out, "last.bin"))
		}
	}
	if err != nil {
		return err
	}
	train.WriteSummary(stdout, cfg, res, prov, o.holdoutName)
	fmt.Fprintf(stdout, "model: %s\ncurves: %s\nconfusion: %s\nsummary: %s\n",
		filepath.Join(o.out, "model.bin"), filepath.Join(o.out, "curves.png"), filepath.Join(o.out, "confusion.txt"), filepath.Join(o.out, "summary.json"))
	return nil
}
