package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var safeNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func TestSanitizeName(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means: only check the invariants
	}{
		{"cells", "cells"},
		{"round-cells_2", "round-cells_2"},
		{"a b", "a_b"},
		{"a  . b", "a_b"},
		{"../etc/passwd", "etc_passwd"},
		{`a\b/c`, "a_b_c"},
		{"tab\there\x00nul", "tab_here_nul"},
		{"Zellen_ä", "Zellen"},
		{"img.final.png", "img_final_png"},
		{"..", ""},
		{".", ""},
		{"", ""},
		{"\xff\xfe", ""},
		{"日本", ""},
		{strings.Repeat("long", 100), ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := SanitizeName(tc.in)
			if tc.want != "" && got != tc.want {
				t.Errorf("SanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !safeNameRE.MatchString(got) || len(got) > MaxNameLen {
				t.Errorf("SanitizeName(%q) = %q: not a safe name of at most %d bytes", tc.in, got, MaxNameLen)
			}
			if SanitizeName(got) != got {
				t.Errorf("SanitizeName(%q) = %q is not a fixed point", tc.in, got)
			}
		})
	}
	if a, b := SanitizeName(strings.Repeat("x", 70)+"1"), SanitizeName(strings.Repeat("x", 70)+"2"); a == b {
		t.Errorf("two long names cut to the same %q", a)
	}
	if a, b := SanitizeName(".."), SanitizeName("..."); a == b {
		t.Errorf("two empty-after-sanitising names both became %q", a)
	}
}

func TestUniqueNames(t *testing.T) {
	keys := []string{"a b", "a_b", "a.b", "Cat", "cat", "dog"}
	got := uniqueNames(keys, func(s string) string { return s })
	if got["dog"] != "dog" {
		t.Errorf("dog = %q, want unchanged", got["dog"])
	}
	seen := map[string]string{}
	for _, k := range keys {
		n := strings.ToLower(got[k])
		if prev, dup := seen[n]; dup {
			t.Errorf("%q and %q both map to %q (case-insensitively)", prev, k, got[k])
		}
		seen[n] = k
		if !safeNameRE.MatchString(got[k]) {
			t.Errorf("%q -> %q: not safe", k, got[k])
		}
	}
	// The name of one key does not depend on the order of the others.
	again := uniqueNames([]string{"dog", "cat", "Cat", "a.b", "a_b", "a b"}, func(s string) string { return s })
	for _, k := range keys {
		if again[k] != got[k] {
			t.Errorf("%q: %q in one order, %q in another", k, got[k], again[k])
		}
	}
}

func TestCheckSeparate(t *testing.T) {
	base := t.TempDir()
	in := filepath.Join(base, "in")
	other := filepath.Join(base, "other")
	for _, d := range []string{in, other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(other, "link-to-in")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in, out string
		wantErr string // substring; "" for no error
	}{
		{"separate", in, filepath.Join(base, "out"), ""},
		{"sibling with a common prefix", in, in + "-out", ""},
		{"same", in, in, "same folder"},
		{"out inside in, not yet created", in, filepath.Join(in, "out", "deeper"), "output folder is inside"},
		{"in inside out", in, base, "input folder is inside"},
		{"out inside in through a symlink", in, filepath.Join(link, "out"), "output folder is inside"},
		{"in given through a symlink to out's parent", link, filepath.Join(in, "x"), "output folder is inside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSeparate(tc.in, tc.out)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("CheckSeparate: %v, want nil", err)
				}
				return
			}
			var sp *SamePlaceError
			if !errors.As(err, &sp) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("CheckSeparate = %v, want *SamePlaceError containing %q", err, tc.wantErr)
			}
		})
	}
}
