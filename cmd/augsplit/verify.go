package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/store"
)

// verifyResult is what verify --json prints.
type verifyResult struct {
	Dir      string   `json:"dir"`
	OK       bool     `json:"ok"`
	Checked  int      `json:"checked"`
	Problems []string `json:"problems"`
}

func newVerifyCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify OUT|URL",
		Short: "recheck a generated dataset: checksums, counts, every class in every split",
		Long: `Rechecks an augsplit OUT against its manifest and card: every file's checksum,
the counts, every class in every split. Exit 0 when every check holds, 1 naming
what does not.

--json prints one JSON object on stdout instead of the OK/FAIL lines:
{"dir", "ok" (true when every check holds), "checked" (files and shard samples
whose checksum was recomputed), "problems" [text, each naming a file]}; the exit
code is the same.

OUT may be a URL (s3://bucket/prefix, gs://, azblob://, file://): every object
is fetched afresh into a temporary folder, checked there, and the folder removed.`,
		Example: `  augsplit verify data
  augsplit verify s3://bucket/data
  augsplit verify data --json | jq -r '.problems[]'`,
		Args: exactlyOne("dataset folder"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			// Messages name a fetched URL, not its temporary folder.
			names := &fetchNames{}
			stdout, stderr := names.writer(cmd.OutOrStdout()), names.writer(cmd.ErrOrStderr())
			defer func() { stdout.Flush(); stderr.Flush(); err = names.err(err) }()
			dir := args[0]
			local, cleanup, err := localDir(cmd.Context(), dir, stderr, names)
			if err != nil {
				return err
			}
			defer cleanup()
			dir = store.Name(dir)
			rep, err := dataset.Verify(cmd.Context(), local)
			if err != nil {
				return err
			}
			for i, p := range rep.Problems {
				rep.Problems[i] = names.text(p) // before JSON escapes the name
			}
			if asJSON {
				if err := writeJSON(stdout, verifyResult{Dir: dir, OK: rep.OK(), Checked: rep.Checked, Problems: orEmpty(rep.Problems)}); err != nil {
					return err
				}
				if !rep.OK() {
					return errSilent
				}
				return nil
			}
			if !rep.OK() {
				for _, p := range rep.Problems {
					fmt.Fprintf(stdout, "FAIL %s\n", p)
				}
				fmt.Fprintf(stderr, "verify %s: %d %s in %d checked files\n", dir, len(rep.Problems), plural(len(rep.Problems), "problem", "problems"), rep.Checked)
				return errSilent
			}
			fmt.Fprintf(stdout, "OK %s: %d files checked, checksums, counts and classes in every split hold\n", dir, rep.Checked)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as one JSON object (fields above)")
	return cmd
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
