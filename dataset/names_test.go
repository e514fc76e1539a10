package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var safeNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// checkSafeName is SanitizeName's promise: a non-empty name of letters,
// digits, marks, '-' and '_' (so no dot, separator, space or control
// character), valid UTF-8, at most MaxNameLen bytes, and a fixed point.
func checkSafeName(t *testing.T, in, got string) {
	t.Helper()
	ok := got != "" && utf8.ValidString(got) && len(got) <= MaxNameLen
	for _, r := range got {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || r == '-' || r == '_') {
			ok = false
		}
	}
	if !ok {
		t.Errorf("SanitizeName(%q) = %q: not a safe name of at most %d bytes", in, got, MaxNameLen)
	}
	if again := SanitizeName(got); again != got {
		t.Errorf("SanitizeName(%q) = %q is not a fixed point (again: %q)", in, got, again)
	}
}

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
		// Non-ASCII letters and digits are kept (they were dropped, or
		// the whole name became x_<hash>, before).
		{"Zellen_ä", "Zellen_ä"},
		{"ünïcødé 細胞", "ünïcødé_細胞"},
		{"細胞", "細胞"},
		{"核", "核"},
		{"日本", "日本"},
		{"клетки-٣", "клетки-٣"},
		{"u\u0308ber", "\u00fcber"},      // decomposed ü, as macOS stores names: NFC, as Linux stores them
		{"\u0915\u093c", "\u0915\u093c"}, // ka + nukta: NFC keeps it decomposed (a composition exclusion)
		{"\u0308x", "x"},                 // a mark with nothing to attach to
		{"a\u200fb\u3000c", "a_b_c"},     // bidi control, ideographic space
		{"a\uff0eb\u2024c", "a_b_c"},     // full-width and one-dot-leader dots
		{"a\xffb", "a_b"},                // invalid UTF-8
		{"img.final.png", "img_final_png"},
		{"..", ""},
		{".", ""},
		{"", ""},
		{"\xff\xfe", ""},
		{strings.Repeat("long", 100), ""},
		{strings.Repeat("細", 40), ""}, // 120 bytes: cut on a rune boundary
		{strings.Repeat("x", 62) + "細胞", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := SanitizeName(tc.in)
			if tc.want != "" && got != tc.want {
				t.Errorf("SanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			checkSafeName(t, tc.in, got)
		})
	}
	if a, b := SanitizeName(strings.Repeat("x", 70)+"1"), SanitizeName(strings.Repeat("x", 70)+"2"); a == b {
		t.Errorf("two long names cut to the same %q", a)
	}
	if a, b := SanitizeName(".."), SanitizeName("..."); a == b {
		t.Errorf("two empty-after-sanitising names both became %q", a)
	}
	if a, b := SanitizeName(strings.Repeat("細", 40)+"1"), SanitizeName(strings.Repeat("細", 40)+"2"); a == b {
		t.Errorf("two long Unicode names cut to the same %q", a)
	}
}

// sanitizeASCII is the old SanitizeName, still what Scan uses by default.
func TestSanitizeASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a b", "a_b"},
		{"Zellen_ä", "Zellen"},
		{"日本", ""},
		{"ünïcødé 細胞", "n_c_d"},
		{strings.Repeat("long", 100), ""},
	}
	for _, tc := range tests {
		got := sanitizeASCII(tc.in)
		if tc.want != "" && got != tc.want {
			t.Errorf("sanitizeASCII(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !safeNameRE.MatchString(got) || len(got) > MaxNameLen || sanitizeASCII(got) != got {
			t.Errorf("sanitizeASCII(%q) = %q: not a safe ASCII fixed point", tc.in, got)
		}
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"a b", "ünïcødé 細胞", "u\u0308", "\xff", "..", strings.Repeat("細", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSafeName(t, s, SanitizeName(s))
		if a := sanitizeASCII(s); !safeNameRE.MatchString(a) || len(a) > MaxNameLen || sanitizeASCII(a) != a {
			t.Errorf("sanitizeASCII(%q) = %q: not a safe ASCII fixed point", s, a)
		}
	})
}

func identity(s string) string { return s }

func TestUniqueNames(t *testing.T) {
	keys := []string{"a b", "a_b", "a.b", "Cat", "cat", "dog", "x y", "x-y z"}
	got := uniqueNames(keys, identity, SanitizeName)
	// Names that need no change keep them, even when a changed name
	// collides with them ("a_b" was renamed a_b_<hash> before); two
	// unchanged names differing only in case cannot both stay.
	for k, want := range map[string]string{"dog": "dog", "a_b": "a_b", "x y": "x_y", "x-y z": "x-y_z"} {
		if got[k] != want {
			t.Errorf("%q = %q, want %q", k, got[k], want)
		}
	}
	for _, k := range []string{"a b", "a.b", "Cat", "cat"} {
		if !strings.HasPrefix(strings.ToLower(got[k]), strings.ToLower(SanitizeName(k))+"_") {
			t.Errorf("%q = %q, want %s_<hash>", k, got[k], SanitizeName(k))
		}
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
	rev := slices.Clone(keys)
	slices.Reverse(rev)
	again := uniqueNames(rev, identity, SanitizeName)
	for _, k := range keys {
		if again[k] != got[k] {
			t.Errorf("%q: %q in one order, %q in another", k, got[k], again[k])
		}
	}
}

// A changed name whose hashed form is already somebody's unchanged name
// gets another hash rather than taking it.
func TestUniqueNamesHashTaken(t *testing.T) {
	first := uniqueNames([]string{"a b", "a_b"}, identity, SanitizeName)["a b"]
	got := uniqueNames([]string{"a b", "a_b", first}, identity, SanitizeName)
	if got[first] != first || got["a b"] == first || got["a_b"] != "a_b" {
		t.Errorf("got %v: %q must keep its name and \"a b\" get another", got, first)
	}
}

// Unicode names that collide case-insensitively (Ä/ä) are told apart too.
func TestUniqueNamesUnicodeCase(t *testing.T) {
	got := uniqueNames([]string{"Äpfel", "äpfel", "細胞", "細 胞"}, identity, SanitizeName)
	if strings.EqualFold(got["Äpfel"], got["äpfel"]) {
		t.Errorf("Äpfel and äpfel both map to %q", got["Äpfel"])
	}
	if got["細胞"] != "細胞" || got["細 胞"] != "細_胞" {
		t.Errorf("got %v", got)
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
