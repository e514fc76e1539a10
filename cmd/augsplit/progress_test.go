package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressBarOnlyOnCapableTerminals(t *testing.T) {
	for _, tc := range []struct {
		tty  bool
		term string
		want bool
	}{{true, "xterm-256color", true}, {true, "", true}, {true, "dumb", false}, {false, "xterm", false}} {
		if got := drawsBar(tc.tty, tc.term); got != tc.want {
			t.Errorf("terminal %v, TERM=%q: bar %v, want %v", tc.tty, tc.term, got, tc.want)
		}
	}
	if canDrawBar(new(bytes.Buffer), "xterm") {
		t.Error("a buffer got a bar")
	}
}

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// TestProgressPlainLinesAndSaneRate: without a bar, a line every few
// seconds; no rate before a second has passed, so the first reading is
// never 473261 img/s.
func TestProgressPlainLinesAndSaneRate(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	var out bytes.Buffer
	p := newProgressFor(&out, false, "generate", false, clock.now)
	clock.advance(2 * time.Millisecond)
	p.update(5, 1000)
	if got := p.rate(clock.now()); got != "" {
		t.Errorf("rate after 2 ms: %q, want none yet", got)
	}
	if out.Len() != 0 {
		t.Errorf("a line after 2 ms: %q", out.String())
	}
	clock.advance(5 * time.Second)
	p.update(100, 1000)
	if want := "generate: 100/1000 samples (10%), 20 img/s, 45s left\n"; out.String() != want {
		t.Errorf("first line %q, want %q", out.String(), want)
	}
	clock.advance(time.Second)
	p.update(120, 1000) // within plainEvery of the last line: quiet
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d lines within 5 s, want 1:\n%s", n, out.String())
	}
	p.update(1000, 1000)
	p.finish()
	if !strings.HasSuffix(out.String(), "generate: 1000/1000 samples in 6s (167 img/s)\n") {
		t.Errorf("last line: %q", out.String())
	}

	// A run shorter than a second ends without a rate.
	out.Reset()
	q := newProgressFor(&out, false, "split", false, clock.now)
	clock.advance(300 * time.Millisecond)
	q.update(7, 7)
	q.finish()
	if got := out.String(); got != "split: 7/7 samples in 300ms\n" {
		t.Errorf("short run: %q", got)
	}
	// --quiet: nothing.
	out.Reset()
	r := newProgressFor(&out, true, "split", false, clock.now)
	clock.advance(10 * time.Second)
	r.update(1, 2)
	r.finish()
	if out.Len() != 0 {
		t.Errorf("quiet wrote %q", out.String())
	}
}

// TestProgressBarWaitsForItsRate: the bar draws (to a buffer here) with
// no rate in its first second.
func TestProgressBarWaitsForItsRate(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	var out bytes.Buffer
	p := newProgressFor(&out, false, "generate", true, clock.now)
	p.throttle = 0 // draw every update
	clock.advance(time.Millisecond)
	p.update(3, 3000)
	if strings.Contains(out.String(), "img/s") || !strings.Contains(out.String(), "generate") {
		t.Errorf("bar in its first millisecond: %q", out.String())
	}
	clock.advance(2 * time.Second)
	p.update(1500, 3000)
	if !strings.Contains(out.String(), "generate (750 img/s, 2s left)") {
		t.Errorf("bar after 2 s: %q", out.String())
	}
}

// TestProgressBarDraws: one line redrawn in place (\r), at most once per
// throttle, never wider than the terminal, cleared before the summary.
func TestProgressBarDraws(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	var out bytes.Buffer
	p := newProgressFor(&out, false, "generate", true, clock.now)
	p.width = 60
	clock.advance(200 * time.Millisecond)
	p.update(250, 1000)
	if want := "\rgenerate  25% |" + strings.Repeat("█", 8) + strings.Repeat(" ", 24) + "| (250/1000)"; out.String() != want {
		t.Errorf("first draw %q, want %q", out.String(), want)
	}
	clock.advance(10 * time.Millisecond)
	p.update(260, 1000) // within the throttle: not drawn
	if n := strings.Count(out.String(), "\r"); n != 1 {
		t.Errorf("%d draws within the throttle, want 1", n)
	}
	clock.advance(2 * time.Second)
	p.update(1000, 1000)
	for _, line := range strings.Split(out.String(), "\r")[1:] {
		if n := len([]rune(line)); n > p.width-1 {
			t.Errorf("a line of %d columns on a %d-column terminal: %q", n, p.width, line)
		}
	}
	if !strings.Contains(out.String(), "generate (452 img/s) 100% |"+strings.Repeat("█", 19)+"| (1000/1000)") {
		t.Errorf("last draw: %q", out.String())
	}
	out.Reset()
	p.finish()
	if want := "\r" + strings.Repeat(" ", 59) + "\rgenerate: 1000/1000 samples in 2.2s (452 img/s)\n"; out.String() != want {
		t.Errorf("finish %q, want %q", out.String(), want)
	}

	// A narrow terminal: the bar gives way, the line is cut.
	out.Reset()
	q := newProgressFor(&out, false, "generate", true, clock.now)
	q.width = 20
	q.update(1, 1000)
	if got := strings.TrimPrefix(out.String(), "\r"); len([]rune(got)) != 19 {
		t.Errorf("narrow terminal: %q", got)
	}
}
