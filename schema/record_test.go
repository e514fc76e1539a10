package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the files in testdata/ from their generators")

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestReadManifestErrors(t *testing.T) {
	t.Parallel()
	good := `{"id":"a_1","split":"train","class":"a","class_index":0,"params":[],"path":"train/a/a_1.png","sha256":"` + strings.Repeat("0", 64) + `"}`
	tests := []struct {
		name     string
		text     string
		wantLine int
		wantMsg  string
	}{
		{"bad json on line 2", good + "\n{\"id\": \n", 2, "not a JSON record"},
		{"path escapes OUT", strings.Replace(good, "train/a/", "../../", 1), 1, "path"},
		{"absolute path", strings.Replace(good, "train/a/", "/etc/", 1), 1, "path"},
		{"backslash path", strings.Replace(good, "train/a/", `train\\a\\`, 1), 1, "path"},
		{"unknown split", good + "\n" + strings.Replace(good, `"train"`, `"holdout"`, 1), 2, "split"},
		{"id with a dot", strings.Replace(good, `"a_1"`, `"a.1"`, 1), 1, "id"},
		{"class with a separator", strings.Replace(good, `"class":"a"`, `"class":"a/b"`, 1), 1, "class"},
		{"class with an ideographic space", strings.Replace(good, `"class":"a"`, `"class":"細\u3000胞"`, 1), 1, "class"},
		{"id with a full-width dot", strings.Replace(good, `"a_1"`, `"a\uff0e1"`, 1), 1, "id"},
		{"class not UTF-8", strings.Replace(good, `"class":"a"`, "\"class\":\"a\xff\"", 1), 1, "class"},
		{"short sha256", strings.Replace(good, strings.Repeat("0", 64), "00", 1), 1, "sha256"},
		{"text after the record", good + ` {}`, 1, "after"},
		{"empty line", good + "\n\n" + good, 2, "empty"},
		{"line too long", good + "\n" + strings.Repeat(" ", MaxManifestLine+1) + "\n", 2, "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ReadManifest(strings.NewReader(tc.text), "m.jsonl", func(int, Record) error { return nil })
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want *ManifestError", err)
			}
			if me.Line != tc.wantLine || me.Path != "m.jsonl" || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %v (line %d), want line %d mentioning %q", err, me.Line, tc.wantLine, tc.wantMsg)
			}
		})
	}
	n := 0
	if err := ReadManifest(strings.NewReader(good+"\n"+good), "m", func(int, Record) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("two good lines: %d records, err %v", n, err)
	}
}

// Names SanitizeName makes of any script are read back.
func TestParseRecordUnicodeNames(t *testing.T) {
	t.Parallel()
	line := `{"id":"細胞_ünïcødé_0001","split":"train","class":"細胞","class_index":0,"params":[],` +
		`"path":"train/細胞/細胞_ünïcødé_0001.png","sha256":"` + strings.Repeat("0", 64) + `"}`
	rec, err := ParseRecord([]byte(line))
	if err != nil || rec.Class != "細胞" || rec.ID != "細胞_ünïcødé_0001" {
		t.Errorf("ParseRecord = %+v, %v; want the Unicode class and id accepted", rec, err)
	}
}

// Seed corpora live in testdata/fuzz/<target>/ (made by fuzzSeeds);
// `go test -fuzz FuzzManifest ./schema/` explores from them.

func FuzzManifest(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		err := ReadManifest(bytes.NewReader(data), "m.jsonl", func(line int, rec Record) error {
			if rec.Path != "" && !ValidPath(rec.Path) {
				t.Fatalf("line %d: unsafe path %q accepted", line, rec.Path)
			}
			// What was accepted must survive a round trip.
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatalf("line %d: marshal: %v", line, err)
			}
			if _, err := ParseRecord(b); err != nil {
				t.Fatalf("line %d: accepted, but not after a round trip: %v", line, err)
			}
			return nil
		})
		var me *ManifestError
		if err != nil && !errors.As(err, &me) {
			t.Fatalf("error of type %T: %v", err, err)
		}
	})
}

// fuzzSeeds are the seed corpus of FuzzManifest, generated so that anyone
// can see how each was made and remake it with -update.
func fuzzSeeds() map[string][]byte {
	files := map[string][]byte{}
	seed := func(target, name string, data []byte) {
		files[filepath.Join("fuzz", target, name)] = []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data))
	}
	rec := `{"id":"a_src-0001","split":"train","class":"a","class_index":0,"source":"a/src.png","source_sha256":"` +
		sha([]byte("s")) + `","variant":1,"params":[{"name":"rotate","params":{"angle":12.5}}],"width":4,"height":3,` +
		`"channels":1,"bit_depth":8,"path":"train/a/a_src-0001.png","sha256":"` + sha([]byte("p")) + `"}`
	seed("FuzzManifest", "two-lines", []byte(rec+"\n"+rec+"\n"))
	seed("FuzzManifest", "escape-path", bytes.Replace([]byte(rec), []byte("train/a/"), []byte("../../"), 1))
	seed("FuzzManifest", "not-json", []byte("{\"id\": \n"))

	return files
}

// TestTestdataUpToDate keeps testdata/ equal to its generators; run with
// -update to rewrite it.
func TestTestdataUpToDate(t *testing.T) {
	for name, want := range fuzzSeeds() {
		p := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v (run go test -run TestTestdataUpToDate -update)", p, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from its generator (run go test -run TestTestdataUpToDate -update)", p)
		}
	}
}
