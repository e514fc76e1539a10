package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/train"
)

func newSeedBugCmd() *cobra.Command {
	cfg := trainDefaults()
	var data, out string
	cmd := &cobra.Command{
		Use:   "seed-bug --data OUT [--epochs N] [flags]",
		Short: "train with Keras's validation_split on class-ordered data vs augsplit's split",
		Long: `Trains twice on the same samples: validation = the last 20% of a class-ordered list
(Keras's validation_split), then augsplit's own split; prints both side by side.`,
		Example: `  augsplit seed-bug --data data
  augsplit seed-bug --data data --epochs 10 --out seed-bug-runs`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" {
				return usagef("seed-bug: --data is required")
			}
			splits := train.SplitsOf(data)
			if !slices.Contains(splits, schema.Train) || !slices.Contains(splits, schema.Val) {
				return fmt.Errorf("%s: needs train and val splits, has %q", data, splits)
			}
			d, err := train.LoadSplits(cmd.Context(), data, splits, train.LoadOptions{Size: cfg.Size})
			if err != nil {
				return err
			}
			cfg.Size = d.Sets[splits[0]].H
			if err := cfg.Validate(); err != nil {
				return usagef("seed-bug: %v", err)
			}
			arms, err := train.SeedBug(cmd.Context(), cfg, d, train.Options{Log: cmd.ErrOrStderr(), RunDir: out})
			if err != nil {
				return err
			}
			printSeedBug(cmd.OutOrStdout(), arms)
			// What augsplit's own val holds: with one source per class,
			// near-duplicates of training images.
			prov := train.DescribeVal(train.SplitLevels(data), arms[1].Val)
			fmt.Fprintf(cmd.OutOrStdout(), "\naugsplit split: val holds %s\n", prov.Line())
			if c := prov.Caveat(); c != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "WARNING: %s\n", c)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "a generated augsplit dataset (required)")
	f.StringVar(&out, "out", "", "run folder: writes OUT/keras-last20 and OUT/augsplit runs (default: none)")
	addHyperFlags(f, &cfg)
	return cmd
}

// printSeedBug prints the two arms side by side.
func printSeedBug(w io.Writer, arms []*train.SeedBugArm) {
	fmt.Fprintf(w, "%-36s %-28s %s\n", "", "keras validation_split=0.2", "augsplit split")
	row := func(label string, f func(a *train.SeedBugArm) string) {
		fmt.Fprintf(w, "%-36s %-28s %s\n", label, f(arms[0]), f(arms[1]))
	}
	row("train samples", func(a *train.SeedBugArm) string { return fmt.Sprint(a.Train.N) })
	row("val samples", func(a *train.SeedBugArm) string { return fmt.Sprint(a.Val.N) })
	row("classes in val", func(a *train.SeedBugArm) string { return fmt.Sprint(a.ValClasses) })
	row("classes in val never seen in train", func(a *train.SeedBugArm) string {
		if len(a.Unseen) == 0 {
			return "0"
		}
		s := fmt.Sprintf("%d (%s)", len(a.Unseen), strings.Join(a.Unseen, ", "))
		if len(s) > 28 {
			s = fmt.Sprintf("%d", len(a.Unseen))
		}
		return s
	})
	row("best epoch", func(a *train.SeedBugArm) string { return fmt.Sprint(a.Result.BestEpoch) })
	row("val_accuracy", func(a *train.SeedBugArm) string { return fmt.Sprintf("%.4f", a.Result.Best.Accuracy) })
	row("val_loss", func(a *train.SeedBugArm) string { return fmt.Sprintf("%.4f", a.Result.Best.Loss) })
	if len(arms[0].Unseen) > 0 {
		fmt.Fprintf(w, "\nkeras-last20 validates on classes it never trained on: %s\n", strings.Join(arms[0].Unseen, ", "))
	}
}
