package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/train"
)

// prediction is one line of predict --json.
type prediction struct {
	File string            `json:"file"`
	Top  []train.ClassProb `json:"top"`
}

type predictOptions struct {
	model     string
	top       int
	json      bool
	maxPixels int
}

func newPredictCmd() *cobra.Command {
	var o predictOptions
	cmd := &cobra.Command{
		Use:   "predict --model M [--top K] [--json] FILE...",
		Short: "classify image files with a trained model",
		Long: `Prints a prediction for every readable FILE and names each unreadable one on
stderr; exits 1 at the end if any could not be read. Flags may follow the files.

--json prints JSON lines: one object per file, {"file": ..., "top": [{"class": ...,
"prob": ...}, ...]}, written as each file is classified, so a script can read
the predictions of thousands of files as they come (jq reads them as they are).`,
		Example: `  augsplit predict --model run/model.bin cell1.png cell2.png
  augsplit predict --model run/model.bin photos/*.jpg --top 1 --json`,
		RunE: func(cmd *cobra.Command, files []string) error {
			if o.model == "" || len(files) == 0 {
				return usagef("predict: --model and at least one FILE are required")
			}
			if o.top < 1 {
				return usagef("predict: --top must be >= 1, got %d", o.top)
			}
			if o.maxPixels < 1 {
				return usagef("predict: --max-pixels must be >= 1, got %d", o.maxPixels)
			}
			return runPredict(cmd, o, files)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "model file (RUN/model.bin), a path or a URL such as s3://bucket/run/model.bin (required)")
	f.IntVar(&o.top, "top", 3, "classes to print per file")
	f.BoolVar(&o.json, "json", false, "JSON lines: one object per file, as each is classified")
	f.IntVar(&o.maxPixels, "max-pixels", dataset.DefaultMaxPixels, "refuse images with more pixels than this")
	return cmd
}

func runPredict(cmd *cobra.Command, o predictOptions, files []string) (err error) {
	ctx, stdout, stderr := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	// Errors name a fetched model's URL, not its temporary file; stdout
	// holds only results about FILEs, which are local.
	names := &fetchNames{}
	defer func() { err = names.err(err) }()
	modelFile, cleanup, err := localFile(ctx, o.model, stderr, names)
	if err != nil {
		return err
	}
	defer cleanup()
	m, err := train.Load(modelFile)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	failed := 0
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		// One bad file must not cost the others their prediction: report
		// it and go on, failing at the end.
		p, err := predictFile(ctx, m, path, o.top, o.maxPixels)
		if err != nil {
			fmt.Fprintf(stderr, "augsplit predict: %v\n", err)
			failed++
			continue
		}
		if o.json {
			err = enc.Encode(p)
		} else {
			var b strings.Builder
			b.WriteString(path)
			for _, c := range p.Top {
				fmt.Fprintf(&b, "\t%s %.4f", c.Class, c.Prob)
			}
			_, err = fmt.Fprintln(stdout, b.String())
		}
		if err != nil {
			return fmt.Errorf("write prediction: %w", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("predict: %d of %d files could not be read (see above)", failed, len(files))
	}
	return nil
}

// predictFile classifies one file; its error names the file and a reason
// that fits predict (dataset's decode errors suggest generate's flags).
func predictFile(ctx context.Context, m *train.Model, path string, top, maxPixels int) (prediction, error) {
	p := prediction{File: path}
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return p, fmt.Errorf("%s: no such file", path)
		}
		return p, fmt.Errorf("%s: %w", path, err)
	}
	if fi.IsDir() {
		return p, fmt.Errorf("%s: is a folder: pass image files (e.g. %s)", path, filepath.Join(path, "*.png"))
	}
	img, err := decodeImageFile(ctx, path, maxPixels)
	var de *dataset.DecodeError
	var tl *dataset.TooLargeError
	switch {
	case errors.As(err, &de):
		return p, fmt.Errorf("%s: not a readable image: %w", path, de.Err)
	case errors.As(err, &tl):
		tl.Flag = "--max-pixels" // predict has it
		return p, err
	case safefile.IsRefused(err):
		return p, err // names the file
	case err != nil:
		return p, fmt.Errorf("%s: %w", path, err)
	}
	if p.Top, err = m.TopK(img, top); err != nil {
		return p, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// decodeImageFile reads a regular file only (a FIFO or /dev/zero named on
// the command line is refused, not waited on), capped, stopping with ctx.
func decodeImageFile(ctx context.Context, path string, maxPixels int) (image.Image, error) {
	d, _, err := dataset.DecodeFile(ctx, path, maxPixels)
	if err != nil {
		return nil, err
	}
	return d.Image, nil
}
