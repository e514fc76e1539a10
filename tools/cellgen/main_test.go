package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/cells"
)

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", nil, "usage"},
		{"extra argument", []string{"-out", t.TempDir(), "extra"}, "usage"},
		{"zero size", []string{"-out", t.TempDir(), "-size", "0"}, "must be positive"},
		{"unknown flag", []string{"-colour", "red"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestRunWritesEveryClass(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"-out", dir, "-size", "24", "-seed", "3"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, class := range cells.Classes() {
		if _, err := os.Stat(filepath.Join(dir, cells.FileName(class))); err != nil {
			t.Errorf("%s: %v", class, err)
		}
	}
}
