package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/preview"
)

func newPreviewCmd() *cobra.Command {
	var perClass int
	cmd := &cobra.Command{
		Use:   "preview OUT [--per-class K]",
		Short: "draw a contact sheet (preview.png) and a split chart (splits.png) of a generated dataset",
		Long: `Writes OUT/preview.png (a row per class: the source, then its first K variants
in manifest order, captioned with angle, flips and noise) and OUT/splits.png
(samples per class and split). OUT may be a URL (s3://bucket/prefix, ...): the
dataset is fetched to a temporary folder and the two pictures uploaded beside it.`,
		Example: `  augsplit preview data
  augsplit preview data --per-class 10`,
		Args: exactlyOne("dataset folder"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			// Messages name a fetched URL, not its temporary folder.
			names := &fetchNames{}
			stdout, stderr := names.writer(cmd.OutOrStdout()), names.writer(cmd.ErrOrStderr())
			defer func() { stdout.Flush(); stderr.Flush(); err = names.err(err) }()
			if perClass < 0 || perClass > 100 {
				return usagef("preview: --per-class %d: want 0 to 100", perClass)
			}
			out := args[0]
			local, cleanup, err := localDir(cmd.Context(), out, stderr, names)
			if err != nil {
				return err
			}
			defer cleanup()
			if err := preview.Write(cmd.Context(), local, perClass); err != nil {
				return err
			}
			if local == out {
				fmt.Fprintln(stdout, filepath.Join(out, preview.SheetFile))
				fmt.Fprintln(stdout, filepath.Join(out, preview.ChartFile))
				return nil
			}
			// A bucket's dataset gets its pictures beside it, as a folder's does.
			return uploadFiles(cmd.Context(), out, local, stdout, preview.SheetFile, preview.ChartFile)
		},
	}
	cmd.Flags().IntVar(&perClass, "per-class", defaultPreviewPerClass, "variants shown per class, after the source")
	return cmd
}
