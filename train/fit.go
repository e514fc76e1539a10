package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"gorgonia.org/tensor"

	"github.com/augsplit/augsplit/trust"
)

// Options control where Fit reports and writes; the zero value logs nowhere
// and writes no files.
type Options struct {
	Log    io.Writer // Keras-style lines per epoch; nil: discard
	RunDir string    // metrics.jsonl, curves.png, confusion.*, model.bin, last.bin; "": none
	// OnEpoch, when set, is called after each epoch (tests, progress).
	OnEpoch func(EpochMetrics)

	// Holdout, when set, is a labelled set of real new images (the training
	// classes, same size) scored every HoldoutEvery epochs (0: only the
	// last epoch) and, with the returned weights, at the end.
	Holdout      *Set
	HoldoutEvery int

	// Val describes what the validation set holds (from the dataset card);
	// nil: unknown. It labels curves.png and summary.json.
	Val *Provenance
}

// EpochMetrics is one line of metrics.jsonl. Apart from seconds, the same
// data, seed and config give the same bytes.
type EpochMetrics struct {
	Epoch       int     `json:"epoch"` // 1-based
	Loss        float64 `json:"loss"`
	Accuracy    float64 `json:"accuracy"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	LR          float64 `json:"lr"`           // base rate (what ReduceLROnPlateau changes)
	LREffective float64 `json:"lr_effective"` // after time-based decay, at the epoch's last step
	TrainSeen   int     `json:"train_samples"`
	ValSeen     int     `json:"val_samples"`
	// ValSources is the number of distinct sources in val: the number of
	// independent observations val_accuracy rests on.
	ValSources int `json:"val_sources"`
	// ValAccuracyCI is the 95% interval of val_accuracy over those sources
	// (package trust). For variant-level data it is not an estimate of
	// accuracy on new images.
	ValAccuracyCI [2]float64 `json:"val_accuracy_ci"`
	Seconds       float64    `json:"seconds"` // wall time of the epoch, validation and holdout included
	// HoldoutAccuracy is the accuracy on Options.Holdout, on the epochs it
	// was scored.
	HoldoutAccuracy *float64 `json:"holdout_accuracy,omitempty"`
}

// Result is what Fit returns. Model holds the best epoch's weights.
type Result struct {
	History     []EpochMetrics
	BestEpoch   int // 1-based, by val_loss with early_min_delta
	StoppedAt   int // epoch early stopping ended training at; 0: ran all epochs
	Model       *Model
	Best        *Evaluation // validation metrics of the returned weights
	ClassesSeen []bool      // per class: present in the training set

	// ValOutcomes and ValCI are Best grouped by source and its interval.
	ValOutcomes []trust.Outcome
	ValCI       trust.Interval
	// Holdout and HoldoutCI score the returned weights on Options.Holdout
	// (nil and zero without one).
	Holdout   *Evaluation
	HoldoutCI trust.Interval
}

// Fit trains the CNN on trainSet, validating on valSet after each epoch,
// with the callbacks of the user's script (ReduceLROnPlateau, EarlyStopping
// with restore_best_weights). The last partial training batch of each epoch
// is dropped (it is a different one every epoch, as the order is reshuffled);
// validation pads its last batch and counts real samples only.
func Fit(ctx context.Context, cfg Config, trainSet, valSet *Set, opts Options) (*Result, error) {
	if err := checkFit(cfg, trainSet, valSet); err != nil {
		return nil, err
	}
	if h := opts.Holdout; h != nil {
		if err := h.check("holdout"); err != nil {
			return nil, err
		}
		if h.C != trainSet.C || h.H != trainSet.H || h.W != trainSet.W || !equalStrings(h.Classes, trainSet.Classes) {
			return nil, fmt.Errorf("holdout set is %dx%dx%d with classes %q; want the training set's %dx%dx%d and %q",
				h.C, h.H, h.W, h.Classes, trainSet.C, trainSet.H, trainSet.W, trainSet.Classes)
		}
	}
	f, err := newFitRun(cfg, trainSet, valSet, opts)
	if err != nil {
		return nil, err
	}
	defer f.tr.close()
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		stop, err := f.epoch(ctx, epoch)
		if err != nil {
			return nil, err
		}
		if stop {
			break
		}
	}
	return f.finish()
}

// checkFit refuses a config or sets that cannot be trained on together.
func checkFit(cfg Config, trainSet, valSet *Set) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := trainSet.check("train"); err != nil {
		return err
	}
	if err := valSet.check("validation"); err != nil {
		return err
	}
	if trainSet.C != valSet.C || trainSet.H != valSet.H || trainSet.W != valSet.W {
		return fmt.Errorf("train images are %dx%dx%d but validation images %dx%dx%d",
			trainSet.C, trainSet.H, trainSet.W, valSet.C, valSet.H, valSet.W)
	}
	if !equalStrings(trainSet.Classes, valSet.Classes) {
		return fmt.Errorf("train and validation sets list different classes: %q vs %q", trainSet.Classes, valSet.Classes)
	}
	if trainSet.N < cfg.Batch {
		return fmt.Errorf("train set has %d samples, fewer than one batch of %d", trainSet.N, cfg.Batch)
	}
	return nil
}

// fitRun is the state of one Fit: the trainer, the callbacks, the best
// and last weights so far and the run folder's metrics.
type fitRun struct {
	cfg              Config
	trainSet, valSet *Set
	opts             Options
	log              io.Writer

	tr       *trainer
	res      *Result
	order    []int
	shuffle  *rand.Rand
	plateau  *plateau
	early    *early
	best     *Evaluation
	bestSnap *Model
	lastSnap *Model
	metrics  bytes.Buffer // metrics.jsonl so far
}

func newFitRun(cfg Config, trainSet, valSet *Set, opts Options) (*fitRun, error) {
	f := &fitRun{cfg: cfg, trainSet: trainSet, valSet: valSet, opts: opts, log: opts.Log}
	if f.log == nil {
		f.log = io.Discard
	}
	if opts.RunDir != "" {
		if err := os.MkdirAll(opts.RunDir, 0o755); err != nil {
			return nil, fmt.Errorf("create run directory: %w", err)
		}
	}
	a := archOf(cfg, trainSet.C, trainSet.H, trainSet.W, len(trainSet.Classes))
	tr, err := newTrainer(a, cfg)
	if err != nil {
		return nil, err
	}
	f.tr = tr
	f.res = &Result{ClassesSeen: make([]bool, len(trainSet.Classes))}
	for _, l := range trainSet.Labels {
		f.res.ClassesSeen[l] = true
	}
	f.order = make([]int, trainSet.N)
	for i := range f.order {
		f.order[i] = i
	}
	f.shuffle = newRand(cfg.Seed, 2)
	f.plateau = newPlateau(cfg)
	f.early = newEarly(cfg)
	return f, nil
}

// epoch trains and validates once, runs the callbacks and writes the run
// folder; it reports whether early stopping ends training.
func (f *fitRun) epoch(ctx context.Context, epoch int) (stop bool, err error) {
	start := time.Now()
	f.shuffle.Shuffle(len(f.order), func(i, j int) { f.order[i], f.order[j] = f.order[j], f.order[i] })
	loss, acc, seen, err := f.tr.epoch(ctx, f.trainSet, f.order)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return false, interrupted(epoch, f.res.BestEpoch, f.best, f.lastSnap, f.trainSet.Classes, f.opts.RunDir, err)
		}
		return false, fmt.Errorf("epoch %d: %w", epoch, err)
	}
	ev, err := f.tr.evaluate(f.valSet, nil)
	if err != nil {
		return false, fmt.Errorf("epoch %d validation: %w", epoch, err)
	}
	ci := trust.Estimate(Outcomes(f.valSet, ev))
	m := EpochMetrics{
		Epoch: epoch, Loss: loss, Accuracy: acc, ValLoss: ev.Loss, ValAccuracy: ev.Accuracy,
		LR: f.tr.lr, LREffective: f.tr.effectiveLR(f.tr.iter - 1), TrainSeen: seen, ValSeen: ev.N,
		ValSources: ci.Sources, ValAccuracyCI: ci.CI(),
	}
	fmt.Fprintf(f.log, "Epoch %d/%d - %ds - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f - lr: %s\n",
		epoch, f.cfg.Epochs, int(math.Round(time.Since(start).Seconds())), m.Loss, m.Accuracy, m.ValLoss, m.ValAccuracy, fmtLR(m.LR))

	if stop, err = f.callbacks(epoch, ev); err != nil {
		return false, err
	}
	// The holdout is scored on the epochs asked for and on the last one,
	// which early stopping may make any epoch.
	if h := f.opts.Holdout; h != nil && (stop || epoch == f.cfg.Epochs || (f.opts.HoldoutEvery > 0 && epoch%f.opts.HoldoutEvery == 0)) {
		hev, err := f.tr.evaluate(h, nil)
		if err != nil {
			return false, fmt.Errorf("epoch %d holdout: %w", epoch, err)
		}
		m.HoldoutAccuracy = &hev.Accuracy
	}
	m.Seconds = math.Round(time.Since(start).Seconds()*1000) / 1000
	f.res.History = append(f.res.History, m)
	if err := f.record(m); err != nil {
		return false, err
	}
	if f.opts.OnEpoch != nil {
		f.opts.OnEpoch(m)
	}
	if stop {
		f.res.StoppedAt = epoch
		if f.cfg.EarlyRestore {
			fmt.Fprintf(f.log, "Restoring model weights from the end of the best epoch: %d.\n", f.res.BestEpoch)
		}
	}
	return stop, nil
}

// callbacks runs ReduceLROnPlateau then EarlyStopping (Keras runs them in
// the order given, and the user's list has them so), keeps the best
// weights (saved as model.bin) and the last finished epoch's.
func (f *fitRun) callbacks(epoch int, ev *Evaluation) (stop bool, err error) {
	if newLR, ok := f.plateau.step(ev.Loss, f.tr.lr); ok {
		f.tr.lr = newLR
		fmt.Fprintf(f.log, "\nEpoch %05d: ReduceLROnPlateau reducing learning rate to %.10f.\n", epoch, newLR)
	}
	improved, stop := f.early.step(epoch, ev.Loss)
	if improved || f.bestSnap == nil {
		f.best = ev
		f.res.BestEpoch = epoch
		f.bestSnap = f.tr.snapshot(f.cfg, f.trainSet.Classes, epoch)
		if f.opts.RunDir != "" {
			if err := f.bestSnap.Save(filepath.Join(f.opts.RunDir, "model.bin")); err != nil {
				return false, err
			}
		}
	}
	// The weights of the last finished epoch, for last.bin should the
	// next epoch be interrupted half-way (its weights are then neither).
	// A copy of the weights costs far less than the epoch that made them.
	if f.res.BestEpoch == epoch {
		f.lastSnap = f.bestSnap
	} else {
		f.lastSnap = f.tr.snapshot(f.cfg, f.trainSet.Classes, epoch)
	}
	return stop, nil
}

// record appends m to metrics.jsonl and redraws curves.png.
func (f *fitRun) record(m EpochMetrics) error {
	if f.opts.RunDir == "" {
		return nil
	}
	line, _ := json.Marshal(m)
	f.metrics.Write(line)
	f.metrics.WriteByte('\n')
	if err := writeFileAtomic(filepath.Join(f.opts.RunDir, "metrics.jsonl"), f.metrics.Bytes()); err != nil {
		return err
	}
	return writeCurves(filepath.Join(f.opts.RunDir, "curves.png"), f.res.History, f.opts.Val)
}

// finish writes last.bin and the confusion files and picks the model to
// return: the best epoch's, or the last one's without restore_best_weights.
func (f *fitRun) finish() (*Result, error) {
	last := f.lastSnap
	if f.opts.RunDir != "" {
		if err := last.Save(filepath.Join(f.opts.RunDir, "last.bin")); err != nil {
			return nil, err
		}
	}
	res := f.res
	if res.StoppedAt > 0 {
		fmt.Fprintf(f.log, "Epoch %05d: early stopping\n", res.StoppedAt)
	}
	// During training model.bin is the best epoch so far (what an
	// interrupted run keeps). At the end it holds the returned weights: the
	// best epoch's with early_restore (--restore best, Keras's
	// restore_best_weights), else the last epoch's.
	res.Model, res.Best = f.bestSnap, f.best
	var err error
	if !f.cfg.EarlyRestore {
		res.Model = last
		if res.Best, err = f.tr.evaluate(f.valSet, nil); err != nil {
			return nil, err
		}
		if f.opts.RunDir != "" && last != f.bestSnap {
			if err := last.Save(filepath.Join(f.opts.RunDir, "model.bin")); err != nil {
				return nil, err
			}
		}
	}
	res.ValOutcomes = Outcomes(f.valSet, res.Best)
	res.ValCI = trust.Estimate(res.ValOutcomes)
	if h := f.opts.Holdout; h != nil {
		if res.Holdout, err = Evaluate(res.Model, h); err != nil {
			return nil, fmt.Errorf("holdout: %w", err)
		}
		res.HoldoutCI = trust.Estimate(Outcomes(h, res.Holdout))
	}
	if f.opts.RunDir != "" {
		if err := writeConfusion(f.opts.RunDir, f.trainSet.Classes, res.Best); err != nil {
			return nil, err
		}
		if err := writeSummaryJSON(filepath.Join(f.opts.RunDir, "summary.json"), f.cfg, res, f.opts.Val); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Summary is RUN/summary.json: what the returned weights scored and what
// that rests on. It holds no timings: same data, seed and config, same bytes.
type Summary struct {
	Epoch              int               `json:"epoch"` // of the returned weights (model.bin)
	BestEpoch          int               `json:"best_epoch"`
	Restore            string            `json:"restore"` // best | last
	StoppedAt          int               `json:"stopped_at,omitempty"`
	ValLoss            float64           `json:"val_loss"`
	ValAccuracy        float64           `json:"val_accuracy"`
	ValAccuracyCI      [2]float64        `json:"val_accuracy_ci"`
	ValSources         int               `json:"val_sources"`
	ValSourcesPerClass map[string]int    `json:"val_sources_per_class,omitempty"`
	SplitLevel         map[string]string `json:"split_level,omitempty"`
	// VariantLevel: some class was split at variant level, so val holds
	// near-duplicates of training images and val_accuracy (and its
	// interval) is not an estimate of accuracy on new images.
	VariantLevel    bool        `json:"variant_level"`
	HoldoutAccuracy *float64    `json:"holdout_accuracy,omitempty"`
	HoldoutCI       *[2]float64 `json:"holdout_ci,omitempty"`
	HoldoutSamples  int         `json:"holdout_samples,omitempty"`
}

func writeSummaryJSON(path string, cfg Config, res *Result, p *Provenance) error {
	s := Summary{Epoch: res.Model.Epoch, BestEpoch: res.BestEpoch, Restore: "best", StoppedAt: res.StoppedAt,
		ValLoss: res.Best.Loss, ValAccuracy: res.Best.Accuracy, ValAccuracyCI: res.ValCI.CI(), ValSources: res.ValCI.Sources,
		VariantLevel: p.Variant()}
	if !cfg.EarlyRestore {
		s.Restore = "last"
	}
	if p != nil {
		s.ValSourcesPerClass, s.SplitLevel = p.PerClass, p.Levels
	}
	if res.Holdout != nil {
		a, ci := res.Holdout.Accuracy, res.HoldoutCI.CI()
		s.HoldoutAccuracy, s.HoldoutCI, s.HoldoutSamples = &a, &ci, res.Holdout.N
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode summary.json: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// InterruptedError is Fit's error when ctx is cancelled: it says how far
// training got, so a caller can tell the user what the run folder holds.
// It unwraps to the context's error, so exit codes still see a cancellation.
type InterruptedError struct {
	Epoch     int         // 1-based epoch that was running
	BestEpoch int         // best finished epoch (in model.bin); 0: none finished
	Best      *Evaluation // its validation metrics; nil when BestEpoch is 0
	Err       error       // ctx.Err()
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted at epoch %d: %v", e.Epoch, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// interrupted finishes a cancelled run's folder so its files agree with one
// another: last.bin is the last finished epoch and confusion.* the best one,
// as model.bin is. Both are quick (no training, no evaluation).
func interrupted(epoch, bestEpoch int, best *Evaluation, last *Model, classes []string, runDir string, cause error) error {
	ie := &InterruptedError{Epoch: epoch, BestEpoch: bestEpoch, Best: best, Err: cause}
	if runDir == "" || last == nil {
		return ie
	}
	if err := last.Save(filepath.Join(runDir, "last.bin")); err != nil {
		return errors.Join(ie, err)
	}
	if err := writeConfusion(runDir, classes, best); err != nil {
		return errors.Join(ie, err)
	}
	return ie
}

func fmtLR(lr float64) string {
	if lr >= 1e-4 {
		return fmt.Sprintf("%.5f", lr)
	}
	return fmt.Sprintf("%.4e", lr)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// trainer owns a float32 training graph and an evaluation graph that share
// weight tensors, plus the SGD state.
type trainer struct {
	a        arch
	cfg      Config
	weights  []*tensor.Dense
	velocity [][]float32
	trainNet *net
	step     *directStep[float32] // trainNet's step: its weights, gradients and outputs
	evalNet  *net
	lr       float64 // base learning rate (ReduceLROnPlateau changes it)
	iter     int     // optimizer steps so far (time-based decay)
}

// evalBatch is the batch of every evaluation graph (padded and masked).
// One size everywhere: gemm's blocking depends on the matrix sizes, so
// another batch would change float32 results in the last bits and a
// reloaded model would not reproduce its validation metrics exactly.
const evalBatch = 32

func newTrainer(a arch, cfg Config) (*trainer, error) {
	tr := &trainer{a: a, cfg: cfg, lr: cfg.LR}
	tr.weights = newWeights(a, tensor.Float32, a.initParams(cfg.Seed))
	for _, w := range tr.weights {
		tr.velocity = append(tr.velocity, make([]float32, w.Shape().TotalSize()))
	}
	var err error
	if tr.trainNet, err = newNet(a, tensor.Float32, cfg.Batch, true, tr.weights); err != nil {
		return nil, err
	}
	tr.step = tr.trainNet.direct.(*directStep[float32])
	if tr.evalNet, err = newNet(a, tensor.Float32, evalBatch, false, tr.weights); err != nil {
		tr.trainNet.close()
		return nil, err
	}
	return tr, nil
}

func (tr *trainer) close() {
	tr.trainNet.close()
	tr.evalNet.close()
}

// effectiveLR is Keras's legacy SGD time-based decay at step it.
func (tr *trainer) effectiveLR(it int) float64 {
	return tr.lr / (1 + tr.cfg.Decay*float64(max(it, 0)))
}

// epoch runs one pass over full batches of order and returns the mean
// training loss and accuracy of the samples it saw (as Keras reports them:
// computed during the pass, with the weights of the moment).
func (tr *trainer) epoch(ctx context.Context, s *Set, order []int) (loss, acc float64, seen int, err error) {
	n := tr.trainNet
	b := n.batch
	k := tr.a.Classes
	var sumLoss float64
	correct := 0
	for start := 0; start+b <= len(order); start += b {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, err
		}
		idx := order[start : start+b]
		fillBatch(s, idx, n.xT, n.yT, nil)
		if err := n.run(); err != nil {
			return 0, 0, 0, fmt.Errorf("training step: %w", err)
		}
		c := tr.step.cost
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return 0, 0, 0, fmt.Errorf("training step %d: loss is %v", tr.iter+1, c)
		}
		sumLoss += c * float64(b)
		for i := range b {
			if argmaxOf(tr.step.logp[i*k:(i+1)*k]) == s.Labels[idx[i]] {
				correct++
			}
		}
		tr.sgdStep()
		seen += b
	}
	return sumLoss / float64(seen), float64(correct) / float64(seen), seen, nil
}

// sgdStep applies Keras's legacy SGD: lr_t = lr/(1+decay*iterations),
// v = momentum*v - lr_t*g, w += v. Written here rather than Gorgonia's
// Momentum solver so the rate can change between steps without rebuilding
// the solver, and so updates stay in place in the shared tensors.
func (tr *trainer) sgdStep() {
	lr := float32(tr.effectiveLR(tr.iter))
	mom := float32(tr.cfg.Momentum)
	for i, w := range tr.step.w {
		g, v := tr.step.g[i], tr.velocity[i]
		v = v[:len(w)]
		g = g[:len(w)]
		for j := range w {
			v[j] = mom*v[j] - lr*g[j]
			w[j] += v[j]
		}
	}
	tr.iter++
}

func scalar(v any) float64 {
	switch d := v.(type) {
	case float32:
		return float64(d)
	case float64:
		return d
	case []float32:
		return float64(d[0])
	case []float64:
		return d[0]
	}
	return math.NaN()
}

func argmaxOf[T float32 | float64](r []T) int {
	bi := 0
	for i, v := range r {
		if v > r[bi] {
			bi = i
		}
	}
	return bi
}

func argmax(r []float64) int {
	bi := 0
	for i, v := range r {
		if v > r[bi] {
			bi = i
		}
	}
	return bi
}

// evaluate runs the evaluation graph with the current weights and the
// training graph's running statistics.
func (tr *trainer) evaluate(s *Set, labelMap []int) (*Evaluation, error) {
	if err := tr.evalNet.copyStatsFrom(tr.trainNet); err != nil {
		return nil, err
	}
	return evalNet(tr.evalNet, s, labelMap)
}

// Evaluation holds metrics over a labelled set, in the model's class order.
type Evaluation struct {
	N         int
	Loss      float64
	Accuracy  float64
	PerClass  []float64 // accuracy per true class; NaN where the set has none
	Support   []int     // samples per true class
	Confusion [][]int   // [true][predicted]
	Correct   []bool    // per sample of the set, in its order
}

// Outcomes groups an evaluation of s by source: the evidence its accuracy
// rests on (see package trust).
func Outcomes(s *Set, ev *Evaluation) []trust.Outcome {
	sources := make([]string, s.N)
	classes := make([]string, s.N)
	for i := range s.N {
		sources[i] = s.SourceID(i)
		classes[i] = s.Classes[s.Labels[i]]
	}
	return trust.BySource(sources, classes, ev.Correct)
}

// evalNet runs an evaluation graph over s, padding the last batch with
// zero images whose outputs are ignored.
func evalNet(n *net, s *Set, labelMap []int) (*Evaluation, error) {
	k := n.a.Classes
	ev := &Evaluation{N: s.N, Confusion: make([][]int, k), Support: make([]int, k), PerClass: make([]float64, k),
		Correct: make([]bool, s.N)}
	for i := range ev.Confusion {
		ev.Confusion[i] = make([]int, k)
	}
	idx := make([]int, 0, n.batch)
	correct := 0
	for start := 0; start < s.N; start += n.batch {
		idx = idx[:0]
		for i := start; i < min(start+n.batch, s.N); i++ {
			idx = append(idx, i)
		}
		fillBatch(s, idx, n.xT, nil, nil)
		if err := n.run(); err != nil {
			return nil, fmt.Errorf("evaluation step: %w", err)
		}
		for slot, r := range rows(n.logProbs(), len(idx), k) {
			l := s.Labels[idx[slot]]
			if labelMap != nil {
				l = labelMap[l]
			}
			ev.Loss -= r[l]
			p := argmax(r)
			ev.Confusion[l][p]++
			if p == l {
				correct++
				ev.Correct[idx[slot]] = true
			}
		}
	}
	ev.Loss /= float64(s.N)
	ev.Accuracy = float64(correct) / float64(s.N)
	for c := range k {
		for _, v := range ev.Confusion[c] {
			ev.Support[c] += v
		}
		ev.PerClass[c] = math.NaN()
		if ev.Support[c] > 0 {
			ev.PerClass[c] = float64(ev.Confusion[c][c]) / float64(ev.Support[c])
		}
	}
	return ev, nil
}

// plateau is Keras's ReduceLROnPlateau (mode min, cooldown 0).
type plateau struct {
	factor, minDelta, minLR float64
	patience, wait          int
	best                    float64
}

func newPlateau(cfg Config) *plateau {
	return &plateau{factor: cfg.PlateauFactor, minDelta: cfg.PlateauMinDelta, minLR: cfg.PlateauMinLR,
		patience: cfg.PlateauPatience, best: math.Inf(1)}
}

// step returns the new learning rate and true when it reduces it.
func (p *plateau) step(cur, lr float64) (float64, bool) {
	if cur < p.best-p.minDelta {
		p.best = cur
		p.wait = 0
		return lr, false
	}
	p.wait++
	if p.wait < p.patience {
		return lr, false
	}
	p.wait = 0
	// Keras keeps the rate in a float32 variable and compares in float32.
	if float32(lr) <= float32(p.minLR) {
		return lr, false
	}
	return max(lr*p.factor, p.minLR), true
}

// early is Keras's EarlyStopping (mode min, baseline none).
type early struct {
	minDelta       float64
	patience, wait int
	best           float64
}

func newEarly(cfg Config) *early {
	return &early{minDelta: cfg.EarlyMinDelta, patience: cfg.EarlyPatience, best: math.Inf(1)}
}

// step reports whether cur improved on the best and whether to stop.
func (e *early) step(epoch int, cur float64) (improved, stop bool) {
	e.wait++
	// Keras negates min_delta for mode "min", then tests
	// less(current - min_delta, best): an improvement must beat best by more
	// than min_delta.
	if cur+e.minDelta < e.best {
		e.best = cur
		e.wait = 0
		improved = true
	}
	// Keras never stops after the first epoch (epoch > 0, 0-based).
	return improved, e.patience > 0 && e.wait >= e.patience && epoch > 1
}
