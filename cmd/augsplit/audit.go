package main

import (
	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/audit"
)

func newAuditCmd() *cobra.Command {
	opts := audit.DefaultOptions()
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit PATH [--json] [--keras-validation-split F] [--hamming N] [--share-threshold F]",
		Short: "check any dataset's splits: missing classes, leaks, duplicates, Keras validation_split",
		Long: `PATH is a folder dataset (PATH/<split>/<class>/<image>, or PATH/<class>/<image>
without splits), an augsplit output (PATH/manifest.jsonl), or a CSV file with a
header path,label[,split][,group] (paths relative to the CSV's folder). A folder
may be a URL (s3://bucket/prefix, ...): its objects are fetched to a temporary
folder first.

Exit 0 when clean, 1 when a problem was found, 2 on a usage or input error.`,
		Example: `  augsplit audit data
  augsplit audit photos --keras-validation-split 0.2
  augsplit audit labels.csv --json`,
		Args: exactlyOne("PATH"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			// Messages name a fetched URL, not its temporary folder.
			names := &fetchNames{}
			stdout, stderr := names.writer(cmd.OutOrStdout()), names.writer(cmd.ErrOrStderr())
			defer func() { stdout.Flush(); stderr.Flush(); err = names.err(err) }()
			if k := opts.KerasValidationSplit; k < 0 || k >= 1 {
				return usagef("audit: --keras-validation-split %v: want a fraction in (0, 1)", k)
			}
			if h := opts.Hamming; h < -1 || h > 64 {
				return usagef("audit: --hamming %d: want 0 to 64 bits, or -1 for no near-duplicate check", h)
			}
			if s := opts.ShareThreshold; s <= 0 || s > 1 {
				return usagef("audit: --share-threshold %v: want a fraction in (0, 1]", s)
			}
			local, cleanup, err := localDir(cmd.Context(), args[0], stderr, names)
			if err != nil {
				return exit2(err)
			}
			defer cleanup()
			in, err := audit.Load(local)
			if err != nil {
				return exit2(err)
			}
			rep, err := audit.Audit(cmd.Context(), in, opts)
			if err != nil {
				return exit2(err)
			}
			if asJSON {
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
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "write the report as JSON instead of tables")
	f.Float64Var(&opts.KerasValidationSplit, "keras-validation-split", 0, "show what Keras fit(validation_split=`F`) does to the list as ordered (CSV rows, manifest, or Keras's directory order)")
	f.IntVar(&opts.Hamming, "hamming", opts.Hamming, "near-duplicate threshold: perceptual-hash distance in bits (of 64); -1 turns the check off")
	f.Float64Var(&opts.ShareThreshold, "share-threshold", opts.ShareThreshold, "report a class whose share differs across splits by more than this fraction")
	return cmd
}
