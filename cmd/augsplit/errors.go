package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageError marks a mistake in how augsplit was called, or an input a
// check command cannot read: exit code 2. err, if set, is the cause; help,
// if set, is the command whose --help main points to.
type usageError struct {
	msg  string
	err  error
	help string
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errSilent is returned when the command already explained itself on
// stderr/stdout (a verify or audit that found problems): exit 1, no extra line.
var errSilent = errors.New("problems found")

// exit2 marks err for exit code 2, because for a check command exit 1
// already means "the check found a problem" and a script must tell the two
// apart; a cancellation keeps its own code (130/143).
func exit2(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &usageError{msg: err.Error(), err: err}
}

// noArgs refuses positional arguments, as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{msg: fmt.Sprintf("%s: unexpected argument %q", cmd.Name(), args[0]), help: cmd.CommandPath()}
	}
	return nil
}

// exactlyOne wants one positional argument, described by what.
func exactlyOne(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return &usageError{msg: fmt.Sprintf("%s: want exactly one %s, got %d arguments", cmd.Name(), what, len(args)), help: cmd.CommandPath()}
		}
		return nil
	}
}

// longForm rewrites Go-style single-dash long flags (-in DIR, -seed=3),
// which augsplit accepted before it moved to pflag, to their double-dash
// form, so scripts keep working. Only names of the command's own long
// flags are rewritten, never a flag's value, and nothing after "--".
func longForm(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	cmd.InitDefaultHelpFlag()
	cmd.InitDefaultVersionFlag()
	fs := cmd.Flags()
	out := make([]string, len(args))
	takesValue := false // the previous argument is a flag waiting for its value
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		if takesValue {
			takesValue = false
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || len(name) < 2 {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if !strings.HasPrefix(a, "--") {
			out[i] = "-" + a
		}
		takesValue = !hasValue && f.NoOptDefVal == ""
	}
	return out
}

// signalled records which signal cancelled the context, for the exit code.
var signalled = make(chan os.Signal, 1)

func signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signalled <- s
			cancel()
			// A second signal means "now": do not wait for clean-up.
			<-ch
			os.Exit(exitForSignal(s))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func exitForSignal(s os.Signal) int {
	if s == syscall.SIGTERM {
		return 143
	}
	return 130
}

// exitCode maps an error to the exit codes scripts rely on:
// 0 ok, 1 failure or problems found, 2 usage, 130 SIGINT, 143 SIGTERM.
func exitCode(ctx context.Context, err error) int {
	select {
	case s := <-signalled:
		return exitForSignal(s)
	default:
	}
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return 130
	default:
		return 1
	}
}
