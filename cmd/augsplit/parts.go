package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/internal/shq"
	"github.com/augsplit/augsplit/schema"
)

// indexVars are the schedulers' array index variables --part defaults
// from, the first one set winning: Kubernetes Indexed Jobs, AWS Batch
// array jobs, Cloud Run jobs, Slurm arrays.
var indexVars = []string{"JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "CLOUD_RUN_TASK_INDEX", "SLURM_ARRAY_TASK_ID"}

// partFlags are generate's --parts and --part.
type partFlags struct {
	parts int
	part  int // -1: not given
}

// resolvePart checks --parts and --part against the other flags and, when
// --part is not given, takes it from the scheduler's index variable
// (getenv), saying which on stderr.
func resolvePart(p partFlags, cfg *generate.Config, getenv func(string) string, stderr io.Writer) (int, error) {
	if p.parts == 0 {
		if p.part >= 0 {
			return 0, usagef("generate: --part needs --parts N (the number of parts)")
		}
		return -1, nil
	}
	if p.parts < 0 {
		return 0, usagef("generate: --parts %d: want 1 or more", p.parts)
	}
	switch {
	case cfg.ShardBytes > 0:
		return 0, usagef("generate: --parts with --shard-bytes: parts own whole shards, so shards must be fixed up front; use --shards or --shard-size")
	case cfg.Force:
		return 0, usagef("generate: --parts with --force: a part never removes what is in OUT; clear it, or use another --out")
	}
	part := p.part
	if part < 0 {
		for _, v := range indexVars {
			s := getenv(v)
			if s == "" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 0 {
				return 0, usagef("generate: %s=%q is not a part index (want 0 to %d)", v, s, p.parts-1)
			}
			fmt.Fprintf(stderr, "note: --part %d from %s\n", n, v)
			part = n
			break
		}
	}
	if part < 0 {
		return 0, usagef("generate: --parts %d needs --part I, or one of %s set by the scheduler", p.parts, strings.Join(indexVars, ", "))
	}
	if part >= p.parts {
		return 0, usagef("generate: --part %d of --parts %d: want 0 to %d", part, p.parts, p.parts-1)
	}
	return part, nil
}

// partResult is what generate --parts --json prints.
type partResult struct {
	Command     string `json:"command"`
	Out         string `json:"out"`
	UpToDate    bool   `json:"up_to_date"`
	Part        int    `json:"part"`
	Parts       int    `json:"parts"`
	Units       int    `json:"units"`
	Skipped     int    `json:"skipped"`
	Samples     int    `json:"samples"`
	Fingerprint string `json:"fingerprint"`
}

func runPart(ctx context.Context, cfg *generate.Config, o generateOptions, part int, inDir string, stdout, stderr io.Writer) error {
	if o.preview {
		return usagef("generate: --preview with --parts: run augsplit preview OUT after augsplit seal OUT")
	}
	prog := newProgress(stderr, o.quiet, fmt.Sprintf("part %d/%d", part, o.parts.parts))
	sum, err := generate.RunPart(ctx, *cfg, part, o.parts.parts, generate.Options{Log: stderr, Progress: prog.update, InDir: inDir})
	prog.finish()
	err = generate.CheckFinished(ctx, cfg.Out, err)
	res := partResult{Command: "generate", Out: cfg.Out, Part: part, Parts: o.parts.parts}
	switch {
	case generate.IsUpToDate(err):
		fmt.Fprintf(stderr, "%s already holds this exact dataset, sealed: nothing to do\n", cfg.Out)
		res.UpToDate = true
	case generate.IsPartRefusal(err):
		return &usageError{msg: err.Error(), err: err}
	case err != nil:
		return explain(ctx, stderr, bucketRefusal(cfg.Out, err))
	default:
		res.Units, res.Skipped, res.Samples, res.Fingerprint = sum.Units, sum.Skipped, sum.Samples, sum.Fingerprint
		if sum.Units == 0 {
			// Not an error: an engine may start more indexes than there
			// are units, and seal needs no part that owns none.
			fmt.Fprintf(stderr, "note: part %d of %d owns no units: the plan has %d; --parts above %d leaves parts idle\n",
				part, o.parts.parts, sum.PlanUnits, sum.PlanUnits)
		}
		if !o.quiet {
			fmt.Fprintf(stderr, "part %d of %d: %d units (%d found done), %d samples written to %s; when every part is done: augsplit seal %s\n",
				part, o.parts.parts, sum.Units, sum.Skipped, sum.Samples, cfg.Out, shq.Quote(cfg.Out))
		}
	}
	if o.json {
		return writeJSON(stdout, res)
	}
	return nil
}

func newSealCmd() *cobra.Command {
	var quiet, asJSON bool
	cmd := &cobra.Command{
		Use:   "seal OUT",
		Short: "merge the parts of generate --parts N into the finished dataset",
		Long: `Finishes an OUT (a folder or a bucket URL) whose parts were written by
generate --parts N --part I for every I: checks that every unit is done (else
exits 1 naming the missing units and the --part values to run again; on a
local OUT, exits 1 at once while parts still write there, naming their pids),
checks that the folder images are the manifests' (a missing image, or one of
another run, names the part to run again), moves
staged images into place, streams the parts' manifest lines into manifest.jsonl
in the one-machine order, writes the shard indexes, classes.txt, croissant.json,
README.md and dataset.json last, then deletes the parts' bookkeeping
(.augsplit-parts/). The result is byte-identical to a one-machine generate of
the same command, for any N. Sealing again is harmless.

--json prints the run's summary as generate --json does.`,
		Example: `  augsplit seal data
  augsplit seal s3://bucket/datasets/cells --json | jq .split_totals`,
		Args: exactlyOne("dataset folder or URL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stdout, stderr := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			out := args[0]
			st, err := generate.OpenStore(ctx, out, nil)
			if err != nil {
				return err
			}
			defer st.Close()
			card, err := generate.Seal(ctx, st, generate.Options{Log: stderr})
			if st.Dir() == "" {
				err = generate.CheckFinished(ctx, out, err) // a folder's Seal verified it already
			}
			upToDate := generate.IsUpToDate(err)
			if upToDate {
				fmt.Fprintf(stderr, "%s is already sealed: nothing to do\n", out)
				if card, err = readCardAt(ctx, out); err != nil {
					return err
				}
			}
			if err != nil {
				return err
			}
			asked := cardShares(card)
			if !quiet && !upToDate {
				printSummary(stderr, card, asked)
				fmt.Fprintf(stderr, "sealed %d samples in %s; check with: augsplit verify %s\n", card.Total, out, shq.Quote(out))
			}
			if asJSON {
				return writeJSON(stdout, summarize(card, out, upToDate, asked))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no summary")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as one JSON object on stdout (as generate --json)")
	return cmd
}

// cardShares is the share of samples each split was asked for, from the
// card's recorded config.
func cardShares(card *schema.Card) map[string]float64 {
	var c struct {
		Val  float64 `json:"val"`
		Test float64 `json:"test"`
	}
	_ = json.Unmarshal(card.Config, &c)
	return askedShares(c.Val, c.Test)
}

// readCardAt reads the card of the sealed dataset at out, a folder or a
// bucket URL.
func readCardAt(ctx context.Context, out string) (*schema.Card, error) {
	st, err := generate.OpenStore(ctx, out, nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return generate.ReadCard(ctx, st)
}
