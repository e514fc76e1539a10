package train

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/augsplit/augsplit/split"
	"github.com/augsplit/augsplit/trust"
)

// CVOptions control CrossValidate.
type CVOptions struct {
	K int // folds, >= 2
	// Parallel is how many folds train at once (< 1: one per core, at most
	// K). Results do not depend on it: each fold's inputs and seed are fixed
	// before any fold starts, and the report is assembled in fold order.
	Parallel int
	Log      io.Writer // per-epoch lines prefixed "[fold i/K] "; nil: discard
	// RunDir gets fold-N/ (one run folder per fold), cv.json, cv.png and,
	// with Final, final/. "": no files.
	RunDir string
	// Final also trains one model on every sample (see TrainAll).
	Final bool
	// Holdout, when set, is scored by each fold's model (and the final one).
	Holdout *Set
	// Val labels each fold's curves.png (nil: unknown).
	Val *Provenance
}

// CVFold is one fold's line of cv.json.
type CVFold struct {
	Fold         int        `json:"fold"` // 1-based
	Seed         uint64     `json:"seed"`
	TrainSamples int        `json:"train_samples"`
	ValSamples   int        `json:"val_samples"`
	ValSources   int        `json:"val_sources"`
	Epoch        int        `json:"epoch"` // epoch of the weights validated (best by default)
	Accuracy     float64    `json:"accuracy"`
	CI           [2]float64 `json:"ci"`
	// HoldoutAccuracy is this fold's model on CVOptions.Holdout.
	HoldoutAccuracy *float64 `json:"holdout_accuracy,omitempty"`
}

// CVSource is one source's line of cv.json: validated once, in Fold.
type CVSource struct {
	trust.Outcome
	Accuracy float64 `json:"accuracy"`
	Fold     int     `json:"fold"` // 1-based
}

// CVResult is RUN/cv.json: the cross-validated accuracy over every source
// of the data, each validated exactly once by a model that never saw it.
type CVResult struct {
	Folds    int        `json:"folds"`
	Sources  int        `json:"sources"`
	Samples  int        `json:"samples"`
	Accuracy float64    `json:"accuracy"` // pooled over all folds' validation parts
	CI       [2]float64 `json:"ci"`       // 95% over all sources (trust.Method)
	Method   string     `json:"method"`
	Note     string     `json:"note,omitempty"`
	Seed     uint64     `json:"seed"`
	// HoldoutAccuracy is the mean of the folds' models on the holdout.
	HoldoutAccuracy *float64   `json:"holdout_accuracy,omitempty"`
	PerFold         []CVFold   `json:"per_fold"`
	PerSource       []CVSource `json:"per_source"`
	// FinalEpochs is how long the --cv-final model trained (the median
	// of the folds' validated epochs); 0 without one.
	FinalEpochs int `json:"final_epochs,omitempty"`

	Final *Model `json:"-"` // the model trained on everything, with Final
	// FinalHoldout scores Final on the holdout.
	FinalHoldout *Evaluation `json:"-"`
}

// FoldSeed derives fold f's seed (0-based) from the run's seed by one
// splitmix64 step, so folds differ from one another and from a single run
// with the same --seed, and a fold's seed never depends on K.
func FoldSeed(seed uint64, f int) uint64 {
	z := seed + uint64(f+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// CrossValidate runs a stratified group k-fold over the sources of all
// (train and val pooled; keep test out): split.Folds assigns whole sources
// to folds, every class in every fold; fold f trains a model with cfg and
// FoldSeed(cfg.Seed, f) on the other folds and validates on its own. The
// result pools every source's outcome into one accuracy and one interval.
// A class with fewer sources than K is a *split.FoldError.
func CrossValidate(ctx context.Context, cfg Config, all *Set, opts CVOptions) (*CVResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := all.check("cross-validation"); err != nil {
		return nil, err
	}
	items := make([]split.Item, all.N)
	for i := range all.N {
		items[i] = split.Item{Class: all.Classes[all.Labels[i]], Group: all.SourceID(i)}
	}
	fold, err := split.Folds(items, opts.K, cfg.Seed)
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	par := opts.Parallel
	if par < 1 {
		par = runtime.GOMAXPROCS(0)
	}
	par = min(par, opts.K)
	if opts.RunDir != "" {
		if err := os.MkdirAll(opts.RunDir, 0o755); err != nil {
			return nil, fmt.Errorf("create run directory: %w", err)
		}
	}

	type outcome struct {
		res *Result
		row CVFold
		err error
	}
	results := make([]outcome, opts.K)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex // serialises log lines of concurrent folds
	next := make(chan int)
	var wg sync.WaitGroup
	for range par {
		wg.Go(func() {
			for f := range next {
				results[f].res, results[f].row, results[f].err = runFold(ctx, cfg, all, fold, f, opts, &prefixWriter{w: log, mu: &mu, prefix: fmt.Sprintf("[fold %d/%d] ", f+1, opts.K)})
				if results[f].err != nil {
					cancel()
				}
			}
		})
	}
	for f := range opts.K {
		next <- f
	}
	close(next)
	wg.Wait()
	for f, r := range results {
		if r.err != nil {
			return nil, fmt.Errorf("fold %d of %d: %w", f+1, opts.K, r.err)
		}
	}

	out := &CVResult{Folds: opts.K, Method: trust.Method, Seed: cfg.Seed}
	var pooled []trust.Outcome
	var holdSum float64
	for f, r := range results {
		out.PerFold = append(out.PerFold, r.row)
		for _, o := range r.res.ValOutcomes {
			pooled = append(pooled, o)
			out.PerSource = append(out.PerSource, CVSource{Outcome: o, Accuracy: o.Accuracy(), Fold: f + 1})
		}
		if r.row.HoldoutAccuracy != nil {
			holdSum += *r.row.HoldoutAccuracy
		}
	}
	slices.SortFunc(out.PerSource, func(a, b CVSource) int { return strings.Compare(a.Source, b.Source) })
	iv := trust.Estimate(pooled)
	out.Sources, out.Samples, out.Accuracy, out.CI, out.Note = iv.Sources, iv.Samples, iv.Accuracy, iv.CI(), iv.Note
	if opts.Holdout != nil {
		h := holdSum / float64(opts.K)
		out.HoldoutAccuracy = &h
	}

	if opts.Final {
		epochs := make([]int, len(out.PerFold))
		for i, r := range out.PerFold {
			epochs[i] = r.Epoch
		}
		slices.Sort(epochs)
		out.FinalEpochs = epochs[len(epochs)/2]
		if len(epochs)%2 == 0 {
			// The upper median of an even count would favour longer runs;
			// round the mean of the middle two half up instead.
			out.FinalEpochs = (epochs[len(epochs)/2-1] + epochs[len(epochs)/2] + 1) / 2
		}
		fcfg := cfg
		fcfg.Epochs = out.FinalEpochs
		dir := ""
		if opts.RunDir != "" {
			dir = filepath.Join(opts.RunDir, "final")
		}
		fmt.Fprintf(log, "final model: %d samples, %d epochs (median of the folds' validated epochs)\n", all.N, fcfg.Epochs)
		m, err := TrainAll(ctx, fcfg, all, &prefixWriter{w: log, mu: &mu, prefix: "[final] "}, dir)
		if err != nil {
			return nil, fmt.Errorf("final model: %w", err)
		}
		out.Final = m
		if opts.Holdout != nil {
			if out.FinalHoldout, err = Evaluate(m, opts.Holdout); err != nil {
				return nil, fmt.Errorf("final model holdout: %w", err)
			}
		}
	}

	if opts.RunDir != "" {
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode cv.json: %w", err)
		}
		if err := writeFileAtomic(filepath.Join(opts.RunDir, "cv.json"), append(b, '\n')); err != nil {
			return nil, err
		}
		if err := writeFolds(filepath.Join(opts.RunDir, "cv.png"), out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// runFold trains and validates fold f.
func runFold(ctx context.Context, cfg Config, all *Set, fold []int, f int, opts CVOptions, log io.Writer) (*Result, CVFold, error) {
	var trIdx, valIdx []int
	for i, k := range fold {
		if k == f {
			valIdx = append(valIdx, i)
		} else {
			trIdx = append(trIdx, i)
		}
	}
	fcfg := cfg
	fcfg.Seed = FoldSeed(cfg.Seed, f)
	trainSet, valSet := all.Subset(trIdx), all.Subset(valIdx)
	fo := Options{Log: log, Holdout: opts.Holdout, Val: opts.Val}
	if opts.RunDir != "" {
		fo.RunDir = filepath.Join(opts.RunDir, fmt.Sprintf("fold-%d", f+1))
	}
	res, err := Fit(ctx, fcfg, trainSet, valSet, fo)
	if err != nil {
		return nil, CVFold{}, err
	}
	row := CVFold{Fold: f + 1, Seed: fcfg.Seed, TrainSamples: trainSet.N, ValSamples: valSet.N,
		ValSources: res.ValCI.Sources, Epoch: res.Model.Epoch, Accuracy: res.Best.Accuracy, CI: res.ValCI.CI()}
	if res.Holdout != nil {
		h := res.Holdout.Accuracy
		row.HoldoutAccuracy = &h
	}
	return res, row, nil
}

// TrainAll trains for cfg.Epochs on every sample of s with no validation
// set: no early stopping and no ReduceLROnPlateau, which both watch
// val_loss (the learning rate keeps its time-based decay). It is the
// --cv-final model; cross-validation says how good such a model is. When
// dir is set it gets model.bin and metrics.jsonl (loss, accuracy, lr,
// lr_effective, train_samples, seconds per epoch).
func TrainAll(ctx context.Context, cfg Config, s *Set, log io.Writer, dir string) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := s.check("train"); err != nil {
		return nil, err
	}
	if s.N < cfg.Batch {
		return nil, fmt.Errorf("train set has %d samples, fewer than one batch of %d", s.N, cfg.Batch)
	}
	if log == nil {
		log = io.Discard
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create run directory: %w", err)
		}
	}
	tr, err := newTrainer(archOf(cfg, s.C, s.H, s.W, len(s.Classes)), cfg)
	if err != nil {
		return nil, err
	}
	defer tr.close()
	order := make([]int, s.N)
	for i := range order {
		order[i] = i
	}
	shuffle := newRand(cfg.Seed, 2)
	type line struct {
		Epoch       int     `json:"epoch"`
		Loss        float64 `json:"loss"`
		Accuracy    float64 `json:"accuracy"`
		LR          float64 `json:"lr"`
		LREffective float64 `json:"lr_effective"`
		TrainSeen   int     `json:"train_samples"`
		Seconds     float64 `json:"seconds"`
	}
	var metrics bytes.Buffer
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		start := time.Now()
		shuffle.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		loss, acc, seen, err := tr.epoch(ctx, s, order)
		if err != nil {
			return nil, fmt.Errorf("epoch %d: %w", epoch, err)
		}
		el := time.Since(start).Seconds()
		fmt.Fprintf(log, "Epoch %d/%d - %ds - loss: %.4f - accuracy: %.4f - lr: %s\n",
			epoch, cfg.Epochs, int(math.Round(el)), loss, acc, fmtLR(tr.lr))
		if dir != "" {
			b, _ := json.Marshal(line{epoch, loss, acc, tr.lr, tr.effectiveLR(tr.iter - 1), seen, math.Round(el*1000) / 1000})
			metrics.Write(b)
			metrics.WriteByte('\n')
			if err := writeFileAtomic(filepath.Join(dir, "metrics.jsonl"), metrics.Bytes()); err != nil {
				return nil, err
			}
		}
	}
	m := tr.snapshot(cfg, s.Classes, cfg.Epochs)
	if dir != "" {
		if err := m.Save(filepath.Join(dir, "model.bin")); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// prefixWriter writes whole lines, each prefixed, under a shared lock, so
// the logs of folds trained at once interleave by line, never mid-line.
type prefixWriter struct {
	w      io.Writer
	mu     *sync.Mutex
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := p.buf[:i+1]
		p.mu.Lock()
		var err error
		if len(line) > 1 {
			_, err = fmt.Fprintf(p.w, "%s%s", p.prefix, line)
		}
		p.mu.Unlock()
		p.buf = p.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
}
