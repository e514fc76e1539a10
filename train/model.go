package train

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"gorgonia.org/tensor"

	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/writer"
)

// modelFormat names the gob layout of model.bin; bump it when the layout
// changes so an old file fails with a clear message.
const modelFormat = "augsplit-cnn/1"

// Model is a trained network: weights, batch-norm running statistics and
// what is needed to feed it (class names, input size and channels).
// Predict and Evaluate are safe for concurrent use.
type Model struct {
	Config   Config
	Classes  []string
	Channels int
	Height   int
	Width    int
	Epoch    int // the epoch these weights are from

	params [][]float32
	bnMean [][]float32
	bnVar  [][]float32

	mu   sync.Mutex
	eval *net // built on first use
}

// modelFile is the gob form of a Model.
type modelFile struct {
	Format   string
	Config   Config
	Classes  []string
	Channels int
	Height   int
	Width    int
	Epoch    int
	Names    []string
	Shapes   [][]int
	Params   [][]float32
	BNMean   [][]float32
	BNVar    [][]float32
}

func (m *Model) arch() arch { return archOf(m.Config, m.Channels, m.Height, m.Width, len(m.Classes)) }

// snapshot copies the current weights and running statistics.
func (tr *trainer) snapshot(cfg Config, classes []string, epoch int) *Model {
	m := &Model{Config: cfg, Classes: append([]string(nil), classes...), Channels: tr.a.C, Height: tr.a.H, Width: tr.a.W, Epoch: epoch}
	for _, w := range tr.weights {
		m.params = append(m.params, append([]float32(nil), w.Data().([]float32)...))
	}
	for _, op := range tr.trainNet.bn {
		mean, v := op.Stats()
		m.bnMean = append(m.bnMean, toF32(mean))
		m.bnVar = append(m.bnVar, toF32(v))
	}
	return m
}

// Save writes the model atomically (temp file + rename) as a gob.
func (m *Model) Save(path string) error {
	a := m.arch()
	f := modelFile{Format: modelFormat, Config: m.Config, Classes: m.Classes, Channels: m.Channels,
		Height: m.Height, Width: m.Width, Epoch: m.Epoch, Params: m.params, BNMean: m.bnMean, BNVar: m.bnVar}
	for _, s := range a.specs() {
		f.Names = append(f.Names, s.Name)
		f.Shapes = append(f.Shapes, s.Shape)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&f); err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

// Bounds on a model file, which is untrusted input (a model.bin may come
// from anywhere): every size in it is checked against these, and against
// the others, before anything is allocated from it or a graph is built.
const (
	maxModelSide     = 1 << 14 // input height and width
	maxModelFilters  = 1 << 12
	maxModelDense    = 1 << 16
	maxModelClasses  = 1 << 16
	maxModelBlocks   = 30
	maxModelParams   = 1 << 27 // 512 MiB of float32 weights
	maxEvalElements  = 1 << 30 // float32s of an evaluation graph's widest tensors: 4 GiB
	maxModelFileSize = 4*maxModelParams + 64<<20
)

// ModelError is a model file that cannot be used, and why.
type ModelError struct {
	Path string
	Msg  string
	Err  error
}

func (e *ModelError) Error() string {
	msg := e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return fmt.Sprintf("load model %s: %s (use a model.bin written by augsplit train, or train again)", e.Path, msg)
}

func (e *ModelError) Unwrap() error { return e.Err }

// Load reads a model written by Save (model.bin or last.bin). The file is
// checked field by field, and every shape against the others, before any
// graph is built from it: a crafted or damaged file is a *ModelError, never
// a panic or an allocation it dictates.
func Load(path string) (*Model, error) {
	f, err := safefile.Open(context.Background(), path, maxModelFileSize)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer f.Close()
	return readModel(path, bufio.NewReader(f))
}

// readModel decodes and validates a model from r; path names it in errors.
func readModel(path string, r io.Reader) (*Model, error) {
	var f modelFile
	if err := gob.NewDecoder(r).Decode(&f); err != nil {
		var tb *safefile.TooBigError
		if errors.As(err, &tb) {
			return nil, err
		}
		return nil, &ModelError{Path: path, Msg: "not an augsplit model", Err: err}
	}
	if f.Format != modelFormat {
		return nil, &ModelError{Path: path, Msg: fmt.Sprintf("format %q, want %q", f.Format, modelFormat)}
	}
	if err := f.check(); err != nil {
		return nil, &ModelError{Path: path, Msg: err.Error()}
	}
	return &Model{Config: f.Config, Classes: f.Classes, Channels: f.Channels, Height: f.Height, Width: f.Width,
		Epoch: f.Epoch, params: f.Params, bnMean: f.BNMean, bnVar: f.BNVar}, nil
}

// check validates a decoded model file: header fields within bounds first
// (so that no size computed from them overflows or allocates much), then
// the tensors against the shapes the header implies, then every value.
func (f *modelFile) check() error {
	c := f.Config
	inRange := func(name string, v, lo, hi int) error {
		if v < lo || v > hi {
			return fmt.Errorf("%s is %d, want %d to %d", name, v, lo, hi)
		}
		return nil
	}
	for _, err := range []error{
		inRange("blocks", c.Blocks, 1, maxModelBlocks),
		inRange("filters", c.Filters, 1, maxModelFilters),
		inRange("dense", c.Dense, 1, maxModelDense),
		inRange("height", f.Height, 2, maxModelSide),
		inRange("width", f.Width, 2, maxModelSide),
		inRange("classes", len(f.Classes), 2, maxModelClasses),
		inRange("epoch", f.Epoch, 0, math.MaxInt32),
	} {
		if err != nil {
			return err
		}
	}
	if f.Channels != 1 && f.Channels != 3 {
		return fmt.Errorf("channels is %d, want 1 or 3", f.Channels)
	}
	if !(c.BNEpsilon > 0) || math.IsInf(c.BNEpsilon, 0) {
		return fmt.Errorf("bn_epsilon is %g, want a finite number > 0", c.BNEpsilon)
	}
	if !(c.BNMomentum >= 0 && c.BNMomentum < 1) {
		return fmt.Errorf("bn_momentum is %g, want [0, 1)", c.BNMomentum)
	}
	seen := make(map[string]bool, len(f.Classes))
	for i, name := range f.Classes {
		if name == "" || seen[name] {
			return fmt.Errorf("class %d is %q: want non-empty, distinct names", i, name)
		}
		// predict prints class names to a terminal: a control character
		// (an escape sequence) would be the file's, not augsplit's, output.
		if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			return fmt.Errorf("class %d is %q: want printable UTF-8, no control characters", i, name)
		}
		seen[name] = true
	}
	a := archOf(c, f.Channels, f.Height, f.Width, len(f.Classes))
	if err := a.validate(); err != nil {
		return err
	}
	// Bounded factors: none of these products overflows an int64.
	evalElems := int64(evalBatch) * int64(a.C+a.Filters) * int64(a.H) * int64(a.W)
	if evalElems > maxEvalElements {
		return fmt.Errorf("a %dx%dx%d input with %d filters needs %d MiB to evaluate, over the limit of %d MiB",
			a.C, a.H, a.W, a.Filters, evalElems*4>>20, maxEvalElements*4>>20)
	}
	specs := a.specs()
	var total int64
	for _, s := range specs {
		n := int64(1)
		for _, d := range s.Shape {
			n *= int64(d)
		}
		total += n
	}
	if total > maxModelParams {
		return fmt.Errorf("the architecture has %d parameters, over the limit of %d", total, maxModelParams)
	}
	if len(f.Params) != len(specs) || len(f.BNMean) != a.Blocks || len(f.BNVar) != a.Blocks {
		return fmt.Errorf("%d parameter tensors and %d batch-norm layers, want %d and %d",
			len(f.Params), len(f.BNMean), len(specs), a.Blocks)
	}
	if len(f.Names) != len(specs) || len(f.Shapes) != len(specs) {
		return fmt.Errorf("%d tensor names and %d shapes, want %d", len(f.Names), len(f.Shapes), len(specs))
	}
	for i, s := range specs {
		if f.Names[i] != s.Name || !slices.Equal(f.Shapes[i], s.Shape) {
			return fmt.Errorf("tensor %d is %s %v, the architecture wants %s %v", i+1, f.Names[i], f.Shapes[i], s.Name, s.Shape)
		}
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		if len(f.Params[i]) != n {
			return fmt.Errorf("%s has %d values, want %d", s.Name, len(f.Params[i]), n)
		}
		if j := nonFinite(f.Params[i]); j >= 0 {
			return fmt.Errorf("%s value %d is %g: the weights are corrupt", s.Name, j, f.Params[i][j])
		}
	}
	for i := range f.BNMean {
		if len(f.BNMean[i]) != a.Filters || len(f.BNVar[i]) != a.Filters {
			return fmt.Errorf("batch-norm %d statistics have %d and %d values, want %d", i+1, len(f.BNMean[i]), len(f.BNVar[i]), a.Filters)
		}
		if j := nonFinite(f.BNMean[i]); j >= 0 {
			return fmt.Errorf("batch-norm %d mean %d is %g: the statistics are corrupt", i+1, j, f.BNMean[i][j])
		}
		for j, v := range f.BNVar[i] {
			if !(v >= 0) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("batch-norm %d variance %d is %g, want a finite number >= 0", i+1, j, v)
			}
		}
	}
	return nil
}

// nonFinite returns the index of the first NaN or infinity in v, or -1.
func nonFinite(v []float32) int {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}

// finiteRows checks a network's output: finite weights can still overflow
// to infinities on extreme inputs or weights, and a NaN probability must
// not be printed as a prediction.
func finiteRows(rs [][]float64) error {
	for i, r := range rs {
		for k, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("sample %d: probability of class %d is %g: the model's weights overflow on this input", i, k, v)
			}
		}
	}
	return nil
}

// evalNet returns the model's evaluation graph, building it once.
func (m *Model) evalNet() (*net, error) {
	if m.eval != nil {
		return m.eval, nil
	}
	a := m.arch()
	ws := make([]*tensor.Dense, len(m.params))
	for i, s := range a.specs() {
		ws[i] = tensor.New(tensor.WithShape(s.Shape...), tensor.WithBacking(append([]float32(nil), m.params[i]...)))
	}
	n, err := newNet(a, tensor.Float32, evalBatch, false, ws)
	if err != nil {
		return nil, err
	}
	// After NewTapeMachine: building a machine resets statistics.
	for i, op := range n.bn {
		if err := op.SetStats(toF64(m.bnMean[i]), toF64(m.bnVar[i])); err != nil {
			n.close()
			return nil, fmt.Errorf("set batch-norm statistics: %w", err)
		}
	}
	m.eval = n
	return n, nil
}

// Predict returns class probabilities for img, resized to the model's input.
func (m *Model) Predict(img image.Image) ([]float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.evalNet()
	if err != nil {
		return nil, err
	}
	s := NewSet(m.Channels, m.Height, m.Width, m.Classes)
	if err := s.Add(img, 0); err != nil {
		return nil, err
	}
	fillBatch(s, []int{0}, n.xT, nil, nil)
	if err := n.run(); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	out := rows(n.probs.Value().Data(), 1, len(m.Classes))
	if err := finiteRows(out); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	return out[0], nil
}

// PredictSet returns class probabilities for every sample of s, which must
// have the model's channels and size.
func (m *Model) PredictSet(s *Set) ([][]float64, error) {
	if s.C != m.Channels || s.H != m.Height || s.W != m.Width {
		return nil, fmt.Errorf("predict: images are %dx%dx%d, the model takes %dx%dx%d",
			s.C, s.H, s.W, m.Channels, m.Height, m.Width)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.evalNet()
	if err != nil {
		return nil, err
	}
	var out [][]float64
	for start := 0; start < s.N; start += n.batch {
		idx := make([]int, 0, n.batch)
		for i := start; i < min(start+n.batch, s.N); i++ {
			idx = append(idx, i)
		}
		fillBatch(s, idx, n.xT, nil, nil)
		if err := n.run(); err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
		out = append(out, rows(n.probs.Value().Data(), len(idx), len(m.Classes))...)
	}
	if err := finiteRows(out); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	return out, nil
}

// UnknownClassError reports a class of an evaluation set that the model was
// not trained on.
type UnknownClassError struct {
	Class string
	Known []string
}

func (e *UnknownClassError) Error() string {
	return fmt.Sprintf("class %q is not one the model knows (it knows %q)", e.Class, e.Known)
}

// Evaluate computes loss, accuracy, per-class accuracy and the confusion
// matrix of m on s. Classes are matched by name, so s may list a subset of
// the model's classes in any order; a class the model does not know is an
// *UnknownClassError. s must have the model's channels and size.
func Evaluate(m *Model, s *Set) (*Evaluation, error) {
	if err := s.check("evaluation"); err != nil {
		return nil, err
	}
	if s.C != m.Channels || s.H != m.Height || s.W != m.Width {
		return nil, fmt.Errorf("evaluation images are %dx%dx%d, the model takes %dx%dx%d",
			s.C, s.H, s.W, m.Channels, m.Height, m.Width)
	}
	index := make(map[string]int, len(m.Classes))
	for i, c := range m.Classes {
		index[c] = i
	}
	labelMap := make([]int, len(s.Classes))
	var errs []error
	for i, c := range s.Classes {
		j, ok := index[c]
		if !ok {
			errs = append(errs, &UnknownClassError{Class: c, Known: m.Classes})
		}
		labelMap[i] = j
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.evalNet()
	if err != nil {
		return nil, err
	}
	ev, err := evalNet(n, s, labelMap)
	if err != nil {
		return nil, err
	}
	if math.IsNaN(ev.Loss) {
		return nil, errors.New("evaluation loss is NaN: the model's weights overflow on these images")
	}
	return ev, nil
}

// writeFileAtomic writes a run file through the writer's atomic write
// (temporary file, sync, 0644, rename), so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	return writer.WriteFileAtomic(writer.OS, path, data)
}
