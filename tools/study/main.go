// Command study measures how far train's val_accuracy and its interval can
// be trusted, on real handwritten digits nobody in the project drew (the
// UCI digits that Debian's python3-sklearn ships). For each seed it takes
// k real digits per class as sources (k = 1, 3, 5, 10), generates an
// augsplit dataset from them, trains with --holdout on every digit that is
// not a source (~1,700 real images), and reports per run: the printed
// val_accuracy, its 95% interval over sources, the holdout accuracy and
// whether the interval covered it; then train --cv on the same data and
// how much narrower its interval is than the single split's.
//
//	go run ./tools/study -bin bin/augsplit -out out/study
//
// Without the package it says so and exits 0 (`make study` installs
// nothing; set AUGSPLIT_DIGITS or -digits to another copy of the file).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/augsplit/augsplit/schema"
)

func main() {
	bin := flag.String("bin", "bin/augsplit", "augsplit binary")
	digitsPath := flag.String("digits", "", "digits.csv.gz (default: $AUGSPLIT_DIGITS, then python3-sklearn's copy)")
	out := flag.String("out", "out/study", "work folder: datasets, runs, results.json, results.md")
	sources := flag.String("sources", "1,3,5,10", "sources per class, one dataset each")
	seeds := flag.String("seeds", "1,2,3,4,5", "seeds (source draw, generate and train)")
	perSource := flag.Int("per-source", 30, "variants per source")
	epochs := flag.Int("epochs", 30, "train --epochs")
	size := flag.Int("size", 32, "image size in pixels")
	cv := flag.Int("cv", 5, "folds for the --cv runs (0: none)")
	cvSources := flag.String("cv-sources", "5,10", "sources per class of the datasets also cross-validated")
	flag.Parse()

	path := *digitsPath
	if path == "" {
		path = FindDigits()
	}
	if path == "" {
		fmt.Fprintf(os.Stderr, "study: skipped: no digits.csv.gz (install Debian's python3-sklearn, or set AUGSPLIT_DIGITS or -digits to a copy)\n")
		return
	}
	s := &study{bin: *bin, out: *out, perSource: *perSource, epochs: *epochs, size: *size, cv: *cv, log: os.Stderr}
	var err error
	if s.counts, err = ints(*sources); err != nil {
		fail(err)
	}
	if s.seeds, err = ints(*seeds); err != nil {
		fail(err)
	}
	if s.cvCounts, err = ints(*cvSources); err != nil {
		fail(err)
	}
	digits, err := ReadDigits(path)
	if err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "study: %d digits from %s\n", len(digits), path)
	res, err := s.run(digits)
	if err != nil {
		fail(err)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "results.json"), append(b, '\n'), 0o644); err != nil {
		fail(err)
	}
	md := res.Markdown()
	if err := os.WriteFile(filepath.Join(*out, "results.md"), []byte(md), 0o644); err != nil {
		fail(err)
	}
	fmt.Print(md)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "study: %v\n", err)
	os.Exit(1)
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want positive whole numbers separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}

type study struct {
	bin                     string
	out                     string
	counts, seeds, cvCounts []int
	perSource, epochs, size int
	cv                      int
	log                     io.Writer
}

// Run is one train run on one dataset.
type Run struct {
	Sources     int        `json:"sources_per_class"`
	Seed        int        `json:"seed"`
	Level       string     `json:"split_level"` // source | variant | mixed
	ValSources  int        `json:"val_sources"`
	ValAccuracy float64    `json:"val_accuracy"`
	CI          [2]float64 `json:"ci"`
	Holdout     float64    `json:"holdout_accuracy"`
	Covered     bool       `json:"covered"`
	BestEpoch   int        `json:"best_epoch"`
	Seconds     float64    `json:"seconds"`
}

// CVRun is one train --cv run.
type CVRun struct {
	Sources  int        `json:"sources_per_class"`
	Seed     int        `json:"seed"`
	Folds    int        `json:"folds"`
	NSources int        `json:"sources"`
	Accuracy float64    `json:"accuracy"`
	CI       [2]float64 `json:"ci"`
	Holdout  float64    `json:"holdout_accuracy"` // mean of the fold models
	Covered  bool       `json:"covered"`
	// SingleWidth is the single split's interval width on the same data.
	SingleWidth float64 `json:"single_width"`
	Width       float64 `json:"width"`
	Seconds     float64 `json:"seconds"`
}

// Results is results.json.
type Results struct {
	Digits    string  `json:"digits"`
	Holdout   []int   `json:"holdout_images"` // per seed
	PerSource int     `json:"per_source"`
	Epochs    int     `json:"epochs"`
	Size      int     `json:"size"`
	Runs      []Run   `json:"runs"`
	CV        []CVRun `json:"cv"`
}

func (s *study) run(digits []Digit) (*Results, error) {
	res := &Results{PerSource: s.perSource, Epochs: s.epochs, Size: s.size}
	for _, seed := range s.seeds {
		dir := filepath.Join(s.out, fmt.Sprintf("seed-%d", seed))
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		lay, err := Build(digits, dir, s.counts, uint64(seed), s.size)
		if err != nil {
			return nil, err
		}
		res.Holdout = append(res.Holdout, lay.HoldoutN)
		single := map[int]Run{}
		for _, k := range s.counts {
			data := filepath.Join(dir, fmt.Sprintf("data-%d", k))
			if err := s.exec("generate", "--in", lay.Sources[k], "--out", data, "--size", strconv.Itoa(s.size),
				"--per-source", strconv.Itoa(s.perSource), "--seed", strconv.Itoa(seed), "--quiet", "--force"); err != nil {
				return nil, err
			}
			runDir := filepath.Join(dir, fmt.Sprintf("run-%d", k))
			start := time.Now()
			if err := s.exec("train", "--data", data, "--out", runDir, "--seed", strconv.Itoa(seed),
				"--epochs", strconv.Itoa(s.epochs), "--holdout", lay.Holdout); err != nil {
				return nil, err
			}
			r, err := readRun(runDir)
			if err != nil {
				return nil, err
			}
			r.Sources, r.Seed, r.Seconds = k, seed, time.Since(start).Seconds()
			single[k] = r
			res.Runs = append(res.Runs, r)
			fmt.Fprintf(s.log, "study: seed %d, %d sources/class: val %.4f [%.4f, %.4f] over %d sources, holdout %.4f, covered %v\n",
				seed, k, r.ValAccuracy, r.CI[0], r.CI[1], r.ValSources, r.Holdout, r.Covered)
		}
		if s.cv < 2 {
			continue
		}
		for _, k := range s.cvCounts {
			if k < s.cv {
				continue
			}
			data := filepath.Join(dir, fmt.Sprintf("data-%d", k))
			runDir := filepath.Join(dir, fmt.Sprintf("cv-%d", k))
			start := time.Now()
			if err := s.exec("train", "--data", data, "--out", runDir, "--seed", strconv.Itoa(seed),
				"--epochs", strconv.Itoa(s.epochs), "--holdout", lay.Holdout, "--cv", strconv.Itoa(s.cv)); err != nil {
				return nil, err
			}
			c, err := readCV(runDir)
			if err != nil {
				return nil, err
			}
			c.Sources, c.Seed, c.Seconds = k, seed, time.Since(start).Seconds()
			if r, ok := single[k]; ok {
				c.SingleWidth = r.CI[1] - r.CI[0]
			}
			res.CV = append(res.CV, c)
			fmt.Fprintf(s.log, "study: seed %d, %d sources/class, --cv %d: %.4f [%.4f, %.4f] over %d sources (width %.4f vs %.4f), holdout %.4f\n",
				seed, k, s.cv, c.Accuracy, c.CI[0], c.CI[1], c.NSources, c.Width, c.SingleWidth, c.Holdout)
		}
	}
	return res, nil
}

func (s *study) exec(args ...string) error {
	cmd := exec.Command(s.bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", s.bin, strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

func readRun(dir string) (Run, error) {
	var sum struct {
		BestEpoch       int               `json:"best_epoch"`
		ValAccuracy     float64           `json:"val_accuracy"`
		ValAccuracyCI   [2]float64        `json:"val_accuracy_ci"`
		ValSources      int               `json:"val_sources"`
		SplitLevel      map[string]string `json:"split_level"`
		HoldoutAccuracy *float64          `json:"holdout_accuracy"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return Run{}, err
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return Run{}, fmt.Errorf("%s: %w", dir, err)
	}
	if sum.HoldoutAccuracy == nil {
		return Run{}, fmt.Errorf("%s: summary.json has no holdout_accuracy", dir)
	}
	r := Run{ValSources: sum.ValSources, ValAccuracy: sum.ValAccuracy, CI: sum.ValAccuracyCI,
		Holdout: *sum.HoldoutAccuracy, BestEpoch: sum.BestEpoch}
	r.Covered = r.CI[0] <= r.Holdout && r.Holdout <= r.CI[1]
	levels := map[string]bool{}
	for _, l := range sum.SplitLevel {
		levels[l] = true
	}
	switch {
	case len(levels) > 1:
		r.Level = "mixed"
	case levels[schema.LevelVariant]:
		r.Level = schema.LevelVariant
	default:
		r.Level = schema.LevelSource
	}
	return r, nil
}

func readCV(dir string) (CVRun, error) {
	var cv struct {
		Folds           int        `json:"folds"`
		Sources         int        `json:"sources"`
		Accuracy        float64    `json:"accuracy"`
		CI              [2]float64 `json:"ci"`
		HoldoutAccuracy *float64   `json:"holdout_accuracy"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "cv.json"))
	if err != nil {
		return CVRun{}, err
	}
	if err := json.Unmarshal(b, &cv); err != nil {
		return CVRun{}, fmt.Errorf("%s: %w", dir, err)
	}
	c := CVRun{Folds: cv.Folds, NSources: cv.Sources, Accuracy: cv.Accuracy, CI: cv.CI, Width: cv.CI[1] - cv.CI[0]}
	if cv.HoldoutAccuracy != nil {
		c.Holdout = *cv.HoldoutAccuracy
		c.Covered = c.CI[0] <= c.Holdout && c.Holdout <= c.CI[1]
	}
	return c, nil
}

// Markdown is the report: every run, then the two acceptance numbers.
func (r *Results) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Real handwritten digits (UCI, via python3-sklearn), %d px, %d variants per source, train --epochs %d; holdout: %v real images (per seed) that are no run's source.\n\n",
		r.Size, r.PerSource, r.Epochs, r.Holdout)
	fmt.Fprintf(&b, "| sources/class | seed | split level | val sources | val_accuracy | 95%% interval | holdout accuracy | covered |\n|---|---|---|---|---|---|---|---|\n")
	covered, total := 0, 0
	for _, x := range r.Runs {
		fmt.Fprintf(&b, "| %d | %d | %s | %d | %.3f | [%.3f, %.3f] | %.3f | %s |\n",
			x.Sources, x.Seed, x.Level, x.ValSources, x.ValAccuracy, x.CI[0], x.CI[1], x.Holdout, yes(x.Covered))
		if x.Sources >= 3 {
			total++
			if x.Covered {
				covered++
			}
		}
	}
	varCovered, varTotal := 0, 0
	for _, x := range r.Runs {
		if x.Level == schema.LevelVariant {
			varTotal++
			if x.Covered {
				varCovered++
			}
		}
	}
	fmt.Fprintf(&b, "\nWith 3 or more sources per class the interval covered the held-out accuracy in %d of %d runs", covered, total)
	if varTotal > 0 {
		fmt.Fprintf(&b, "; with one source per class (variant level) in %d of %d", varCovered, varTotal)
	}
	b.WriteString(".\n")
	if len(r.CV) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "\n| sources/class | seed | --cv | sources | cv accuracy | 95%% interval | width | single-split width | fold models on holdout | covered |\n|---|---|---|---|---|---|---|---|---|---|\n")
	var ratio float64
	n, cvCovered := 0, 0
	for _, c := range r.CV {
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %.3f | [%.3f, %.3f] | %.3f | %.3f | %.3f | %s |\n",
			c.Sources, c.Seed, c.Folds, c.NSources, c.Accuracy, c.CI[0], c.CI[1], c.Width, c.SingleWidth, c.Holdout, yes(c.Covered))
		if c.SingleWidth > 0 {
			ratio += c.Width / c.SingleWidth
			n++
		}
		if c.Covered {
			cvCovered++
		}
	}
	if n > 0 {
		fmt.Fprintf(&b, "\nThe --cv interval was on average %.2f times the single split's width (%.0f%% narrower); it covered the fold models' held-out accuracy in %d of %d runs.\n",
			ratio/float64(n), 100*(1-ratio/float64(n)), cvCovered, len(r.CV))
	}
	return b.String()
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
