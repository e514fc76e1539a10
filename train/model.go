package train

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"

	"gorgonia.org/tensor"

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

// Load reads a model written by Save (model.bin or last.bin).
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	var f modelFile
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		return nil, fmt.Errorf("load model %s: not an augsplit model: %w", path, err)
	}
	if f.Format != modelFormat {
		return nil, fmt.Errorf("load model %s: format %q, want %q", path, f.Format, modelFormat)
	}
	m := &Model{Config: f.Config, Classes: f.Classes, Channels: f.Channels, Height: f.Height, Width: f.Width,
		Epoch: f.Epoch, params: f.Params, bnMean: f.BNMean, bnVar: f.BNVar}
	a := m.arch()
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	specs := a.specs()
	if len(m.params) != len(specs) || len(m.bnMean) != a.Blocks || len(m.bnVar) != a.Blocks {
		return nil, fmt.Errorf("load model %s: %d parameter tensors and %d batch-norm layers, want %d and %d",
			path, len(m.params), len(m.bnMean), len(specs), a.Blocks)
	}
	for i, s := range specs {
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		if len(m.params[i]) != n {
			return nil, fmt.Errorf("load model %s: %s has %d values, want %d", path, s.Name, len(m.params[i]), n)
		}
	}
	for i := range m.bnMean {
		if len(m.bnMean[i]) != a.Filters || len(m.bnVar[i]) != a.Filters {
			return nil, fmt.Errorf("load model %s: batch-norm %d statistics have the wrong length", path, i+1)
		}
	}
	return m, nil
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
	return rows(n.probs.Value().Data(), 1, len(m.Classes))[0], nil
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
	return evalNet(n, s, labelMap)
}

// writeFileAtomic writes a run file through the writer's atomic write
// (temporary file, sync, 0644, rename), so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	return writer.WriteFileAtomic(writer.OS, path, data)
}
