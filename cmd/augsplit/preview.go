package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/augsplit/augsplit/preview"
)

func init() {
	commands["preview"] = command{run: runPreview, short: "draw a contact sheet (preview.png) and a split chart (splits.png) of a generated dataset"}
}

func runPreview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("preview", stderr)
	perClass := fs.Int("per-class", defaultPreviewPerClass, "variants shown per class, after the source")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: augsplit preview OUT [--per-class K]

Writes OUT/preview.png (a row per class: the source, then its first K variants
in manifest order, captioned with angle, flips and noise) and OUT/splits.png
(samples per class and split).

flags:
`)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("preview: want exactly one dataset folder, got %d arguments", len(pos))
	}
	if *perClass < 0 || *perClass > 100 {
		return usagef("preview: --per-class %d: want 0 to 100", *perClass)
	}
	out := pos[0]
	if err := preview.Write(ctx, out, *perClass); err != nil {
		return err
	}
	fmt.Fprintln(stdout, filepath.Join(out, preview.SheetFile))
	fmt.Fprintln(stdout, filepath.Join(out, preview.ChartFile))
	return nil
}
