package main

import (
	"context"
	"fmt"
	"io"

	"github.com/augsplit/augsplit/dataset"
)

func init() {
	commands["verify"] = command{run: runVerify, short: "recheck a generated dataset: checksums, counts, every class in every split"}
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: augsplit verify OUT\n\nExit 0 when every check holds, 1 naming what does not.")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("verify: want exactly one dataset folder, got %d arguments", fs.NArg())
	}
	dir := fs.Arg(0)
	rep, err := dataset.Verify(ctx, dir)
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
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
