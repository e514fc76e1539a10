package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
)

// TestClearRunKeepsForeignFiles: --force removes train's files, also inside
// final/ and fold-N/, but never a file train did not write (QA: a user's
// notes in final/ were deleted).
func TestClearRunKeepsForeignFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"model.bin", "metrics.jsonl", "cv.json", "fold-1/model.bin", "fold-1/curves.png", "final/model.bin", "final/notes.txt", "mine.txt"} {
		filetest.Write(t, filepath.Join(dir, f), []byte("x"))
	}
	err := ClearRun(dir)
	if err == nil {
		t.Fatal("ClearRun removed final/ although it holds notes.txt")
	}
	for _, keep := range []string{"final/notes.txt", "mine.txt"} {
		if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s: %v; a file train did not write must stay", keep, err)
		}
	}
	for _, gone := range []string{"model.bin", "metrics.jsonl", "cv.json", "fold-1", "final/model.bin"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); err == nil {
			t.Errorf("%s is still there after --force", gone)
		}
	}
}
