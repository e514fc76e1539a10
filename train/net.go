package train

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// paramSpec describes one trainable tensor and how Keras initialises it.
type paramSpec struct {
	Name   string
	Shape  []int
	Init   string // "he_normal", "glorot_uniform", "ones", "zeros"
	FanIn  int
	FanOut int
}

// arch is the fixed shape of a network: everything needed to rebuild it.
type arch struct {
	Filters, Blocks, Dense int
	C, H, W, Classes       int
	BNMomentum, BNEpsilon  float64
}

func archOf(cfg Config, c, h, w, classes int) arch {
	return arch{
		Filters: cfg.Filters, Blocks: cfg.Blocks, Dense: cfg.Dense,
		C: c, H: h, W: w, Classes: classes,
		BNMomentum: cfg.BNMomentum, BNEpsilon: cfg.BNEpsilon,
	}
}

// flat is the length of the flattened feature map after the last block.
func (a arch) flat() int { return a.Filters * (a.H >> a.Blocks) * (a.W >> a.Blocks) }

func (a arch) validate() error {
	if a.C < 1 || a.Classes < 2 {
		return fmt.Errorf("need >= 1 channel and >= 2 classes, got %d channels and %d classes", a.C, a.Classes)
	}
	if a.Filters < 1 || a.Dense < 1 {
		return fmt.Errorf("need >= 1 filter and >= 1 dense unit, got %d and %d", a.Filters, a.Dense)
	}
	if a.Blocks < 1 {
		return fmt.Errorf("need >= 1 block, got %d", a.Blocks)
	}
	if a.Blocks >= 31 || a.H>>a.Blocks < 1 || a.W>>a.Blocks < 1 {
		return fmt.Errorf("input %dx%d is too small for %d blocks of 2x2 pooling", a.H, a.W, a.Blocks)
	}
	return nil
}

// specs lists the parameters in a fixed order: per block conv kernel, BN
// gamma, BN beta; then dense kernel and bias, output kernel and bias. The
// convolutions have no bias: batch norm subtracts the batch mean right
// after, so a conv bias (Keras's default) has no effect on any output.
func (a arch) specs() []paramSpec {
	var s []paramSpec
	in := a.C
	for b := range a.Blocks {
		s = append(s,
			paramSpec{Name: fmt.Sprintf("conv%d", b+1), Shape: []int{a.Filters, in, 3, 3}, Init: "he_normal", FanIn: in * 9, FanOut: a.Filters * 9},
			paramSpec{Name: fmt.Sprintf("bn%d_gamma", b+1), Shape: []int{1, a.Filters, 1, 1}, Init: "ones"},
			paramSpec{Name: fmt.Sprintf("bn%d_beta", b+1), Shape: []int{1, a.Filters, 1, 1}, Init: "zeros"},
		)
		in = a.Filters
	}
	f := a.flat()
	s = append(s,
		paramSpec{Name: "dense_kernel", Shape: []int{f, a.Dense}, Init: "glorot_uniform", FanIn: f, FanOut: a.Dense},
		paramSpec{Name: "dense_bias", Shape: []int{1, a.Dense}, Init: "zeros"},
		paramSpec{Name: "out_kernel", Shape: []int{a.Dense, a.Classes}, Init: "glorot_uniform", FanIn: a.Dense, FanOut: a.Classes},
		paramSpec{Name: "out_bias", Shape: []int{1, a.Classes}, Init: "zeros"},
	)
	return s
}

// initParams draws the initial weights from seed, in float64 so that a
// float32 and a float64 network of one seed start from the same point.
func (a arch) initParams(seed uint64) [][]float64 {
	r := newRand(seed, 1)
	var out [][]float64
	for _, s := range a.specs() {
		n := 1
		for _, d := range s.Shape {
			n *= d
		}
		w := make([]float64, n)
		switch s.Init {
		case "he_normal":
			heNormal(r, w, s.FanIn)
		case "glorot_uniform":
			glorotUniform(r, w, s.FanIn, s.FanOut)
		case "ones":
			for i := range w {
				w[i] = 1
			}
		}
		out = append(out, w)
	}
	return out
}

// net is one network: a training network (batch statistics, loss and
// gradients) or an evaluation graph (running statistics, log-probabilities
// only) that shares the training network's weight tensors. The fused
// training network runs directStep; the others are Gorgonia graphs.
type net struct {
	a      arch
	dt     tensor.Dtype
	batch  int
	train  bool
	g      *G.ExprGraph
	x, y   *G.Node // input (B,C,H,W) and one-hot labels (B,K); y nil in eval
	xT, yT *tensor.Dense
	params G.Nodes
	fused  bool
	bn     []bnLayer
	logp   *G.Node // (B,K) log-probabilities
	probs  *G.Node // exp(logp): never SoftMax next to LogSoftMax (they collapse)
	cost   *G.Node
	grads  G.Nodes
	vm     G.VM
	direct stepper // the fused training network's step; nil for graphs
}

// stepper is directStep of either float type.
type stepper interface {
	run() error
	loss() float64
	logProbs() any      // []T, (batch, classes) row-major
	gradient(i int) any // []T, parameter i of specs
}

func (s *directStep[T]) loss() float64      { return s.cost }
func (s *directStep[T]) logProbs() any      { return s.logp }
func (s *directStep[T]) gradient(i int) any { return s.g[i] }

// newNet builds and compiles a graph. weights are bound as they are (not
// copied): an evaluation net given a training net's tensors sees every
// update without copying.
func newNet(a arch, dt tensor.Dtype, batch int, train bool, weights []*tensor.Dense) (*net, error) {
	return buildNet(a, dt, batch, train, true, weights)
}

// buildNet builds the network with fused conv blocks (convBlockOp: a
// directStep to train, a graph to evaluate) or, for fused false, a graph
// from Gorgonia's own Conv2d and BatchNorm with the custom ELU and pool:
// the reference the fused network is tested against.
func buildNet(a arch, dt tensor.Dtype, batch int, train, fused bool, weights []*tensor.Dense) (*net, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	specs := a.specs()
	if len(weights) != len(specs) {
		return nil, fmt.Errorf("build network: %d weight tensors for %d parameters", len(weights), len(specs))
	}
	n := &net{a: a, dt: dt, batch: batch, train: train, fused: fused}
	n.xT = tensor.New(tensor.Of(dt), tensor.WithShape(batch, a.C, a.H, a.W))
	for i, s := range specs {
		if w := weights[i]; !w.Shape().Eq(tensor.Shape(s.Shape)) || w.Dtype() != dt {
			return nil, fmt.Errorf("build network: %s is %v %v, want %v %v", s.Name, w.Shape(), w.Dtype(), s.Shape, dt)
		}
	}
	if train && fused {
		n.yT = tensor.New(tensor.Of(dt), tensor.WithShape(batch, a.Classes))
		switch dt {
		case tensor.Float32:
			n.direct = newNetStep[float32](n, weights)
		case tensor.Float64:
			n.direct = newNetStep[float64](n, weights)
		default:
			return nil, fmt.Errorf("build network: unsupported dtype %v", dt)
		}
		return n, nil
	}
	n.g = G.NewGraph()
	n.x = G.NewTensor(n.g, dt, 4, G.WithShape(batch, a.C, a.H, a.W), G.WithName("x"), G.WithValue(n.xT))
	for i, s := range specs {
		n.params = append(n.params, G.NewTensor(n.g, dt, len(s.Shape), G.WithShape(s.Shape...), G.WithName(s.Name), G.WithValue(weights[i])))
	}
	if err := n.forward(); err != nil {
		return nil, fmt.Errorf("build network: %w", err)
	}
	if train {
		n.yT = tensor.New(tensor.Of(dt), tensor.WithShape(batch, a.Classes))
		n.y = G.NewMatrix(n.g, dt, G.WithShape(batch, a.Classes), G.WithName("y"), G.WithValue(n.yT))
		if err := n.loss(); err != nil {
			return nil, fmt.Errorf("build loss: %w", err)
		}
		n.vm = G.NewTapeMachine(n.g)
	} else {
		n.vm = G.NewTapeMachine(n.g, G.EvalMode())
	}
	return n, nil
}

func (n *net) forward() error {
	a := n.a
	h := n.x
	p := 0
	for b := range a.Blocks {
		if n.fused {
			y, op, err := convBlock(h, n.params[p], n.params[p+1], n.params[p+2], a.BNMomentum, a.BNEpsilon)
			if err != nil {
				return fmt.Errorf("block %d: %w", b+1, err)
			}
			n.bn = append(n.bn, op)
			h = y
			p += 3
			continue
		}
		conv, err := G.Conv2d(h, n.params[p], tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1})
		if err != nil {
			return fmt.Errorf("block %d conv: %w", b+1, err)
		}
		// Gorgonia's momentum is the weight of the new batch: Keras's 0.99
		// (weight kept by the running value) is 0.01 here.
		bn, _, _, op, err := G.BatchNorm(conv, n.params[p+1], n.params[p+2], 1-a.BNMomentum, a.BNEpsilon)
		if err != nil {
			return fmt.Errorf("block %d batch norm: %w", b+1, err)
		}
		n.bn = append(n.bn, gorgoniaBN{op})
		act, err := ELU(bn)
		if err != nil {
			return fmt.Errorf("block %d elu: %w", b+1, err)
		}
		if h, err = AvgPool2x2(act); err != nil {
			return fmt.Errorf("block %d pool: %w", b+1, err)
		}
		p += 3
	}
	flat, err := G.Reshape(h, tensor.Shape{n.batch, a.flat()})
	if err != nil {
		return fmt.Errorf("flatten: %w", err)
	}
	dense, err := affine(flat, n.params[p], n.params[p+1])
	if err != nil {
		return fmt.Errorf("dense: %w", err)
	}
	if dense, err = ELU(dense); err != nil {
		return fmt.Errorf("dense elu: %w", err)
	}
	logits, err := affine(dense, n.params[p+2], n.params[p+3])
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if n.logp, err = G.LogSoftMax(logits, 1); err != nil {
		return fmt.Errorf("log-softmax: %w", err)
	}
	if n.probs, err = G.Exp(n.logp); err != nil {
		return fmt.Errorf("probabilities: %w", err)
	}
	return nil
}

func affine(x, w, b *G.Node) (*G.Node, error) {
	m, err := G.Mul(x, w)
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(m, b, nil, []byte{0})
}

// loss is categorical cross-entropy, -mean(sum(y*logp, 1)). Training
// batches are always full (the last partial batch is dropped), so the mean
// over the batch is the mean over real samples.
func (n *net) loss() error {
	yl, err := G.HadamardProd(n.y, n.logp)
	if err != nil {
		return err
	}
	s, err := G.Sum(yl, 1)
	if err != nil {
		return err
	}
	m, err := G.Mean(s)
	if err != nil {
		return err
	}
	if n.cost, err = G.Neg(m); err != nil {
		return err
	}
	n.grads, err = G.Grad(n.cost, n.params...)
	return err
}

// newNetStep builds the direct step of a fused training network over its
// input, label and weight tensors.
func newNetStep[T float32 | float64](n *net, weights []*tensor.Dense) *directStep[T] {
	ws := make([][]T, len(weights))
	for i, w := range weights {
		ws[i] = w.Data().([]T)
	}
	s := newDirectStep(n.a, n.batch, n.xT.Data().([]T), n.yT.Data().([]T), ws)
	for _, op := range s.blocks {
		n.bn = append(n.bn, op)
	}
	return s
}

// run executes the network once on the values already in xT (and yT). A
// graph's machine is reset first, not after, so node values stay readable.
func (n *net) run() error {
	if n.direct != nil {
		return n.direct.run()
	}
	n.vm.Reset()
	return n.vm.RunAll()
}

// lossValue is the last training run's loss.
func (n *net) lossValue() float64 {
	if n.direct != nil {
		return n.direct.loss()
	}
	return scalar(n.cost.Value().Data())
}

// logProbs is the last run's log-probabilities, (batch, classes)
// row-major, as []float32 or []float64.
func (n *net) logProbs() any {
	if n.direct != nil {
		return n.direct.logProbs()
	}
	return n.logp.Value().Data()
}

// gradient is the last training run's gradient of parameter i (specs
// order), as []float32 or []float64; nil if there is none.
func (n *net) gradient(i int) any {
	if n.direct != nil {
		return n.direct.gradient(i)
	}
	if v := n.grads[i].Value(); v != nil {
		return v.Data()
	}
	return nil
}

// bnLayer is a batch norm's running statistics.
type bnLayer interface {
	Stats() (mean, variance []float64)
	SetStats(mean, variance []float64) error
}

// gorgoniaBN adapts Gorgonia's BatchNormOp (reference networks only).
type gorgoniaBN struct{ op *G.BatchNormOp }

func (g gorgoniaBN) Stats() (mean, variance []float64) {
	m, v := g.op.Stats()
	return toF64(m.Data()), toF64(v.Data())
}

func (g gorgoniaBN) SetStats(mean, variance []float64) error {
	m, _ := g.op.Stats()
	dt := m.Dtype()
	mk := func(x []float64) tensor.Tensor {
		if dt == tensor.Float32 {
			return tensor.New(tensor.WithShape(len(x)), tensor.WithBacking(toF32(x)))
		}
		return tensor.New(tensor.WithShape(len(x)), tensor.WithBacking(append([]float64(nil), x...)))
	}
	return g.op.SetStats(mk(mean), mk(variance))
}

func toF64(v any) []float64 {
	switch d := v.(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// copyStatsFrom copies batch-norm running statistics (before evaluating:
// the evaluation graph has its own batch-norm ops).
func (n *net) copyStatsFrom(src *net) error {
	for i, op := range n.bn {
		m, v := src.bn[i].Stats()
		if err := op.SetStats(m, v); err != nil {
			return fmt.Errorf("copy batch-norm statistics of block %d: %w", i+1, err)
		}
	}
	return nil
}

func (n *net) close() {
	if n.vm != nil {
		n.vm.Close()
	}
}

// newWeights allocates tensors of dt holding vals.
func newWeights(a arch, dt tensor.Dtype, vals [][]float64) []*tensor.Dense {
	specs := a.specs()
	out := make([]*tensor.Dense, len(specs))
	for i, s := range specs {
		switch dt {
		case tensor.Float32:
			d := make([]float32, len(vals[i]))
			for j, v := range vals[i] {
				d[j] = float32(v)
			}
			out[i] = tensor.New(tensor.WithShape(s.Shape...), tensor.WithBacking(d))
		default:
			out[i] = tensor.New(tensor.WithShape(s.Shape...), tensor.WithBacking(append([]float64(nil), vals[i]...)))
		}
	}
	return out
}
