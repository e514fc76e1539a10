package train

import (
	"fmt"
	"hash"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convBlockOp is one whole block, Conv2D(3x3, same, no bias) -> BatchNorm
// -> ELU -> AveragePool 2x2. With 1-2 input and 2 output channels the
// convolution is tiny; built from Gorgonia's ops it spends its time in
// im2col, transposes, broadcasts and one allocation per node per step
// rather than in arithmetic. Fused, the forward pass is a direct
// convolution plus one pass per stage (blockForward), and the backward pass
// (blockBackward) reuses the normalised values and ELU derivatives cached
// by the forward pass.
//
// Training runs the block from directStep; evaluation graphs apply it as a
// Gorgonia op (convBlock). Inputs: x (B,Cin,H,W), kernel (F,Cin,3,3), gamma
// and beta (1,F,1,1). Output: (B,F,H/2,W/2). Batch statistics in training
// mode, running statistics in evaluation mode (set by the machine through
// SetTraining).
//
// The op holds per-step state (caches, gradients), so one instance belongs
// to one block of one network, which runs one step at a time.
type convBlockOp struct {
	id                   uint64
	b, cin, h, w, f      int
	newWeight, eps       float64 // running = newWeight*batch + (1-newWeight)*running
	needDX               bool    // false for the first block: no gradient of the input images
	training             bool
	runMean, runVar      []float64
	invStd               []float64 // of the last forward pass
	xhat, act            any       // []T caches of the last forward pass (B*F*H*W): normalised input, ELU derivative
	rows                 any       // []T scratch: two activation rows per sample
	dw, dgamma, dbeta    any       // []T gradients of the last backward pass
	dwPart, part         any       // per-sample partial sums
	kflip                any       // []T: the kernel turned for the input gradient
	sumGU, sumGUX, stats []float64 // scratch
	// out is the op's output, reused every step: the tape machine calls
	// Do, which would otherwise allocate it.
	out *tensor.Dense
}

var convBlockIDs atomic.Uint64

// newConvBlockOp returns a block for input (b, cin, h, w) with f filters,
// in training mode. momentum is Keras's (the weight kept by the running
// statistics); needDX false skips the input gradient (the first block).
func newConvBlockOp(b, cin, h, w, f int, momentum, eps float64, needDX bool) *convBlockOp {
	op := &convBlockOp{
		id: convBlockIDs.Add(1), b: b, cin: cin, h: h, w: w, f: f,
		newWeight: 1 - momentum, eps: eps, needDX: needDX, training: true,
		runMean: make([]float64, f), runVar: make([]float64, f), invStd: make([]float64, f),
		sumGU: make([]float64, f), sumGUX: make([]float64, f), stats: make([]float64, 2*f),
	}
	for i := range op.runVar {
		op.runVar[i] = 1
	}
	return op
}

// convBlock applies a new fused block to x in a graph (forward only: the
// op has no symbolic gradient, training runs directStep).
func convBlock(x, kernel, gamma, beta *G.Node, momentum, eps float64) (*G.Node, *convBlockOp, error) {
	xs, ks := x.Shape(), kernel.Shape()
	if xs.Dims() != 4 || ks.Dims() != 4 || ks[1] != xs[1] || ks[2] != 3 || ks[3] != 3 {
		return nil, nil, fmt.Errorf("conv block: input %v and kernel %v do not fit", xs, ks)
	}
	if xs[2] < 2 || xs[3] < 2 {
		return nil, nil, fmt.Errorf("conv block: input %v is smaller than the 2x2 pool", xs)
	}
	op := newConvBlockOp(xs[0], xs[1], xs[2], xs[3], ks[0], momentum, eps, false)
	y, err := G.ApplyOp(op, x, kernel, gamma, beta)
	if err != nil {
		return nil, nil, err
	}
	return y, op, nil
}

func t4() hm.Type { return tensorType(4) }

func (op *convBlockOp) Arity() int { return 4 }
func (op *convBlockOp) Type() hm.Type {
	t := t4()
	return hm.NewFnType(t, t, t, t, t)
}
func (op *convBlockOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.b, op.f, op.h / 2, op.w / 2}, nil
}
func (op *convBlockOp) ReturnsPtr() bool      { return false }
func (op *convBlockOp) CallsExtern() bool     { return false }
func (op *convBlockOp) OverwritesInput() int  { return -1 }
func (op *convBlockOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "augsplit-convblock-%d", op.id) }
func (op *convBlockOp) Hashcode() uint32      { return hashOf(fmt.Sprintf("augsplit-convblock-%d", op.id)) }
func (op *convBlockOp) String() string        { return fmt.Sprintf("ConvBlock%d", op.id) }

// SetTraining switches between batch and running statistics. Unlike
// Gorgonia's BatchNormOp it does not reset the running statistics.
func (op *convBlockOp) SetTraining(training bool) error { op.training = training; return nil }

// Stats returns copies of the running mean and variance.
func (op *convBlockOp) Stats() (mean, variance []float64) {
	return append([]float64(nil), op.runMean...), append([]float64(nil), op.runVar...)
}

// SetStats copies running statistics in.
func (op *convBlockOp) SetStats(mean, variance []float64) error {
	if len(mean) != op.f || len(variance) != op.f {
		return fmt.Errorf("conv block: %d/%d statistics for %d channels", len(mean), len(variance), op.f)
	}
	copy(op.runMean, mean)
	copy(op.runVar, variance)
	return nil
}

func (op *convBlockOp) Do(vs ...G.Value) (G.Value, error) {
	x, err := denseOf("conv block", vs[0])
	if err != nil {
		return nil, err
	}
	s, _ := op.InferShape()
	return op.UsePreallocDo(reuse(&op.out, x.Dtype(), s), vs...)
}

// reuse returns *slot when it has dtype dt and shape s, else a new tensor
// that it keeps there. An op's output lives from its step to the next
// step's call, which overwrites it: nothing reads it in between, since a
// graph runs one step at a time and the tape machine resets its registers
// before each.
func reuse(slot **tensor.Dense, dt tensor.Dtype, s tensor.Shape) *tensor.Dense {
	if d := *slot; d != nil && d.Dtype() == dt && d.Shape().Eq(s) {
		return d
	}
	*slot = tensor.New(tensor.Of(dt), tensor.WithShape(s.Clone()...))
	return *slot
}

// fits reports whether prealloc is a dense tensor of dt and shape s: the
// tape machine hands ops a register's previous value, which may belong to
// another node.
func fits(prealloc G.Value, dt tensor.Dtype, s tensor.Shape) bool {
	d, ok := prealloc.(*tensor.Dense)
	return ok && d.Dtype() == dt && d.Shape().Eq(s)
}

func (op *convBlockOp) UsePreallocDo(prealloc G.Value, vs ...G.Value) (G.Value, error) {
	if s, _ := op.InferShape(); len(vs) > 0 && !fits(prealloc, vs[0].Dtype(), s) {
		return op.Do(vs...)
	}
	var ds [5]*tensor.Dense
	for i, v := range append([]G.Value{prealloc}, vs...) {
		d, err := denseOf("conv block", v)
		if err != nil {
			return nil, err
		}
		ds[i] = d
	}
	switch ds[1].Dtype() {
	case tensor.Float32:
		blockForward[float32](op, ds[1].Float32s(), ds[2].Float32s(), ds[3].Float32s(), ds[4].Float32s(), ds[0].Float32s())
	case tensor.Float64:
		blockForward[float64](op, ds[1].Float64s(), ds[2].Float64s(), ds[3].Float64s(), ds[4].Float64s(), ds[0].Float64s())
	default:
		return nil, fmt.Errorf("conv block: unsupported dtype %v", ds[1].Dtype())
	}
	return ds[0], nil
}

// buf returns a []T of length n kept in *slot, allocating once.
func buf[T float32 | float64](slot *any, n int) []T {
	if s, ok := (*slot).([]T); ok && len(s) == n {
		return s
	}
	s := make([]T, n)
	*slot = s
	return s
}

func blockForward[T float32 | float64](op *convBlockOp, x, k, gamma, beta, y []T) {
	B, C, H, W, F := op.b, op.cin, op.h, op.w, op.f
	hw := H * W
	n := B * F * hw
	z := buf[T](&op.xhat, n)
	act := buf[T](&op.act, n)
	// Per-plane partial sums, reduced in sample order afterwards, so the
	// result does not depend on how samples were spread over goroutines.
	part := buf[float64](&op.part, 2*B*F)
	mean, variance := op.stats[:F], op.stats[F:]
	parallelFor(B, hw*F*C, func(b int) {
		xb := x[b*C*hw : (b+1)*C*hw]
		for f := range F {
			p := b*F + f
			zp := z[p*hw : (p+1)*hw]
			convPlane(zp, xb, k[f*C*9:(f+1)*C*9], C, H, W)
			if op.training {
				part[2*p], part[2*p+1] = sumSq(zp)
			}
		}
	})
	if op.training {
		cnt := float64(B * hw)
		for f := range F {
			var s, ss float64
			for b := range B {
				s += part[2*(b*F+f)]
				ss += part[2*(b*F+f)+1]
			}
			m := s / cnt
			// One pass (sum and sum of squares, in float64): the values
			// are float32 conv outputs, so the cancellation in
			// E[z^2]-m^2 stays far below float32's resolution.
			v := max(ss/cnt-m*m, 0)
			mean[f], variance[f] = m, v
			// Running variance is the unbiased estimate, as Gorgonia's and
			// Keras's fused batch norm keep it.
			op.runMean[f] = op.newWeight*m + (1-op.newWeight)*op.runMean[f]
			op.runVar[f] = op.newWeight*v*cnt/math.Max(cnt-1, 1) + (1-op.newWeight)*op.runVar[f]
		}
	} else {
		copy(mean, op.runMean)
		copy(variance, op.runVar)
	}
	for f := range F {
		op.invStd[f] = 1 / math.Sqrt(variance[f]+op.eps)
	}
	// Normalise in place (z becomes xhat), scale, shift, ELU and pool.
	oh, ow := H/2, W/2
	scratch := buf[T](&op.rows, B*2*W)
	parallelFor(B, hw*F, func(b int) {
		rows := scratch[b*2*W : (b+1)*2*W]
		for f := range F {
			p := b*F + f
			normEluPoolPlane(z[p*hw:(p+1)*hw], act[p*hw:(p+1)*hw], y[p*oh*ow:(p+1)*oh*ow], rows, H, W,
				T(mean[f]), T(op.invStd[f]), gamma[f], beta[f])
		}
	})
}

// expf is exp for float32 (Cephes's expf: range reduction by ln 2, a degree
// 6 polynomial, scaling by 2^n through the exponent bits): within 2 ulp of
// math.Exp rounded to float32, at a third of its cost, which was the
// largest single item of the forward pass.
func expf(x float32) float32 {
	if x < -87.3 { // below float32's smallest normal: flush to 0
		return 0
	}
	if x > 88 {
		return float32(math.Inf(1))
	}
	// Round x/ln2 to the nearest integer without math.Floor's float64 trip.
	t := x * 1.44269504088896341
	ni := int32(t + 0.5)
	if t < -0.5 {
		ni = int32(t - 0.5)
	}
	n := float32(ni)
	r := x - n*0.693359375 - n*-2.12194440e-4
	p := ((((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r+5.0000001201e-1)*r*r + r) + 1
	return p * math.Float32frombits(uint32(ni+127)<<23)
}

// parallelFor runs fn(0..n-1) on up to GOMAXPROCS goroutines, the
// caller's included, when each item has enough work (elements) to pay for
// a goroutine; items must write disjoint memory. Items are claimed one at a
// time, so on a loaded machine the caller goes on alone rather than wait
// for a goroutine the scheduler has not started; which goroutine ran an
// item never changes a result.
func parallelFor(n, work int, fn func(i int)) {
	p := min(runtime.GOMAXPROCS(0), n)
	if p < 2 || work < parallelWork {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	run := func() {
		for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for range p - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
}

// parallelWork is the least work (elements) per item that parallelFor
// spreads over goroutines: below it, waking a second core costs more than
// the item.
const parallelWork = 1024

// blockBackward computes the block's gradients from gy, the gradient at
// its output: the kernel, gamma and beta gradients into op.dw, op.dgamma
// and op.dbeta, and the input gradient into dx (unused, and may be nil,
// when op.needDX is false). It needs the caches of the forward pass that
// produced gy's output, in training mode.
func blockBackward[T float32 | float64](op *convBlockOp, x, k, gamma, gy, dx []T) {
	B, C, H, W, F := op.b, op.cin, op.h, op.w, op.f
	hw := H * W
	n := B * F * hw
	xhat := buf[T](&op.xhat, n)
	act := buf[T](&op.act, n)
	dk := buf[T](&op.dw, F*C*9)
	dkPart := buf[T](&op.dwPart, B*F*C*9)
	dgamma := buf[T](&op.dgamma, F)
	dbeta := buf[T](&op.dbeta, F)
	part := buf[float64](&op.part, 2*B*F)

	// Unpool and ELU': gu overwrites the cached derivative (read once).
	gu := act
	oh, ow := H/2, W/2
	parallelFor(B, hw*F, func(b int) {
		for f := range F {
			p := b*F + f
			part[2*p], part[2*p+1] = unpoolGradPlane(act[p*hw:(p+1)*hw], xhat[p*hw:(p+1)*hw], gy[p*oh*ow:(p+1)*oh*ow], H, W)
		}
	})
	// Batch-norm backward (batch statistics): sums in sample order.
	cnt := float64(B * hw)
	for f := range F {
		var s, sx float64
		for b := range B {
			s += part[2*(b*F+f)]
			sx += part[2*(b*F+f)+1]
		}
		dbeta[f], dgamma[f] = T(s), T(sx)
		op.sumGU[f], op.sumGUX[f] = s/cnt, sx/cnt
	}
	// The input gradient is the convolution of gz with the kernel turned
	// by 180 degrees, input and output channels swapped.
	var kflip []T
	if op.needDX {
		kflip = buf[T](&op.kflip, C*F*9)
		for f := range F {
			for c := range C {
				src := k[(f*C+c)*9 : (f*C+c+1)*9]
				dst := kflip[(c*F+f)*9 : (c*F+f+1)*9]
				for i := range 9 {
					dst[i] = src[8-i]
				}
			}
		}
	}
	parallelFor(B, hw*F*C, func(b int) {
		gz := gu[b*F*hw : (b+1)*F*hw]
		xb := x[b*C*hw : (b+1)*C*hw]
		for f := range F {
			off := f * hw
			bnBackPlane(gz[off:off+hw], xhat[(b*F+f)*hw:(b*F+f+1)*hw],
				T(float64(gamma[f])*op.invStd[f]), T(op.sumGU[f]), T(op.sumGUX[f]))
			kernelGradPlane(gz[off:off+hw], xb, dkPart[(b*F+f)*C*9:(b*F+f+1)*C*9], C, H, W)
		}
		if !op.needDX {
			return
		}
		dxb := dx[b*C*hw : (b+1)*C*hw]
		for c := range C {
			convPlane(dxb[c*hw:(c+1)*hw], gz, kflip[c*F*9:(c+1)*F*9], F, H, W)
		}
	})
	clear(dk)
	for b := range B {
		for i, v := range dkPart[b*F*C*9 : (b+1)*F*C*9] {
			dk[i] += v
		}
	}
}
