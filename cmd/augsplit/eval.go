package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/train"
)

func newEvalCmd() *cobra.Command {
	var modelPath, data, split string
	cmd := &cobra.Command{
		Use:   "eval --model RUN/model.bin --data DIR [--split S]",
		Short: "evaluate a trained model on a labelled folder",
		Long: `Prints accuracy, per-class accuracy and the confusion matrix of a model on
labelled images: a split of an augsplit OUT or of DIR/<split>/<class>/, or the
class folders DIR/<class>/. A class the model does not know is an error naming it.
Then accuracy per source (for an augsplit OUT) and its 95% interval over sources.`,
		Example: `  augsplit eval --model run/model.bin --data data --split test
  augsplit eval --model run/model.bin --data new-photos`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" || data == "" {
				return usagef("eval: --model and --data are required")
			}
			m, err := train.Load(modelPath)
			if err != nil {
				return err
			}
			set, from, err := train.LoadLabelled(cmd.Context(), data, split, m)
			if err != nil {
				return err
			}
			// Say what was read: --split defaults to val and a dataset
			// has several splits.
			if from != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "eval: %s split of %s: %d images (choose another with --split)\n", from, data, set.N)
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "eval: class folders of %s: %d images\n", data, set.N)
			}
			ev, err := train.Evaluate(m, set)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), train.ConfusionText(m.Classes, ev))
			fmt.Fprintln(cmd.OutOrStdout())
			fmt.Fprint(cmd.OutOrStdout(), train.SourceReport(set, ev))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file (RUN/model.bin) (required)")
	f.StringVar(&data, "data", "", "labelled images: DIR/<class>/*, or a dataset with --split (required)")
	f.StringVar(&split, "split", "val", "split to evaluate when --data is an augsplit OUT or has split folders")
	return cmd
}
