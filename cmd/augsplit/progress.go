package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a bar when stderr is a terminal and a plain line every few
// seconds otherwise (logs and CI), so redirected stderr stays readable.
type progress struct {
	w     io.Writer
	label string
	quiet bool
	tty   bool
	bar   *progressbar.ProgressBar
	last  time.Time
	start time.Time
	done  int
	total int
}

// plainEvery is how often a non-terminal gets a progress line.
const plainEvery = 5 * time.Second

func newProgress(w io.Writer, quiet bool, label string) *progress {
	p := &progress{w: w, label: label, quiet: quiet, start: time.Now(), last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

// update is called from one goroutine with the samples done so far.
func (p *progress) update(done, total int) {
	if p.quiet {
		return
	}
	p.done, p.total = done, total
	if p.tty {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription(p.label),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("img"),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		_ = p.bar.Set(done)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= plainEvery {
		p.last = now
		fmt.Fprintf(p.w, "%s: %d/%d samples (%.0f%%), %.0f img/s\n", p.label, done, total,
			100*float64(done)/float64(max(total, 1)), float64(done)/now.Sub(p.start).Seconds())
	}
}

func (p *progress) finish() {
	if p.quiet || p.total == 0 {
		return
	}
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	el := time.Since(p.start)
	fmt.Fprintf(p.w, "%s: %d/%d samples in %s (%.0f img/s)\n", p.label, p.done, p.total,
		el.Round(100*time.Millisecond), float64(p.done)/max(el.Seconds(), 1e-9))
}
