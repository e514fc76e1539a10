package main

import (
	"fmt"
	"math"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/train"
	"github.com/augsplit/augsplit/trust"
)

// evalResult is what eval --json prints. Field names are a promise to
// scripts: add, never rename.
type evalResult struct {
	Model     string       `json:"model"`
	Data      string       `json:"data"`
	Split     string       `json:"split"` // "" for class folders DIR/<class>/
	Images    int          `json:"images"`
	Accuracy  float64      `json:"accuracy"`
	Loss      float64      `json:"loss"`
	Classes   []string     `json:"classes"`
	PerClass  []classScore `json:"per_class"`
	Confusion [][]int      `json:"confusion"` // [true][predicted], in classes order
	// Sources is accuracy per source (an augsplit OUT's; [] for a plain
	// folder), Interval the accuracy's 95% interval over sources.
	Sources  []trust.Outcome `json:"sources"`
	Interval trust.Interval  `json:"interval"`
}

type classScore struct {
	Class    string   `json:"class"`
	Support  int      `json:"support"`
	Accuracy *float64 `json:"accuracy"` // null when the data has none of the class
}

func newEvalResult(modelPath, data, split string, classes []string, set *train.Set, ev *train.Evaluation) evalResult {
	outs := train.Outcomes(set, ev)
	r := evalResult{Model: modelPath, Data: data, Split: split, Images: ev.N, Accuracy: ev.Accuracy, Loss: ev.Loss,
		Classes: classes, Confusion: ev.Confusion, Sources: []trust.Outcome{}, Interval: trust.Estimate(outs)}
	if set.Sources != nil {
		r.Sources = outs
	}
	for i, c := range classes {
		sc := classScore{Class: c, Support: ev.Support[i]}
		if a := ev.PerClass[i]; !math.IsNaN(a) {
			sc.Accuracy = &a
		}
		r.PerClass = append(r.PerClass, sc)
	}
	return r
}

func newEvalCmd() *cobra.Command {
	var modelPath, data, split string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval --model RUN/model.bin --data DIR [--split S]",
		Short: "evaluate a trained model on a labelled folder",
		Long: `Prints accuracy, per-class accuracy and the confusion matrix of a model on
labelled images: a split of an augsplit OUT or of DIR/<split>/<class>/, or the
class folders DIR/<class>/. A class the model does not know is an error naming it.
Then accuracy per source (for an augsplit OUT) and its 95% interval over sources.

--json prints one JSON object on stdout instead of the tables: model, data, split
("" for class folders), images, accuracy, loss, classes (the model's, in label
order), per_class [{class, support, accuracy (null without samples)}], confusion
[[n]] (rows true class, columns predicted, in classes order), sources [{source,
class, samples, correct}] ([] for a plain folder) and interval {sources, samples,
accuracy, lo, hi, note} (the 95% interval over sources).`,
		Example: `  augsplit eval --model run/model.bin --data data --split test
  augsplit eval --model run/model.bin --data new-photos
  augsplit eval --model run/model.bin --data data --split test --json | jq .accuracy`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			// Messages name a fetched URL, not its temporary folder.
			names := &fetchNames{}
			stdout, stderr := names.writer(cmd.OutOrStdout()), names.writer(cmd.ErrOrStderr())
			defer func() { stdout.Flush(); stderr.Flush(); err = names.err(err) }()
			if modelPath == "" || data == "" {
				return usagef("eval: --model and --data are required")
			}
			modelFile, cleanup, err := localFile(cmd.Context(), modelPath, stderr, names)
			if err != nil {
				return err
			}
			defer cleanup()
			m, err := train.Load(modelFile)
			if err != nil {
				return err
			}
			dataDir, cleanup, err := localDir(cmd.Context(), data, stderr, names)
			if err != nil {
				return err
			}
			defer cleanup()
			data = store.Name(data)
			set, from, err := train.LoadLabelled(cmd.Context(), dataDir, split, m)
			if err != nil {
				return err
			}
			// Say what was read: --split defaults to val and a dataset
			// has several splits.
			if from != "" {
				fmt.Fprintf(stderr, "eval: %s split of %s: %d images (choose another with --split)\n", from, data, set.N)
			} else {
				fmt.Fprintf(stderr, "eval: class folders of %s: %d images\n", data, set.N)
			}
			ev, err := train.Evaluate(m, set)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(stdout, newEvalResult(modelPath, data, from, m.Classes, set, ev))
			}
			fmt.Fprint(stdout, train.ConfusionText(m.Classes, ev))
			fmt.Fprintln(stdout)
			fmt.Fprint(stdout, train.SourceReport(set, ev))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file (RUN/model.bin) (required)")
	f.StringVar(&data, "data", "", "labelled images: DIR/<class>/*, or a dataset with --split; a path or a URL such as s3://bucket/prefix (required)")
	f.StringVar(&split, "split", schema.Val, "split to evaluate when --data is an augsplit OUT or has split folders")
	f.BoolVar(&asJSON, "json", false, "print the result as one JSON object (fields above)")
	return cmd
}
