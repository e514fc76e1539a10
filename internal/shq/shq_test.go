package shq_test

import (
	"os/exec"
	"testing"

	"github.com/augsplit/augsplit/internal/shq"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"data":                         "data",
		"s3://b/x":                     "s3://b/x",
		"/tmp/out-1/a_b.c":             "/tmp/out-1/a_b.c",
		"":                             "''",
		"s3://qab/my data ü/x?e=h&r=1": "'s3://qab/my data ü/x?e=h&r=1'",
		"it's":                         `'it'\''s'`,
		"~/x":                          "'~/x'",
		"a$b":                          "'a$b'",
	} {
		if got := shq.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// A quoted word reaches a program as the one argument it was.
func TestQuoteShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{"s3://qab/my data ü/x?endpoint=http://h:9000&region=us-east-1", "it's $HOME `x` \\ \"q\" *", "~", "-n"} {
		out, err := exec.Command(sh, "-c", "printf %s "+shq.Quote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh -c printf %s: %q (%v), want %q", shq.Quote(s), out, err, s)
		}
	}
}
