package schema

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// goodCard is a consistent card: Check finds nothing.
func goodCard() *Card {
	return &Card{
		Tool: "augsplit", Classes: []string{"a", "b"}, Splits: []string{Train, Val},
		Counts:     map[string]map[string]int{"a": {Train: 3, Val: 1}, "b": {Train: 2, Val: 1}},
		SplitLevel: map[string]string{"a": LevelSource, "b": LevelVariant},
		Total:      7,
		Sources:    []Source{{Path: "a/x.png", Class: "a", Split: Train}, {Path: "b/y.png", Class: "b"}},
		Formats:    []string{FormatFolder, FormatTFRecord},
	}
}

func TestCardCheck(t *testing.T) {
	t.Parallel()
	if p := goodCard().Check(); p != nil {
		t.Fatalf("a consistent card: %q", p)
	}
	tests := []struct {
		name string
		edit func(c *Card)
		want string
	}{
		{"no classes", func(c *Card) { c.Classes = nil; c.Counts = nil; c.SplitLevel = nil; c.Total = 0; c.Sources = nil }, "lists no classes"},
		{"unsorted classes", func(c *Card) { c.Classes = []string{"b", "a"} }, "classes are not sorted"},
		{"class twice", func(c *Card) { c.Classes = []string{"a", "a", "b"} }, `class "a" listed twice`},
		{"class not a safe name", func(c *Card) { c.Classes = []string{"a", "b", "c d"} }, `class "c d": want letters`},
		{"no splits", func(c *Card) { c.Splits = nil }, "lists no splits"},
		{"unknown split", func(c *Card) { c.Splits = []string{Train, "holdout"} }, `unknown split "holdout"`},
		{"splits out of order", func(c *Card) { c.Splits = []string{Val, Train} }, "not in the order train, val, test"},
		{"split twice", func(c *Card) { c.Splits = []string{Train, Train, Val} }, "not in the order train, val, test"},
		{"class missing from a split", func(c *Card) { delete(c.Counts["b"], Val); c.Total-- }, `class "b" has no samples in split "val"`},
		{"counts of an unlisted class", func(c *Card) { c.Counts["z"] = map[string]int{Train: 1}; c.Total++ }, `counts name class "z"`},
		{"counts of an unlisted split", func(c *Card) { c.Counts["a"][Test] = 2; c.Total += 2 }, `counts name split "test"`},
		{"negative count", func(c *Card) { c.Counts["a"][Test] = -1; c.Total-- }, "negative count"},
		{"total off", func(c *Card) { c.Total = 8 }, "counts add up to 7 samples, the card's total is 8"},
		{"class without a split level", func(c *Card) { delete(c.SplitLevel, "b") }, `class "b" has no split_level`},
		{"unknown split level", func(c *Card) { c.SplitLevel["b"] = "group" }, `split_level "group"`},
		{"split level of an unlisted class", func(c *Card) { c.SplitLevel["z"] = LevelSource }, `split_level names class "z"`},
		{"no formats", func(c *Card) { c.Formats = nil }, "lists no formats"},
		{"unknown format", func(c *Card) { c.Formats = []string{"parquet"} }, `unknown format "parquet"`},
		{"format twice", func(c *Card) { c.Formats = []string{FormatFolder, FormatFolder} }, `format "folder" listed twice`},
		{"source of an unlisted class", func(c *Card) { c.Sources[0].Class = "z" }, `source a/x.png has class "z"`},
		{"source in an unlisted split", func(c *Card) { c.Sources[0].Split = Test }, `source a/x.png is in split "test"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := goodCard()
			tt.edit(c)
			p := c.Check()
			if !strings.Contains(strings.Join(p, "\n"), tt.want) {
				t.Errorf("Check = %q, want a problem saying %q", p, tt.want)
			}
		})
	}
}

func TestReadCard(t *testing.T) {
	t.Parallel()
	data, err := SealCard(goodCard())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ReadCard(bytes.NewReader(data), "d/dataset.json")
	if err != nil || c.Total != 7 || len(c.CardSHA256) != 64 {
		t.Fatalf("ReadCard = %+v, %v", c, err)
	}
	if _, err := ReadCard(strings.NewReader("{"), "d/dataset.json"); err == nil || !strings.Contains(err.Error(), "d/dataset.json: not a valid dataset card") {
		t.Errorf("ReadCard of broken JSON = %v, want an error naming the file", err)
	}
}

// The JSON field order of Card and Record is the byte order of every
// dataset.json and manifest line augsplit writes.
func TestFieldOrder(t *testing.T) {
	t.Parallel()
	rec, err := json.Marshal(Record{Params: json.RawMessage("[]")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"","split":"","class":"","class_index":0,"source":"","source_sha256":"","variant":0,"params":[],"width":0,"height":0,"channels":0,"bit_depth":0,"path":"","sha256":""}`
	if string(rec) != want {
		t.Errorf("Record encodes as\n%s\nwant\n%s", rec, want)
	}
	card, err := json.Marshal(Card{Config: json.RawMessage("{}")})
	if err != nil {
		t.Fatal(err)
	}
	want = `{"tool":"","version":"","command":"","seed":0,"config":{},"fingerprint":"","classes":null,"splits":null,"counts":null,"split_level":null,"total":0,"sources":null,"non_images":0,"formats":null,"manifest_sha256":"","card_sha256":""}`
	if string(card) != want {
		t.Errorf("Card encodes as\n%s\nwant\n%s", card, want)
	}
}
