package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the report as indented JSON (maps in key order, so the
// output is stable).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteText writes the report as tables for a person: counts per class
// and split, the findings, then the details behind each.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	cols := r.Splits
	if len(cols) == 0 {
		cols = []string{"all"}
	}
	fmt.Fprintf(ew, "audit of %s (%s: %d samples, %d classes, splits: %s)\n\n",
		r.Path, r.Kind, r.Samples, len(r.Classes), strings.Join(orNone(r.Splits), ", "))

	rows := [][]string{append([]string{"class"}, cols...)}
	totals := make([]int, len(cols))
	for _, c := range r.Classes {
		row := []string{c}
		for i, s := range cols {
			n := r.Counts[c][s]
			totals[i] += n
			row = append(row, strconv.Itoa(n))
		}
		rows = append(rows, row)
	}
	row := []string{"total"}
	for _, n := range totals {
		row = append(row, strconv.Itoa(n))
	}
	table(ew, append(rows, row), 1)

	fmt.Fprintln(ew)
	if len(r.Checks) > 0 {
		fmt.Fprintf(ew, "checked: %s\n\n", strings.Join(r.Checks, "; "))
	}
	for _, f := range r.Findings {
		fmt.Fprintf(ew, "%-8s  %s\n", strings.ToUpper(f.Severity), f.Message)
	}

	if len(r.ShareSkews) > 0 {
		fmt.Fprintf(ew, "\nclass shares per split (reported when they differ by more than %.2f):\n", r.ShareThreshold)
		rows := [][]string{append(append([]string{"class"}, r.Splits...), "spread")}
		for _, sk := range r.ShareSkews {
			row := []string{sk.Class}
			for _, s := range r.Splits {
				if f, ok := sk.Shares[s]; ok {
					row = append(row, fmt.Sprintf("%.3f", f))
				} else {
					row = append(row, "-")
				}
			}
			rows = append(rows, append(row, fmt.Sprintf("%.3f", sk.Spread)))
		}
		table(ew, rows, 1)
	}
	writePairs(ew, "exact duplicates across splits", "=", r.ExactDuplicates, false)
	writePairs(ew, fmt.Sprintf("near-duplicates across splits (within %d bits)", r.Hamming), "~", r.NearDuplicates, true)

	if len(r.Straddles) > 0 {
		fmt.Fprintln(ew, "\nsources with samples in more than one split:")
		rows := [][]string{append(append([]string{"class", "source"}, r.Splits...), "status")}
		for _, st := range r.Straddles {
			row := []string{st.Class, st.Source}
			for _, s := range r.Splits {
				row = append(row, strconv.Itoa(st.Splits[s]))
			}
			status := "LEAK"
			if st.Expected {
				status = "expected: card split_level variant"
			}
			rows = append(rows, append(row, status))
		}
		table(ew, rows, 2, 1)
	}

	if k := r.Keras; k != nil {
		fmt.Fprintf(ew, "\nKeras fit(validation_split=%g) over %s, %d samples in %s:\n", k.Fraction, k.Over, k.Samples, k.Order)
		fmt.Fprintf(ew, "  training   first %d samples\n", k.TrainSamples)
		fmt.Fprintf(ew, "  validation last %d samples: %s\n", k.ValSamples, classCounts(k.ValClasses))
		fmt.Fprintf(ew, "  missing from training:   %s\n", strings.Join(orNone(k.MissingFromTrain), ", "))
		fmt.Fprintf(ew, "  missing from validation: %s\n", strings.Join(orNone(k.MissingFromVal), ", "))
		fmt.Fprintf(ew, "  what to do: %s\n", k.Advice)
	}

	if r.Clean() {
		fmt.Fprintln(ew, "\nclean: no problems found")
	} else {
		fmt.Fprintf(ew, "\n%s found\n", count(r.Problems, "problem", "problems"))
	}
	if ew.err != nil {
		return fmt.Errorf("write report: %w", ew.err)
	}
	return nil
}

func writePairs(w io.Writer, title, sym string, pl PairList, dist bool) {
	if pl.Total == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s: %s", title, count(pl.Total, "pair", "pairs"))
	if len(pl.Pairs) < pl.Total {
		fmt.Fprintf(w, ", first %d", len(pl.Pairs))
	}
	fmt.Fprintln(w, ":")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range pl.Pairs {
		fmt.Fprintf(tw, "  %s\t%s\t%s", p.A.Path, sym, p.B.Path)
		if dist {
			fmt.Fprintf(tw, "\t(%d bits)", p.Distance)
		}
		if p.A.Class != p.B.Class {
			fmt.Fprintf(tw, "\tlabels differ: %s / %s", p.A.Class, p.B.Class)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// table writes rows as aligned columns, two spaces apart: the first left
// columns left-aligned (names), the last right columns too (statuses),
// the ones between right-aligned (numbers).
func table(w io.Writer, rows [][]string, left int, right ...int) {
	width := map[int]int{}
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len(cell))
		}
	}
	tail := 0
	if len(right) > 0 {
		tail = right[0]
	}
	for _, row := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, cell := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len(cell))
			if i < left || i >= len(row)-tail {
				b.WriteString(cell)
				if i < len(row)-1 {
					b.WriteString(pad)
				}
			} else {
				b.WriteString(pad + cell)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"none"}
	}
	return s
}

// errWriter keeps the first write error so the report code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
