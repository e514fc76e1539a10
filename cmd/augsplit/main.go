// Command augsplit turns a handful of labelled images into a large, honest,
// reproducible training set, and trains a model on it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/augsplit/augsplit/generate"
)

// command is one subcommand: it parses its own args and returns an error
// whose kind decides the exit code (see exitCode).
type command struct {
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	short string
}

// commands is filled in by each subcommand's file.
var commands = map[string]command{}

func main() {
	ctx, stop := signalContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	code := exitCode(ctx, err)
	switch {
	case code == 130 || code == 143:
		// "context canceled" reads like a bug; say what happened.
		fmt.Fprintln(os.Stderr, "augsplit: interrupted")
	case err != nil && !errors.Is(err, errSilent) && !errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(os.Stderr, "augsplit: %v\n", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	if args[0] == "--version" || args[0] == "version" {
		fmt.Fprintf(stdout, "augsplit %s\n", generate.Version)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return usagef("unknown command %q", args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: augsplit <command> [flags]\n\ncommands:")
	for _, name := range sortedCommandNames() {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].short)
	}
	fmt.Fprintln(w, "\nRun 'augsplit <command> -h' for a command's flags.")
}

// usageError marks a mistake in how augsplit was called, or an input a
// check command cannot read: exit code 2. err, if set, is the cause.
type usageError struct {
	msg string
	err error
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errSilent is returned when the command already explained itself on
// stderr/stdout (a verify or audit that found problems): exit 1, no extra line.
var errSilent = errors.New("problems found")

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
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return 130
	default:
		return 1
	}
}

// newFlagSet returns a flag set that reports errors instead of exiting, so
// run stays testable; its usage text goes to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("augsplit "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, turning a flag mistake into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	return nil
}
