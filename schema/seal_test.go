package schema

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestCardSeal(t *testing.T) {
	t.Parallel()
	card := &Card{Tool: "augsplit", Seed: 1, Classes: []string{"a", "b"},
		SplitLevel: map[string]string{"a": "variant", "b": "source"}, Config: json.RawMessage(`{"seed":1}`)}
	data, err := SealCard(card)
	if err != nil {
		t.Fatal(err)
	}
	if msg := CheckCardSeal(data); msg != "" {
		t.Fatalf("fresh card: %s", msg)
	}
	var back Card
	if err := json.Unmarshal(data, &back); err != nil || back.CardSHA256 != card.CardSHA256 || len(back.CardSHA256) != 64 {
		t.Fatalf("card_sha256 = %q, %v", back.CardSHA256, err)
	}
	for _, tc := range []struct{ name, from, to string }{
		{"seed", `"seed": 1,`, `"seed": 2,`},
		{"split level", `"b": "source"`, `"b": "variant"`},
		{"config", `"seed": 1`, `"seed": 7`},
		{"checksum itself", card.CardSHA256, strings.Repeat("0", 64)},
		{"checksum removed", `"card_sha256"`, `"card_sha255"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			edited := bytes.Replace(data, []byte(tc.from), []byte(tc.to), 1)
			if bytes.Equal(edited, data) {
				t.Fatalf("edit %q -> %q changed nothing", tc.from, tc.to)
			}
			if CheckCardSeal(edited) == "" {
				t.Errorf("edit of the %s not detected", tc.name)
			}
		})
	}
}
