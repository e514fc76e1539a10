package train

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/augsplit/augsplit/dataset"
)

// LoadFolder reads a labelled folder of real images, dir/<class>/*, as a
// set in the given class list (a model's or a training set's), resized to
// c x h x w. Each file is its own source: a holdout is meant to hold
// independent new images. A class folder not in classes is an error naming
// it (and the known classes); classes may be missing from the folder.
func LoadFolder(ctx context.Context, dir string, classes []string, c, h, w int) (*Set, error) {
	tree, err := dataset.Scan(ctx, dir, dataset.ScanOptions{})
	if err != nil {
		return nil, fmt.Errorf("holdout %s: %w", dir, err)
	}
	var errs []error
	for _, cl := range tree.Classes {
		if !slices.Contains(classes, cl.Name) {
			errs = append(errs, &UnknownClassError{Class: cl.Name, Known: classes})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("holdout %s: %w", dir, err)
	}
	s := NewSet(c, h, w, classes)
	for _, src := range tree.Sources {
		img, err := tree.Load(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("holdout %s: %w", dir, err)
		}
		if err := s.AddFrom(img, slices.Index(classes, src.Class), src.Path); err != nil {
			return nil, fmt.Errorf("holdout %s: %s: %w", dir, src.Path, err)
		}
	}
	return s, nil
}
