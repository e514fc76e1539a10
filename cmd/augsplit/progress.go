package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a bar when stderr is a terminal that can draw one, and a
// plain line every few seconds otherwise (logs, CI, TERM=dumb), so
// redirected stderr stays readable. A rate (and the time left) is shown
// only once rateAfter has passed: over the first milliseconds a handful
// of samples reads as hundreds of thousands per second.
type progress struct {
	w     io.Writer
	label string
	quiet bool
	bar   bool
	now   func() time.Time
	// throttle is the bar's least time between redraws (progressbar
	// measures it on the real clock).
	throttle time.Duration

	pb        *progressbar.ProgressBar
	start     time.Time
	last      time.Time // last plain line
	described time.Time // last time the bar's description was set
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
	return newProgressFor(w, quiet, label, canDrawBar(w, os.Getenv("TERM")), time.Now)
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
	return &progress{w: w, label: label, quiet: quiet, bar: bar, now: now, throttle: 100 * time.Millisecond, start: t, last: t}
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
		if p.pb == nil {
			p.pb = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription(p.label),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(false), // ours waits for rateAfter
				progressbar.OptionThrottle(p.throttle),
				progressbar.OptionClearOnFinish(),
			)
		}
		if t.Sub(p.described) >= describeEvery {
			p.described = t
			if r := p.rate(t); r != "" {
				p.pb.Describe(p.label + " (" + r + ")")
			}
		}
		_ = p.pb.Set(done)
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
	if p.pb != nil {
		_ = p.pb.Finish()
	}
	el := p.now().Sub(p.start)
	line := fmt.Sprintf("%s: %d/%d samples in %s", p.label, p.done, p.total, el.Round(100*time.Millisecond))
	if el >= rateAfter {
		line += fmt.Sprintf(" (%.0f img/s)", float64(p.done)/el.Seconds())
	}
	fmt.Fprintln(p.w, line)
}
