// Command augsplit turns a handful of labelled images into a large, honest,
// reproducible training set, and trains a model on it.
//
// Each command is built explicitly by a newXxxCmd function in its own file
// (restic's layout): it declares its flags, calls the library and prints.
// Nothing registers itself in init().
package main

import (
	// Bucket URLs (s3://, and gs://, azblob:// with their tags): only the
	// command links the drivers, not the packages it calls.
	_ "github.com/augsplit/augsplit/internal/store/bucket"

	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/internal/store"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	code := exitCode(ctx, err)
	switch {
	case code == 130 || code == 143:
		// "context canceled" reads like a bug; say what happened.
		fmt.Fprintln(os.Stderr, "augsplit: interrupted")
	case err != nil && !errors.Is(err, errSilent):
		fmt.Fprintf(os.Stderr, "augsplit: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) && ue.help != "" {
			fmt.Fprintf(os.Stderr, "Run '%s --help' for usage.\n", ue.help)
		}
	}
	os.Exit(code)
}

// run executes one command line: main and the tests share it. Help and
// data go to stdout, logs to stderr; the error decides the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(longForm(root, args))
	return root.ExecuteContext(ctx)
}

// newRootCmd builds the command tree writing help and data to stdout and
// logs to stderr.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "augsplit",
		Short: "augment, split honestly, write and train on image datasets",
		Long: `augsplit turns a handful of labelled images into a large, honest, reproducible
training set (every class in every split, variants of one source never on both
sides), checks any dataset for leaks, and trains a small CNN on the result.

Exit codes: 0 ok; 1 failure, or a check that found a problem; 2 usage or
configuration error; 130 interrupted (SIGINT); 143 terminated (SIGTERM).`,
		Example: `  augsplit generate --in cells --out data --size 64
  augsplit verify data
  augsplit train --data data --out run
  augsplit help generate`,
		Version:       generate.Version,
		SilenceErrors: true, // main prints the error once, with its exit code
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q", args[0])
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
				}
				return &usageError{msg: msg, help: cmd.CommandPath()}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(cmd.ErrOrStderr(), cmd.UsageString())
			return usagef("no command given")
		},
	}
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		return checkLocations(cmd, args)
	}
	root.SetVersionTemplate("augsplit {{.Version}}\n")
	// cobra would add -v as well; keep -v free (it reads as "verbose").
	root.Flags().Bool("version", false, "print augsplit's version")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{msg: err.Error(), err: err, help: c.CommandPath()}
	})
	root.AddCommand(
		newGenerateCmd(), newSealCmd(), newVerifyCmd(), newSplitCmd(),
		newTrainCmd(), newEvalCmd(), newPredictCmd(), newSeedBugCmd(),
		newAuditCmd(), newPreviewCmd(), newTransformsCmd(), newVersionCmd(),
	)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetHelpCommand(newHelpCmd())
	addCompletionCmd(root)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "print augsplit's version (also --version)",
		Example: "  augsplit version",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "augsplit %s\n", generate.Version)
			return err
		},
	}
}

// newHelpCmd replaces cobra's help command, which prints the general help
// with exit 0 for a command that does not exist.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "print a command's help (also: augsplit COMMAND --help)",
		Example: `  augsplit help
  augsplit help generate`,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, c := range cmd.Root().Commands() {
				if c.IsAvailableCommand() && strings.HasPrefix(c.Name(), prefix) {
					names = append(names, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			target, _, err := root.Find(args)
			if err != nil || (target == root && len(args) > 0) {
				return &usageError{msg: fmt.Sprintf("no help for %q: not a command", strings.Join(args, " ")), help: root.CommandPath()}
			}
			target.InitDefaultHelpFlag() // as -h would, so both print the same
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}

// addCompletionCmd adds cobra's completion command now rather than at
// Execute, to give it and its shells an example and exit-2 argument checks.
func addCompletionCmd(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  augsplit completion bash > /etc/bash_completion.d/augsplit
  augsplit completion zsh > "${fpath[1]}/_augsplit"
  augsplit completion fish > ~/.config/fish/completions/augsplit.fish`
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			var shells []string
			for _, sh := range cmd.Commands() {
				shells = append(shells, sh.Name())
			}
			if len(args) == 0 {
				fmt.Fprint(cmd.ErrOrStderr(), cmd.UsageString())
				return usagef("completion: name a shell (%s)", strings.Join(shells, ", "))
			}
			return &usageError{msg: fmt.Sprintf("completion: unknown shell %q (valid: %s)", args[0], strings.Join(shells, ", ")), help: cmd.CommandPath()}
		}
		for _, sh := range c.Commands() {
			sh.Example = fmt.Sprintf("  augsplit completion %s", sh.Name())
			sh.Args = noArgs
		}
	}
}

// locationFlags are the flags that name a folder, file or URL.
var locationFlags = []string{"in", "out", "data", "holdout", "model"}

// locationArgs are the commands whose arguments name a dataset.
var locationArgs = map[string]bool{"verify": true, "audit": true, "preview": true, "seal": true}

// checkLocations is the one place every command's locations are checked
// before any work: an argument that looks like a URL but is not one augsplit
// opens ("s3:/b/x", "s4://b/x") is exit 2, not a local folder named "s3:"
// or a "no such file".
func checkLocations(cmd *cobra.Command, args []string) error {
	var locs []string
	for _, name := range locationFlags {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			locs = append(locs, f.Value.String())
		}
	}
	if locationArgs[cmd.Name()] {
		locs = append(locs, args...)
	}
	for _, l := range locs {
		if err := store.CheckLocation(l); err != nil {
			return &usageError{msg: err.Error(), err: err}
		}
	}
	return nil
}
