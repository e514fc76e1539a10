package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// partsBench runs one generate as N parts, one process after another (so
// each part's CPU-seconds are its own, whatever the machine's load), then
// seals, for each N: a part's images per CPU-second, and the total
// CPU-seconds of all parts plus seal, which should stay flat as N grows
// (parts repeat only the scan of --in, which hashes every source).
type partsBench struct {
	bin, in, level string
	size, perSrc   int
	tmp            string
	workers        int
}

func (p *partsBench) run(ns []string) {
	images := p.perSrc * countSources(p.in)
	fmt.Printf("\nparts: generate %d images at %d px as N parts run one after another, then seal\n", images, p.size)
	fmt.Printf("%-4s %-10s %10s %12s %12s %12s %14s\n", "N", "part", "images", "CPU s", "img/CPU-s", "seal CPU s", "total CPU s")
	var base float64
	for _, s := range ns {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-parts: %q is not a positive number", s))
		}
		out := filepath.Join(p.tmp, "parts-"+strconv.Itoa(n))
		total, done := 0.0, 0
		for i := 0; i < n; i++ {
			args := []string{"generate", "--in", p.in, "--out", out, "--size", strconv.Itoa(p.size),
				"--per-source", strconv.Itoa(p.perSrc), "--png-compression", p.level, "--quiet",
				"--format", "folder,webdataset", "--parts", strconv.Itoa(n), "--part", strconv.Itoa(i)}
			if p.workers > 0 {
				args = append(args, "--workers", strconv.Itoa(p.workers))
			}
			_, cpu, _ := measure(p.bin, args)
			total += cpu
			// The part's images: the manifest lines its units added.
			made := unitLines(out) - done
			done += made
			fmt.Printf("%-4d %-10s %10d %12.2f %12.0f\n", n, strconv.Itoa(i)+"/"+strconv.Itoa(n), made, cpu, float64(made)/cpu)
		}
		_, sealCPU, _ := measure(p.bin, []string{"seal", out, "--quiet"})
		total += sealCPU
		if n == 1 || base == 0 {
			base = total
		}
		fmt.Printf("%-4d %-10s %10d %12s %12.0f %12.2f %14.2f (x%.2f of the first N)\n", n, "all", images, "", float64(images)/total, sealCPU, total, total/base)
		os.RemoveAll(out)
	}
}

// unitLines counts the manifest lines of every unit the parts under out
// have finished.
func unitLines(out string) int {
	files, _ := filepath.Glob(filepath.Join(out, ".augsplit-parts", "units", "*.jsonl"))
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fail(err)
		}
		n += strings.Count(string(data), "\n")
	}
	return n
}
