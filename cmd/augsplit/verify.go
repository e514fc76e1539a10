package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/dataset"
)

func newVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify OUT",
		Short: "recheck a generated dataset: checksums, counts, every class in every split",
		Long: `Rechecks an augsplit OUT against its manifest and card: every file's checksum,
the counts, every class in every split. Exit 0 when every check holds, 1 naming
what does not.`,
		Example: `  augsplit verify data`,
		Args:    exactlyOne("dataset folder"),
		RunE: func(cmd *cobra.Command, args []string) error {
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			dir := args[0]
			rep, err := dataset.Verify(cmd.Context(), dir)
			if err != nil {
				return err
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
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
