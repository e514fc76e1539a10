package main

import (
	"strings"
	"testing"
)

func TestSeedBugCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	data := t.TempDir()
	// Five classes of equal size: the last 20% of the class-ordered list is
	// exactly the last class (sorted: vbar).
	writeImageFolder(t, data, map[string]int{"train": 8, "val": 2}, trainClasses)
	out, errOut, code := runTrainCLI("seed-bug", "--data", data, "--epochs", "2", "--blocks", "2", "--dense", "8")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "1 (vbar)") || !strings.Contains(out, "val_accuracy") {
		t.Errorf("side by side output does not name the unseen class:\n%s", out)
	}
	if !strings.Contains(out, "keras-last20 validates on classes it never trained on: vbar") {
		t.Errorf("missing summary line:\n%s", out)
	}
}
