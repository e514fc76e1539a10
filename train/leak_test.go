package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/internal/filetest"
)

// TestHoldoutLeaks: a holdout that is the dataset's own split, or that
// holds a source file, is said to be no holdout (QA: both were silent).
func TestHoldoutLeaks(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	k := 0
	for _, class := range []string{"a", "b"} {
		for i := range 2 {
			filetest.WritePNG(t, filepath.Join(src, class, fmt.Sprintf("%d.png", i)), stripe("gray8", 16, k))
			k++
		}
	}
	cfg := generate.Defaults()
	cfg.In, cfg.Out = src, filepath.Join(tmp, "out")
	cfg.PerSource, cfg.Val = 3, 0.5
	if _, err := generate.Run(context.Background(), cfg, generate.Options{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	fresh := filepath.Join(tmp, "fresh")
	filetest.WritePNG(t, filepath.Join(fresh, "a", "new.png"), stripe("gray8", 16, 9))
	if leaks, err := HoldoutLeaks(ctx, cfg.Out, fresh); err != nil || len(leaks) != 0 {
		t.Errorf("new images: %q, %v; want no leak", leaks, err)
	}

	leaks, err := HoldoutLeaks(ctx, cfg.Out, filepath.Join(cfg.Out, "train"))
	if err != nil || len(leaks) != 1 || !strings.Contains(leaks[0], "inside the dataset") {
		t.Errorf("holdout = OUT/train: %q, %v; want one leak saying it is inside the dataset", leaks, err)
	}

	data, err := os.ReadFile(filepath.Join(src, "b", "1.png"))
	if err != nil {
		t.Fatal(err)
	}
	filetest.Write(t, filepath.Join(fresh, "b", "copy.png"), data)
	leaks, err = HoldoutLeaks(ctx, cfg.Out, fresh)
	if err != nil || len(leaks) != 1 || !strings.Contains(leaks[0], "source b/1.png") {
		t.Errorf("holdout with a source file: %q, %v; want one leak naming b/1.png", leaks, err)
	}
}
