package schema

import (
	"strings"
	"testing"
)

func TestCheckID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"細胞_a_0001",
		"Zellen_ä_0002",
		"u\u0308ber-x",          // decomposed: a combining mark
		"клетка_٣",              // Cyrillic letters, an Arabic-Indic digit
		strings.Repeat("細", 31), // 93 bytes
		strings.Repeat("a", MaxIDLen),
	} {
		if err := CheckID(id); err != nil {
			t.Errorf("CheckID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range []string{
		"a.b", "a/b", `a\b`, "a b", "a\tb", "a\x00b", "a\x7fb", "a\u0085b", "a\u00a0b", "a\u3000b", "a\u3002b", "a\u2028b", "a\u200bb",
		"\xff", "a\xc3", "細\xe7\xb4",
		strings.Repeat("細", 32), // 96 bytes: 32 characters, but over MaxIDLen bytes
		"",
	} {
		if err := CheckID(id); err == nil {
			t.Errorf("CheckID(%q) = nil, want an error", id)
		}
	}
}

func TestValidPath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"train/a/a_1.png", "webdataset/train-000000.tar", "細胞/x.png"} {
		if !ValidPath(p) {
			t.Errorf("ValidPath(%q) = false, want true", p)
		}
	}
	for _, p := range []string{"", ".", "..", "../x", "a/../b", "/etc/x", "a//b", "a/./b", `a\b`, "c:x", "a/\x01b", "a/"} {
		if ValidPath(p) {
			t.Errorf("ValidPath(%q) = true, want false", p)
		}
	}
}

func TestValidExt(t *testing.T) {
	t.Parallel()
	for _, e := range []string{".png", ".jpg", ".tif", ".jp2"} {
		if !ValidExt(e) {
			t.Errorf("ValidExt(%q) = false, want true", e)
		}
	}
	for _, e := range []string{"", ".", "png", ".PNG", ".p/g", ".toolong", "..png"} {
		if ValidExt(e) {
			t.Errorf("ValidExt(%q) = true, want false", e)
		}
	}
}

// The names are the on-disk contract: a change here changes every dataset.
func TestNames(t *testing.T) {
	t.Parallel()
	if got := strings.Join(Splits(), ","); got != "train,val,test" {
		t.Errorf("Splits() = %s", got)
	}
	if got := strings.Join(Formats(), ","); got != "folder,webdataset,tfrecord" {
		t.Errorf("Formats() = %s", got)
	}
	for i, s := range Splits() {
		if !IsSplit(s) || SplitIndex(s) != i {
			t.Errorf("IsSplit(%q) = %v, SplitIndex = %d, want true, %d", s, IsSplit(s), SplitIndex(s), i)
		}
	}
	for _, s := range []string{"", "Train", "validation", "holdout"} {
		if IsSplit(s) || SplitIndex(s) != -1 {
			t.Errorf("IsSplit(%q) = true or SplitIndex = %d", s, SplitIndex(s))
		}
	}
	if IsFormat("parquet") || !IsFormat(FormatTFRecord) || FormatIndex(FormatTFRecord) != 2 || FormatIndex("parquet") != -1 {
		t.Errorf("IsFormat disagrees with Formats")
	}
	if got := SamplePath(Val, "細胞", "細胞_a_0001", ".png"); got != "val/細胞/細胞_a_0001.png" {
		t.Errorf("SamplePath = %q", got)
	}
	if ManifestFile != "manifest.jsonl" || CardFile != "dataset.json" || ClassesFile != "classes.txt" || MarkerFile != ".augsplit-partial" {
		t.Errorf("file names changed: %s %s %s %s", ManifestFile, CardFile, ClassesFile, MarkerFile)
	}
}
