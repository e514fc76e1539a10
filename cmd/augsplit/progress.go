package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress shows a bar when stderr is a terminal that can draw one, and a
// plain line every few seconds otherwise (logs, CI, TERM=dumb), so
// redirected stderr stays readable. A rate (and the time left) is shown
// only once rateAfter has passed: over the first milliseconds a handful
// of samples reads as hundreds of thousands per second.
//
// The bar is drawn here rather than by a library: the one used before
// (schollz/progressbar) imports net/http for a feature augsplit never
// used, which put net/http, crypto/tls and crypto/x509 (67 packages, about
// a fifth of a cold build's compile CPU time: 40 of 209 s) into every build.
type progress struct {
	w     io.Writer
	label string
	quiet bool
	bar   bool
	now   func() time.Time
	// throttle is the bar's least time between redraws.
	throttle time.Duration
	// width is the terminal's width in columns.
	width int

	start     time.Time
	last      time.Time // last plain line
	drawn     time.Time // last time the bar was drawn
	described time.Time // last time the bar's rate text was set
	desc      string    // label and, once it means something, the rate
	shown     int       // columns of the bar on screen, for clearing it
	done      int
	total     int
}

const (
	// plainEvery is how often a non-terminal gets a progress line.
	plainEvery = 5 * time.Second
	// rateAfter is how long a run goes before its rate means something.
	rateAfter = time.Second
	// describeEvery is how often the bar's rate text is refreshed.
	describeEvery = 250 * time.Millisecond
)

func newProgress(w io.Writer, quiet bool, label string) *progress {
	// Progress names no paths; it needs the terminal itself, to draw.
	if nw, ok := w.(*namesWriter); ok {
		w = nw.w
	}
	p := newProgressFor(w, quiet, label, canDrawBar(w, os.Getenv("TERM")), time.Now)
	if f, ok := w.(*os.File); ok && p.bar {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			p.width = cols
		}
	}
	return p
}

// canDrawBar reports whether w is a terminal that can draw a bar.
func canDrawBar(w io.Writer, termName string) bool {
	f, ok := w.(*os.File)
	return drawsBar(ok && term.IsTerminal(int(f.Fd())), termName)
}

// drawsBar: a bar needs a terminal, and one that moves the cursor
// (TERM=dumb, as in Emacs shells and some CI runners, does not).
func drawsBar(tty bool, termName string) bool {
	return tty && termName != "dumb"
}

func newProgressFor(w io.Writer, quiet bool, label string, bar bool, now func() time.Time) *progress {
	t := now()
	return &progress{w: w, label: label, quiet: quiet, bar: bar, now: now, throttle: 100 * time.Millisecond,
		width: 80, desc: label, start: t, last: t}
}

// rate is "1234 img/s, 5s left" once rateAfter has passed, else "".
func (p *progress) rate(t time.Time) string {
	el := t.Sub(p.start)
	if el < rateAfter || p.done == 0 {
		return ""
	}
	r := float64(p.done) / el.Seconds()
	s := fmt.Sprintf("%.0f img/s", r)
	if left := p.total - p.done; left > 0 {
		s += fmt.Sprintf(", %s left", (time.Duration(float64(left) / r * float64(time.Second))).Round(time.Second))
	}
	return s
}

// update is called from one goroutine with the samples done so far.
func (p *progress) update(done, total int) {
	if p.quiet {
		return
	}
	p.done, p.total = done, total
	t := p.now()
	if p.bar {
		if t.Sub(p.described) >= describeEvery {
			p.described = t
			if r := p.rate(t); r != "" {
				p.desc = p.label + " (" + r + ")"
			}
		}
		if t.Sub(p.drawn) >= p.throttle || done == total {
			p.drawn = t
			p.draw()
		}
		return
	}
	if t.Sub(p.last) >= plainEvery {
		p.last = t
		line := fmt.Sprintf("%s: %d/%d samples (%.0f%%)", p.label, done, total, 100*float64(done)/float64(max(total, 1)))
		if r := p.rate(t); r != "" {
			line += ", " + r
		}
		fmt.Fprintln(p.w, line)
	}
}

func (p *progress) finish() {
	if p.quiet || p.total == 0 {
		return
	}
	if p.shown > 0 {
		// Clear the bar: the summary line replaces it.
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.shown))
		p.shown = 0
	}
	el := p.now().Sub(p.start)
	line := fmt.Sprintf("%s: %d/%d samples in %s", p.label, p.done, p.total, el.Round(100*time.Millisecond))
	if el >= rateAfter {
		line += fmt.Sprintf(" (%.0f img/s)", float64(p.done)/el.Seconds())
	}
	fmt.Fprintln(p.w, line)
}

// draw redraws the bar in place: "label (rate)  42% |####      | (420/1000)",
// cut to the terminal's width so it never wraps onto a second line.
func (p *progress) draw() {
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 1)
	}
	head := fmt.Sprintf("%s %3.0f%% |", p.desc, 100*frac)
	tail := fmt.Sprintf("| (%d/%d)", p.done, p.total)
	cells := min(40, p.width-1-len(head)-len(tail))
	line := head + tail
	if cells >= 10 {
		full := int(frac * float64(cells))
		line = head + strings.Repeat("█", full) + strings.Repeat(" ", cells-full) + tail
	}
	if n := len([]rune(line)); n > p.width-1 {
		line = string([]rune(line)[:max(p.width-1, 0)])
	}
	pad := ""
	if n := len([]rune(line)); n < p.shown {
		pad = strings.Repeat(" ", p.shown-n) // a shorter line must not leave the end of the last one
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.shown = max(len([]rune(line)), p.shown)
}
