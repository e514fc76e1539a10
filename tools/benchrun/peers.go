package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// peerGenerate compares augsplit generate with tools/peers/generate_cv.py
// (OpenCV + NumPy, a pool of two processes, PNG level 1) at each size, both
// doing perSource variants of every source with the default pipeline. The
// runs alternate, the order flipping every round so that neither always
// follows the other, and the table reports each side's median img/CPU-s
// (user + system time of the whole process tree, from rusage) and the ratio
// of the medians: the machine is shared, and alternation plus medians keep
// the ratio steadier than the absolute figures.
type peerGenerate struct {
	bin, in, python, script, tmp string
	perSource, rounds, workers   int
}

// available reports whether the peer can run, and if not why.
func (p *peerGenerate) available() (bool, string) {
	if _, err := os.Stat(p.script); err != nil {
		return false, err.Error()
	}
	out, err := exec.Command(p.python, "-c", "import cv2, numpy; print(cv2.__version__, numpy.__version__)").CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg != "" {
			msg = ": " + msg
		}
		return false, fmt.Sprintf("%s cannot import cv2 and numpy (%v%s); install Debian's python3-opencv and python3-numpy", p.python, err, msg)
	}
	return true, "OpenCV " + strings.TrimSpace(string(out))
}

type sideRuns struct{ wall, cpu, rss []float64 }

func (s *sideRuns) add(wall, cpu, rss float64) {
	s.wall, s.cpu, s.rss = append(s.wall, wall), append(s.cpu, cpu), append(s.rss, rss)
}

func (p *peerGenerate) run(sizes []string) {
	ok, why := p.available()
	if !ok {
		fmt.Printf("\ngenerate vs OpenCV + NumPy: skipped: %s\n", why)
		return
	}
	images := p.perSource * countSources(p.in)
	fmt.Printf("\ngenerate vs OpenCV + NumPy (%s; %d images per run, grey, rotate reflect101 + flips + noise, PNG speed / level 1, %d workers each; median of %d alternating runs)\n",
		why, images, p.workers, p.rounds)
	fmt.Printf("%-6s %-9s %9s %12s %10s\n", "size", "tool", "img/s", "img/CPU-s", "peak MiB")
	for _, size := range sizes {
		var aug, peer sideRuns
		for r := 0; r < p.rounds; r++ {
			sides := []func(){
				func() { aug.add(p.augsplit(size)) },
				func() { peer.add(p.peer(size)) },
			}
			if r%2 == 1 {
				sides[0], sides[1] = sides[1], sides[0]
			}
			for _, f := range sides {
				f()
			}
		}
		a, o := median(aug.cpu), median(peer.cpu)
		fmt.Printf("%-6s %-9s %9.0f %12.0f %10.1f\n", size, "augsplit", float64(images)/median(aug.wall), float64(images)/a, median(aug.rss))
		fmt.Printf("%-6s %-9s %9.0f %12.0f %10.1f\n", size, "opencv", float64(images)/median(peer.wall), float64(images)/o, median(peer.rss))
		fmt.Printf("%-6s ratio     img/CPU-s augsplit/opencv %.2fx (runs: %s)\n", size, o/a, ratios(peer.cpu, aug.cpu))
	}
}

func (p *peerGenerate) augsplit(size string) (wall, cpu, rss float64) {
	out := filepath.Join(p.tmp, "peer-augsplit-"+size)
	defer os.RemoveAll(out)
	return measure(p.bin, []string{"generate", "--in", p.in, "--out", out, "--size", size,
		"--per-source", strconv.Itoa(p.perSource), "--png-compression", "speed", "--workers", strconv.Itoa(p.workers), "--quiet"})
}

func (p *peerGenerate) peer(size string) (wall, cpu, rss float64) {
	out := filepath.Join(p.tmp, "peer-opencv-"+size)
	defer os.RemoveAll(out)
	return measure(p.python, []string{p.script, "--in", p.in, "--out", out, "--size", size,
		"--per-source", strconv.Itoa(p.perSource), "--workers", strconv.Itoa(p.workers)})
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratios lists the per-round ratios num/den, which show how far the machine's
// load moved them.
func ratios(num, den []float64) string {
	var b strings.Builder
	for i := range num {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%.2f", num[i]/den[i])
	}
	return b.String()
}
