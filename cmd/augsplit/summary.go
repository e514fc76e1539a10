package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/hub"
	"github.com/augsplit/augsplit/schema"
)

// summaryHelp documents runSummary in generate's and split's help.
const summaryHelp = `--json prints one JSON object on stdout when the run ends, or finds OUT already
up to date (logs and warnings stay on stderr): command, out, up_to_date, total,
classes, splits, counts {class: {split: n}}, split_totals {split: n}, fractions
{split: {asked, actual}} (shares of all samples), split_level {class: "source" or
"variant"}, renamed [{from, to}], skipped [{path, reason}], warnings [text],
formats, fingerprint, card (the path of dataset.json).`

// runSummary is what generate --json and split --json print. Field names
// are a promise to scripts: add, never rename.
type runSummary struct {
	Command     string                    `json:"command"`
	Out         string                    `json:"out"`
	UpToDate    bool                      `json:"up_to_date"`
	Total       int                       `json:"total"`
	Classes     []string                  `json:"classes"`
	Splits      []string                  `json:"splits"`
	Counts      map[string]map[string]int `json:"counts"`
	SplitTotals map[string]int            `json:"split_totals"`
	Fractions   map[string]fraction       `json:"fractions"`
	SplitLevel  map[string]string         `json:"split_level"`
	Renamed     []schema.Renamed          `json:"renamed"`
	Skipped     []schema.Skipped          `json:"skipped"`
	Warnings    []string                  `json:"warnings"`
	Formats     []string                  `json:"formats"`
	Fingerprint string                    `json:"fingerprint"`
	Card        string                    `json:"card"`
}

type fraction struct {
	Asked  float64 `json:"asked"`
	Actual float64 `json:"actual"`
}

// askedShares is the share of samples each split was asked for.
func askedShares(val, test float64) map[string]float64 {
	return map[string]float64{schema.Train: 1 - val - test, schema.Val: val, schema.Test: test}
}

func summarize(card *schema.Card, out string, upToDate bool, asked map[string]float64) runSummary {
	s := runSummary{
		Command: card.Command, Out: out, UpToDate: upToDate, Total: card.Total,
		Classes: orEmpty(card.Classes), Splits: orEmpty(card.Splits), Counts: card.Counts,
		SplitTotals: splitTotals(card), Fractions: map[string]fraction{}, SplitLevel: card.SplitLevel,
		Renamed: orEmpty(card.Renamed), Skipped: orEmpty(card.Skipped), Warnings: orEmpty(card.Warnings),
		Formats: orEmpty(card.Formats), Fingerprint: card.Fingerprint, Card: filepath.Join(out, schema.CardFile),
	}
	if generate.IsURL(out) {
		s.Card = strings.TrimSuffix(out, "/") + "/" + schema.CardFile
	}
	for _, sp := range []string{schema.Train, schema.Val, schema.Test} {
		if asked[sp] == 0 && s.SplitTotals[sp] == 0 {
			continue
		}
		s.Fractions[sp] = fraction{Asked: round4(asked[sp]), Actual: round4(float64(s.SplitTotals[sp]) / float64(max(card.Total, 1)))}
	}
	return s
}

func round4(f float64) float64 {
	return float64(int64(f*1e4+0.5)) / 1e4
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func splitTotals(card *schema.Card) map[string]int {
	totals := map[string]int{}
	for _, sp := range card.Splits {
		totals[sp] = 0
	}
	for _, c := range card.Counts {
		for sp, n := range c {
			totals[sp] += n
		}
	}
	return totals
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printSummary writes the per-class, per-split table that ends a run,
// then each split's share of the samples beside the share asked, and what
// was renamed: nothing that moved is left unsaid.
func printSummary(w io.Writer, card *schema.Card, asked map[string]float64) {
	width := len("class")
	for _, c := range card.Classes {
		width = max(width, len(c))
	}
	fmt.Fprintf(w, "\n%-*s", width, "class")
	for _, s := range card.Splits {
		fmt.Fprintf(w, " %7s", s)
	}
	fmt.Fprintf(w, " %7s  %s\n", "total", "split by")
	totals := splitTotals(card)
	for _, c := range card.Classes {
		fmt.Fprintf(w, "%-*s", width, c)
		sum := 0
		for _, s := range card.Splits {
			n := card.Counts[c][s]
			sum += n
			fmt.Fprintf(w, " %7d", n)
		}
		fmt.Fprintf(w, " %7d  %s\n", sum, card.SplitLevel[c])
	}
	fmt.Fprintf(w, "%-*s", width, "all")
	for _, s := range card.Splits {
		fmt.Fprintf(w, " %7d", totals[s])
	}
	fmt.Fprintf(w, " %7d\n", card.Total)
	fmt.Fprintf(w, "%-*s", width, "share")
	for _, s := range card.Splits {
		fmt.Fprintf(w, " %7.2f", float64(totals[s])/float64(max(card.Total, 1)))
	}
	fmt.Fprintf(w, "\n%-*s", width, "asked")
	for _, s := range card.Splits {
		fmt.Fprintf(w, " %7.2f", asked[s])
	}
	fmt.Fprintln(w)
	if len(card.Renamed) > 0 {
		classes, files := 0, 0
		for _, r := range card.Renamed {
			if strings.Contains(r.From, "/") {
				files++
			} else {
				classes++
			}
		}
		fmt.Fprintf(w, "renamed: %d %s, %d %s (listed above and under \"renamed\" in dataset.json)\n",
			classes, plural(classes, "class", "classes"), files, plural(files, "file", "files"))
	}
	fmt.Fprintln(w)
}

// croissantNote says which of the properties Croissant 1.0 requires
// croissant.json lacks, and the flags that add them. They have no defaults
// (where and by whom the dataset is published is the user's to say, and a
// clock date would give the same command other bytes), so without this a
// user finds out from a validator.
func croissantNote(w io.Writer, m hub.Meta) {
	missing := m.Missing()
	if len(missing) == 0 {
		return
	}
	flags := map[string]string{"url": "--url URL", "creator": "--creator NAME", "datePublished": "--date YYYY-MM-DD"}
	var give []string
	for _, p := range missing {
		give = append(give, flags[p])
	}
	fmt.Fprintf(w, "note: croissant.json has no %s, which Croissant 1.0 requires and its validators report; to publish it, add %s\n",
		strings.Join(missing, ", "), strings.Join(give, " "))
}
