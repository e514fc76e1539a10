package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// trainBench compares `augsplit train` with tools/peers/torch_train.py
// (PyTorch on the CPU, the same model, data, batch and optimizer) at each
// size: both read the same generated dataset and train the same number of
// epochs. The runs alternate, the order flipping every round, and the
// table reports each side's median over rounds, since the machine is shared
// and the ratio of medians moves much less than the absolute figures.
//
// s/epoch is what each process reports for its epochs (training and
// validation; augsplit's also writes curves.png and model.bin), averaged
// over the run's epochs: it leaves out start-up and loading, which favour
// augsplit (importing torch alone takes seconds). The whole-process wall
// time, CPU time and peak RSS (rusage) are printed too.
type trainBench struct {
	bin, in, python, script, tmp string
	epochs, rounds               int
	threads                      []int // PyTorch threads per peer row
}

// trainRuns are one side's measurements at one size, one per round.
type trainRuns struct{ epoch, wall, cpu, rss []float64 }

func (r *trainRuns) add(epoch, wall, cpu, rss float64) {
	r.epoch, r.wall, r.cpu, r.rss = append(r.epoch, epoch), append(r.wall, wall), append(r.cpu, cpu), append(r.rss, rss)
}

// peerAvailable reports whether the PyTorch peer can run, and if not why.
func (t *trainBench) peerAvailable() (string, error) {
	if len(t.threads) == 0 {
		return "", fmt.Errorf("no PyTorch thread counts asked for")
	}
	if _, err := os.Stat(t.script); err != nil {
		return "", err
	}
	out, err := exec.Command(t.python, "-c", "import torch, numpy, PIL; print(torch.__version__)").CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg != "" {
			msg = ": " + msg
		}
		return "", fmt.Errorf("%s cannot import torch, numpy and PIL (%v%s); install Debian's python3-torch, python3-numpy and python3-pil", t.python, err, msg)
	}
	return "PyTorch " + strings.TrimSpace(string(out)), nil
}

func (t *trainBench) run(sizes []string) {
	peer, err := t.peerAvailable()
	if err != nil {
		fmt.Printf("\ntrain vs PyTorch: skipped: %v\n", err)
		t.threads = nil
	}
	fmt.Printf("\ntrain (%d epoch(s) of 2400 train + 600 val images, batch 4; median of %d run(s)", t.epochs, t.rounds)
	if t.threads != nil {
		fmt.Printf(", alternating with %s (%s)", peer, t.script)
	}
	fmt.Printf(")\ns/epoch: training + validation as the process reports it; wall/CPU/peak: the whole process, loading included\n")
	fmt.Printf("%-6s %-12s %9s %9s %9s %10s\n", "size", "tool", "s/epoch", "wall s", "CPU s", "peak MiB")
	for _, size := range sizes {
		data := filepath.Join(t.tmp, "train-"+size)
		measure(t.bin, []string{"generate", "--in", t.in, "--out", data, "--size", size, "--quiet"})
		var aug trainRuns
		peers := make([]trainRuns, len(t.threads))
		for r := range t.rounds {
			sides := []func(){func() { aug.add(t.augsplit(data, size)) }}
			for i, th := range t.threads {
				sides = append(sides, func() { peers[i].add(t.torch(data, th)) })
			}
			if r%2 == 1 {
				slices.Reverse(sides)
			}
			for _, f := range sides {
				f()
			}
		}
		row := func(tool string, r trainRuns) {
			fmt.Printf("%-6s %-12s %9.3f %9.2f %9.2f %10.1f\n", size, tool,
				median(r.epoch), median(r.wall), median(r.cpu), median(r.rss))
		}
		row("augsplit", aug)
		for i, th := range t.threads {
			row(fmt.Sprintf("pytorch-%dt", th), peers[i])
		}
		for i, th := range t.threads {
			p := peers[i]
			fmt.Printf("%-6s ratio pytorch-%dt/augsplit: s/epoch %.2fx (rounds: %s), whole process %.2fx\n", size, th,
				median(p.epoch)/median(aug.epoch), ratios(p.epoch, aug.epoch), median(p.wall)/median(aug.wall))
		}
		os.RemoveAll(data)
	}
}

// augsplit trains once and returns the mean epoch seconds of
// metrics.jsonl and the process's wall, CPU and peak RSS.
func (t *trainBench) augsplit(data, size string) (epoch, wall, cpu, rss float64) {
	out := filepath.Join(t.tmp, "run-"+size)
	defer os.RemoveAll(out)
	wall, cpu, rss, _ = measureOutput(t.bin, []string{"train", "--data", data, "--out", out,
		"--epochs", strconv.Itoa(t.epochs), "--early-patience", "0"})
	b, err := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		fail(err)
	}
	return meanEpochSeconds(b, "augsplit metrics.jsonl"), wall, cpu, rss
}

// torch runs the peer once with th threads.
func (t *trainBench) torch(data string, th int) (epoch, wall, cpu, rss float64) {
	wall, cpu, rss, out := measureOutput(t.python, []string{t.script, "--data", data,
		"--epochs", strconv.Itoa(t.epochs), "--threads", strconv.Itoa(th)})
	return meanEpochSeconds(out, "torch_train.py output"), wall, cpu, rss
}

// meanEpochSeconds averages the "seconds" of the JSON lines that have an
// "epoch".
func meanEpochSeconds(b []byte, what string) float64 {
	var sum float64
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m struct {
			Epoch   int     `json:"epoch"`
			Seconds float64 `json:"seconds"`
		}
		if json.Unmarshal(sc.Bytes(), &m) == nil && m.Epoch > 0 {
			sum += m.Seconds
			n++
		}
	}
	if n == 0 {
		fail(fmt.Errorf("%s: no epoch lines in %q", what, b))
	}
	return sum / float64(n)
}

// measureOutput is measure that also returns the child's stdout.
func measureOutput(bin string, args []string) (wall, cpu, rssMiB float64, stdout []byte) {
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fail(fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, stderr.String()))
	}
	wall = time.Since(start).Seconds()
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, tv(ru.Utime) + tv(ru.Stime), float64(ru.Maxrss) / 1024, out.Bytes()
}
