package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// cardSumKey is how the checksum field starts in the card as written.
var cardSumKey = []byte(`"card_sha256": "`)

// SealCard renders the card as written to dataset.json: indented JSON whose
// card_sha256 is the sha256 of the same bytes with that value empty. The
// fingerprint alone would miss an edited split_level or count; the seal
// makes any hand edit visible to verify.
func SealCard(card *Card) ([]byte, error) {
	card.CardSHA256 = ""
	data, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode dataset card: %w", err)
	}
	data = append(data, '\n')
	i := bytes.LastIndex(data, cardSumKey)
	if i < 0 {
		return nil, errors.New("encode dataset card: no card_sha256 field")
	}
	sum := sha256.Sum256(data)
	card.CardSHA256 = hex.EncodeToString(sum[:])
	at := i + len(cardSumKey)
	sealed := make([]byte, 0, len(data)+len(card.CardSHA256))
	sealed = append(sealed, data[:at]...)
	sealed = append(sealed, card.CardSHA256...)
	return append(sealed, data[at:]...), nil
}

// CheckCardSeal reports whether data (a dataset.json as read) still has the
// bytes SealCard wrote. It returns a description of the mismatch, or "".
func CheckCardSeal(data []byte) string {
	i := bytes.LastIndex(data, []byte(`"card_sha256"`))
	if i < 0 {
		return "has no card_sha256 checksum"
	}
	// Find the value's opening quote whatever the spacing, so a card
	// re-encoded by another tool reads as changed, not as unsealed.
	at := i + len(`"card_sha256"`)
	for at < len(data) && (data[at] == ' ' || data[at] == ':' || data[at] == '\t' || data[at] == '\n' || data[at] == '\r') {
		at++
	}
	if at >= len(data) || data[at] != '"' {
		return "has a malformed card_sha256"
	}
	at++
	end := bytes.IndexByte(data[at:], '"')
	if end < 0 {
		return "has a malformed card_sha256"
	}
	want := string(data[at : at+end])
	unsealed := make([]byte, 0, len(data))
	unsealed = append(unsealed, data[:at]...)
	unsealed = append(unsealed, data[at+end:]...)
	sum := sha256.Sum256(unsealed)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Sprintf("was changed after it was written (its sha256 without the checksum is %s..., card_sha256 says %q)", got[:12], shortHex(want))
	}
	return ""
}

func shortHex(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
