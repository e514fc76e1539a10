// Command benchrun measures augsplit as whole processes: generate's images
// per second, images per CPU-second and peak RSS at several sizes, and the
// trainer's seconds per epoch and peak RSS; with Debian's python3-opencv it
// also runs the same generate job through tools/peers/generate_cv.py and
// prints augsplit's images per CPU-second over the peer's, and with
// python3-torch it trains the same model on the same data with PyTorch
// (tools/peers/torch_train.py) in alternation and prints the s/epoch ratio.
// It reads CPU time and max RSS from the child's rusage (which counts its
// waited-for children, the peer's pool), so it needs no GNU time.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/augsplit", "augsplit binary")
	in := flag.String("in", "testdata/cells", "source folder")
	runs := flag.String("runs", "128:300,128:3000,512:300", "comma-separated size:variants-per-source generate runs (128 at 300 and 3000 shows memory is flat in the variant count)")
	trainSizes := flag.String("train", "64,128", "comma-separated sizes to train at (empty: none)")
	trainEpochs := flag.Int("train-epochs", 2, "epochs per training run")
	trainRounds := flag.Int("train-rounds", 3, "training runs per size (alternating with each PyTorch run)")
	torchScript := flag.String("torch-script", "tools/peers/torch_train.py", "the PyTorch peer training script")
	torchThreads := flag.String("torch-threads", "2,1", "comma-separated PyTorch thread counts, one peer row each (empty: no peer); 2 is the issue's peer, 1 is PyTorch's best on a loaded machine, where its OpenMP threads wait for each other")
	level := flag.String("png", "speed", "png compression")
	workers := flag.Int("workers", 0, "workers (0: all CPUs)")
	peerSizes := flag.String("peer-sizes", "128,512", "comma-separated sizes to compare generate with the OpenCV + NumPy peer at (empty: none)")
	peerPerSource := flag.Int("peer-per-source", 300, "variants per source in the peer comparison")
	peerRounds := flag.Int("peer-rounds", 3, "alternating runs of each side per size in the peer comparison")
	python := flag.String("python", defaultPython(), "the Python with Debian's python3-opencv and python3-numpy (generate peer) and python3-torch, python3-numpy and python3-pil (train peer)")
	peerScript := flag.String("peer-script", "tools/peers/generate_cv.py", "the peer generate script")
	parts := flag.String("parts", "1,2,4", "comma-separated part counts N to run one generate as (empty: none)")
	partsSize := flag.Int("parts-size", 128, "image size of the parts runs")
	partsPerSource := flag.Int("parts-per-source", 300, "variants per source of the parts runs")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "augsplit-bench-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)

	if *runs != "" {
		fmt.Printf("generate\n%-6s %-10s %8s %9s %9s %12s %10s\n", "size", "per-src", "images", "wall s", "img/s", "img/CPU-s", "peak MiB")
		for _, run := range strings.Split(*runs, ",") {
			size, n, ok := strings.Cut(run, ":")
			if !ok {
				fail(fmt.Errorf("run %q: want size:variants", run))
			}
			out := filepath.Join(tmp, size+"-"+n)
			args := []string{"generate", "--in", *in, "--out", out, "--size", size,
				"--per-source", n, "--png-compression", *level, "--quiet"}
			if *workers > 0 {
				args = append(args, "--workers", strconv.Itoa(*workers))
			}
			wall, cpu, rss := measure(*bin, args)
			count, _ := strconv.Atoi(n)
			images := count * countSources(*in)
			fmt.Printf("%-6s %-10s %8d %9.2f %9.0f %12.0f %10.1f\n", size, n, images, wall,
				float64(images)/wall, float64(images)/cpu, rss)
			os.RemoveAll(out)
		}
	}

	if *parts != "" {
		p := &partsBench{bin: *bin, in: *in, level: *level, size: *partsSize, perSrc: *partsPerSource, tmp: tmp, workers: *workers}
		p.run(strings.Split(*parts, ","))
	}

	if *peerSizes != "" {
		p := &peerGenerate{bin: *bin, in: *in, python: *python, script: *peerScript, tmp: tmp,
			perSource: *peerPerSource, rounds: max(*peerRounds, 1), workers: *workers}
		if p.workers <= 0 {
			p.workers = runtime.NumCPU()
		}
		p.run(strings.Split(*peerSizes, ","))
	}

	if *trainSizes == "" {
		return
	}
	t := &trainBench{bin: *bin, in: *in, python: *python, script: *torchScript, tmp: tmp,
		epochs: max(*trainEpochs, 1), rounds: max(*trainRounds, 1)}
	for _, th := range strings.Split(*torchThreads, ",") {
		if th = strings.TrimSpace(th); th != "" {
			n, err := strconv.Atoi(th)
			if err != nil || n < 1 {
				fail(fmt.Errorf("-torch-threads: %q is not a positive number", th))
			}
			t.threads = append(t.threads, n)
		}
	}
	t.run(strings.Split(*trainSizes, ","))
}

// measure runs bin with args and returns wall seconds, CPU seconds and
// peak RSS in MiB.
func measure(bin string, args []string) (wall, cpu, rssMiB float64) {
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		fail(fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, stderr.String()))
	}
	wall = time.Since(start).Seconds()
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return wall, tv(ru.Utime) + tv(ru.Stime), float64(ru.Maxrss) / 1024
}

// defaultPython is Debian's interpreter, where apt installs python3-opencv
// and python3-torch; a python3 earlier on PATH (pyenv, a venv) may not see
// those packages.
func defaultPython() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func countSources(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			n++
		}
		return nil
	})
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchrun:", err)
	os.Exit(1)
}
