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
(samples per class and split).`,
		Example: `  augsplit preview data
  augsplit preview data --per-class 10`,
		Args: exactlyOne("dataset folder"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if perClass < 0 || perClass > 100 {
				return usagef("preview: --per-class %d: want 0 to 100", perClass)
			}
			out := args[0]
			if err := preview.Write(cmd.Context(), out, perClass); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), filepath.Join(out, preview.SheetFile))
			fmt.Fprintln(cmd.OutOrStdout(), filepath.Join(out, preview.ChartFile))
			return nil
		},
	}
	cmd.Flags().IntVar(&perClass, "per-class", defaultPreviewPerClass, "variants shown per class, after the source")
	return cmd
}
