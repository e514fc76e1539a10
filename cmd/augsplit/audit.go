package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/augsplit/augsplit/audit"
)

func init() {
	commands["audit"] = command{run: runAudit, short: "check any dataset's splits: missing classes, leaks, duplicates, Keras validation_split"}
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	def := audit.DefaultOptions()
	fs := newFlagSet("audit", stderr)
	asJSON := fs.Bool("json", false, "write the report as JSON instead of tables")
	keras := fs.Float64("keras-validation-split", 0, "show what Keras fit(validation_split=`F`) does to the list as ordered (CSV rows, manifest, or Keras's directory order)")
	hamming := fs.Int("hamming", def.Hamming, "near-duplicate threshold: perceptual-hash distance in bits (of 64); -1 turns the check off")
	share := fs.Float64("share-threshold", def.ShareThreshold, "report a class whose share differs across splits by more than this fraction")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: augsplit audit PATH [--json] [--keras-validation-split F] [--hamming N] [--share-threshold F]

PATH is a folder dataset (PATH/<split>/<class>/<image>, or PATH/<class>/<image>
without splits), an augsplit output (PATH/manifest.jsonl), or a CSV file with a
header path,label[,split][,group] (paths relative to the CSV's folder).

Exit 0 when clean, 1 when a problem was found, 2 on a usage or input error.

flags:
`)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("audit: want exactly one PATH, got %d arguments", len(pos))
	}
	if *keras < 0 || *keras >= 1 {
		return usagef("audit: --keras-validation-split %v: want a fraction in (0, 1)", *keras)
	}
	if *hamming < -1 || *hamming > 64 {
		return usagef("audit: --hamming %d: want 0 to 64 bits, or -1 for no near-duplicate check", *hamming)
	}
	if *share <= 0 || *share > 1 {
		return usagef("audit: --share-threshold %v: want a fraction in (0, 1]", *share)
	}
	opts := def
	opts.KerasValidationSplit = *keras
	opts.Hamming = *hamming
	opts.ShareThreshold = *share

	in, err := audit.Load(pos[0])
	if err != nil {
		return exit2(err)
	}
	rep, err := audit.Audit(ctx, in, opts)
	if err != nil {
		return exit2(err)
	}
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return exit2(err)
	}
	if !rep.Clean() {
		return errSilent
	}
	return nil
}

// exit2 marks err for exit code 2, because for a check command exit 1
// already means "the check found a problem" and a script must tell the two
// apart; a cancellation keeps its own code (130/143).
func exit2(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &usageError{msg: err.Error(), err: err}
}

// parseInterspersed parses flags placed before, between or after the
// positional arguments (`augsplit audit PATH --json`), which the flag
// package alone stops at the first positional. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag consumed a "--" terminator if the arg just before rest is it.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
