package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/internal/safefile"
)

// maxConfigBytes caps a --config file: YAML of a few keys, not megabytes.
const maxConfigBytes = 16 << 20

// applyConfigFile combines defaults, a config file and flags one way, for
// every command with --config: flags set on the command line win over the
// file, the file over the defaults. The flags are bound to the fields of
// the config itself, so after parsing it holds defaults and flags; reset
// puts the defaults back, apply reads the file over them, and the flags
// given are set again from their text.
func applyConfigFile(fs *pflag.FlagSet, file string, reset func(), apply func(name string, data []byte) error) error {
	if file == "" {
		return nil
	}
	// A regular file only, capped: --config /dev/stdin or a FIFO must
	// not block, /dev/zero not read forever.
	data, err := safefile.ReadFile(context.Background(), file, maxConfigBytes)
	if err != nil {
		return usagef("read config: %v", err)
	}
	type given struct{ name, value string }
	var flags []given
	fs.Visit(func(f *pflag.Flag) { flags = append(flags, given{f.Name, f.Value.String()}) })
	reset()
	if err := apply(file, data); err != nil {
		return &usageError{msg: err.Error(), err: err}
	}
	for _, g := range flags {
		if err := fs.Set(g.name, g.value); err != nil {
			return usagef("--%s: %v", g.name, err)
		}
	}
	return nil
}

// sizeValue is --size for generate: N or WxH.
type sizeValue struct{ p *generate.Size }

func (v sizeValue) String() string { return v.p.String() }
func (v sizeValue) Type() string   { return "size" }
func (v sizeValue) Set(s string) error {
	sz, err := generate.ParseSize(s)
	if err != nil {
		return err
	}
	*v.p = sz
	return nil
}

// listValue is a comma-separated list; setting it replaces the list.
type listValue struct{ p *[]string }

func (v listValue) String() string { return strings.Join(*v.p, ",") }
func (v listValue) Type() string   { return "list" }
func (v listValue) Set(s string) error {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	*v.p = out
	return nil
}

// completeWords offers words as a flag's values in shell completion.
func completeWords(cmd *cobra.Command, flag string, words ...string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp))
}
