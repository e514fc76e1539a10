// Command cellgen writes the synthetic cell images bundled in testdata/cells:
//
//	go run ./tools/cellgen -out testdata/cells
//
// (or `go generate ./internal/cells`). The defaults reproduce the committed
// files exactly; the tests in internal/cells fail if the two differ.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/augsplit/augsplit/internal/cells"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "cellgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("cellgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output folder (one subfolder per class is created)")
	size := fs.Int("size", cells.Size, "image width and height in pixels")
	seed := fs.Uint64("seed", cells.Seed, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("usage: cellgen -out DIR [-size N] [-seed S]")
	}
	if *size <= 0 {
		return fmt.Errorf("-size %d: must be positive", *size)
	}
	return cells.WriteDir(*out, *size, *seed)
}
