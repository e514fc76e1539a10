package train

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/safefile"
)

// maxHoldoutFile caps each holdout file read for the leak check; larger
// files are left to the loader, which refuses them with its own limit.
const maxHoldoutFile = 1 << 30

// HoldoutLeaks says why a --holdout folder is not new to the model made
// from the dataset at data: it lies inside the dataset, or it holds files
// byte-identical to the dataset's sources (the card lists their sha256). A
// holdout score over such images is not accuracy on new images, and
// nothing else would say so. Empty when no leak is found, or when data is
// not an augsplit dataset (a plain ImageFolder has no source list).
func HoldoutLeaks(ctx context.Context, data, holdout string) ([]string, error) {
	var leaks []string
	if inside(data, holdout) {
		leaks = append(leaks, fmt.Sprintf("--holdout %s is inside the dataset %s: its images are the dataset's own, not new ones", holdout, data))
	}
	g, err := dataset.Open(data)
	if err != nil {
		return leaks, nil // a plain ImageFolder: no source list to compare with
	}
	sources := make(map[string]string, len(g.Card.Sources))
	for _, s := range g.Card.Sources {
		sources[s.SHA256] = s.Path
	}
	var same []string
	err = filepath.WalkDir(holdout, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		data, err := safefile.ReadFile(ctx, path, maxHoldoutFile)
		if err != nil {
			return nil // the loader reports unreadable files with its own advice
		}
		sum := sha256.Sum256(data)
		if src, ok := sources[hex.EncodeToString(sum[:])]; ok {
			same = append(same, fmt.Sprintf("%s = source %s", path, src))
		}
		return nil
	})
	if err != nil {
		return leaks, fmt.Errorf("--holdout %s: %w", holdout, err)
	}
	if len(same) > 0 {
		leaks = append(leaks, fmt.Sprintf("--holdout %s holds %d file(s) identical to the dataset's sources (e.g. %s): the model was trained on their variants", holdout, len(same), same[0]))
	}
	return leaks, nil
}

// inside reports whether dir is root or below it, after cleaning both.
func inside(root, dir string) bool {
	r, err1 := filepath.Abs(root)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(r, d)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
