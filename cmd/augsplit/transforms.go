package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/augment"
)

func newTransformsCmd() *cobra.Command {
	var asJSON, markdown bool
	cmd := &cobra.Command{
		Use:   "transforms [--json | --markdown]",
		Short: "list every transform a pipeline can name, with its keys, defaults, ranges and units",
		Long: `Lists the transforms of the pipeline: config (pipeline: in a generate config), each
with what it does and its keys: the default, the valid values and the unit. Every
step also takes p, the probability that it applies (0 to 1, default 1). The list
is read off the parser's own table, so it is exactly what a config accepts.

For affine and color_jitter, whose keys are independent parts, a step that lists
some parts gets only those; a step that lists none gets every default.

--json prints {"step_keys": [KEY], "transforms": [{"name", "about", "keys": [KEY]}]}
where KEY is {"key", "default", "valid", "unit", "part"} ("part" only when true);
--markdown prints the table in the README.`,
		Example: `  augsplit transforms
  augsplit transforms --json | jq '.transforms[] | select(.name == "rotate")'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON && markdown {
				return usagef("transforms: choose one of --json and --markdown")
			}
			w := cmd.OutOrStdout()
			switch {
			case asJSON:
				return writeTransformsJSON(w)
			case markdown:
				_, err := io.WriteString(w, transformsMarkdown())
				return err
			}
			return writeTransformsText(w)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as one JSON object")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the list as the README's Markdown table")
	return cmd
}

func writeTransformsJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		StepKeys   []augment.Key  `json:"step_keys"`
		Transforms []augment.Info `json:"transforms"`
	}{[]augment.Key{augment.ProbabilityKey}, augment.Describe()})
}

func writeTransformsText(w io.Writer) error {
	p := augment.ProbabilityKey
	fmt.Fprintf(w, "Every step: name, and %s (%s: %s, default %s).\n", p.Key, p.Unit, p.Valid, p.Default)
	fmt.Fprintln(w, "Keys marked * are parts: a step that lists some parts gets only those.")
	for _, info := range augment.Describe() {
		fmt.Fprintf(w, "\n%s: %s\n", info.Name, info.About)
		if len(info.Keys) == 0 {
			fmt.Fprintln(w, "  (no keys)")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  key\tdefault\tvalid\tunit")
		for _, k := range info.Keys {
			key := k.Key
			if k.Part {
				key += "*"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", key, k.Default, k.Valid, k.Unit)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// transformsMarkdown is the README's transform table.
func transformsMarkdown() string {
	var b strings.Builder
	b.WriteString("| transform | what it does | key | default | valid | unit |\n|---|---|---|---|---|---|\n")
	for _, info := range augment.Describe() {
		first := "`" + info.Name + "`"
		about := info.About
		if len(info.Keys) == 0 {
			fmt.Fprintf(&b, "| %s | %s | | | | |\n", first, about)
			continue
		}
		for _, k := range info.Keys {
			key := "`" + k.Key + "`"
			if k.Part {
				key += " (part)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s | %s |\n", first, about, key, k.Default, k.Valid, k.Unit)
			first, about = "", ""
		}
	}
	return b.String()
}
