package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/schema"
)

// runFiles are what train writes into RUN; one of them there means RUN
// holds a run, and --force removes them all before training again (so an
// interrupted new run cannot leave the old run's model beside it).
var runFiles = []string{"metrics.jsonl", "curves.png", "confusion.txt", "confusion.png", "model.bin", "last.bin",
	"summary.json", "cv.json", "cv.png", "final"}

// RunUsedError says RUN already holds a training run.
type RunUsedError struct {
	Dir   string
	Files []string
}

func (e *RunUsedError) Error() string {
	return fmt.Sprintf("%s already holds a training run (%s): choose another --out, or pass --force to replace it", e.Dir, strings.Join(e.Files, ", "))
}

// UsedRun lists the run files in dir (a --cv run's fold-N folders too).
func UsedRun(dir string) []string {
	var found []string
	for _, f := range runFiles {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			found = append(found, f)
		}
	}
	folds, _ := filepath.Glob(filepath.Join(dir, "fold-[0-9]*"))
	for _, f := range folds {
		found = append(found, filepath.Base(f))
	}
	return found
}

// ClearRun removes the run files in dir (--force), just before training
// writes new ones. The sub-runs (final/, fold-N/) lose only train's own
// files, recursively, and go only once empty: a file a user put there is
// never train's to delete, and keeps its folder (and the error names it).
func ClearRun(dir string) error {
	var errs []error
	for _, f := range UsedRun(dir) {
		p := filepath.Join(dir, f)
		fi, err := os.Lstat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("--force: %w", err))
			continue
		}
		if !fi.IsDir() {
			if err := os.Remove(p); err != nil {
				errs = append(errs, fmt.Errorf("--force: %w", err))
			}
			continue
		}
		if err := ClearRun(p); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, fmt.Errorf("--force: %s holds files train did not write; move them away and run again: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// CheckValSplit turns a dataset without the split to validate on (made
// with --val 0) into an error that says how to get one, before any image
// is read.
func CheckValSplit(data, valSplit string) error {
	splits := SplitsOf(data)
	if len(splits) == 0 || slices.Contains(splits, valSplit) {
		return nil // not a dataset with splits, or fine: the loader says more
	}
	fix := "regenerate it with a validation split (augsplit generate or split with --val 0.2)"
	for _, sp := range splits {
		if sp != schema.Train {
			fix += fmt.Sprintf(", validate on %s with --val-split %s", sp, sp)
		}
	}
	fix += ", or cross-validate by source over train with --cv 5"
	return fmt.Errorf("%s has no %q split to validate on (it has %s): %s", data, valSplit, strings.Join(splits, ", "), fix)
}
