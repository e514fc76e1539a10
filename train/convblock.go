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
// -> ELU -> AveragePool 2x2, as a single Gorgonia op. With 1-2 input and 2
// output channels the convolution is tiny; built from Gorgonia's ops it
// spends its time in im2col, transposes, broadcasts and one allocation per
// node per step rather than in arithmetic. Fused, the forward pass is a
// direct convolution plus one pass per stage, and the backward pass reuses
// the normalised values and activations cached by the forward pass.
//
// Inputs: x (B,Cin,H,W), kernel (F,Cin,3,3), gamma and beta (1,F,1,1).
// Output: (B,F,H/2,W/2). Batch statistics in training mode, running
// statistics in evaluation mode (set by the machine through SetTraining).
//
// The op holds per-step state (caches, gradients), so one op instance
// belongs to one node of one graph, and a graph runs one step at a time.
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
	sumGU, sumGUX, stats []float64 // scratch
}

var convBlockIDs atomic.Uint64

// convBlock applies the fused block to x. momentum is Keras's (the weight
// kept by the running statistics); needDX false skips the input gradient.
func convBlock(x, kernel, gamma, beta *G.Node, momentum, eps float64, needDX bool) (*G.Node, *convBlockOp, error) {
	xs, ks := x.Shape(), kernel.Shape()
	if xs.Dims() != 4 || ks.Dims() != 4 || ks[1] != xs[1] || ks[2] != 3 || ks[3] != 3 {
		return nil, nil, fmt.Errorf("conv block: input %v and kernel %v do not fit", xs, ks)
	}
	if xs[2] < 2 || xs[3] < 2 {
		return nil, nil, fmt.Errorf("conv block: input %v is smaller than the 2x2 pool", xs)
	}
	op := &convBlockOp{
		id: convBlockIDs.Add(1), b: xs[0], cin: xs[1], h: xs[2], w: xs[3], f: ks[0],
		newWeight: 1 - momentum, eps: eps, needDX: needDX, training: true,
		runMean: make([]float64, ks[0]), runVar: make([]float64, ks[0]), invStd: make([]float64, ks[0]),
		sumGU: make([]float64, ks[0]), sumGUX: make([]float64, ks[0]), stats: make([]float64, 2*ks[0]),
	}
	for i := range op.runVar {
		op.runVar[i] = 1
	}
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
func (op *convBlockOp) DiffWRT(int) []bool    { return []bool{op.needDX, true, true, true} }

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
	return op.UsePreallocDo(tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(s...)), vs...)
}

func (op *convBlockOp) UsePreallocDo(prealloc G.Value, vs ...G.Value) (G.Value, error) {
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

func (op *convBlockOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&convBlockGradOp{op}, inputs[0], inputs[1], inputs[2], grad)
	if err != nil {
		return nil, fmt.Errorf("conv block gradient: %w", err)
	}
	out := G.Nodes{nil, nil, nil, nil}
	if op.needDX {
		out[0] = dx
	}
	for i := 1; i < 4; i++ {
		// The part nodes take dx as an input so they run after it.
		if out[i], err = G.ApplyOp(&convBlockPartOp{op: op, which: i}, dx, inputs[i]); err != nil {
			return nil, fmt.Errorf("conv block gradient: %w", err)
		}
	}
	return out, nil
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
	// Per-sample partial sums, reduced in sample order afterwards, so the
	// result does not depend on how samples were spread over goroutines.
	part := buf[float64](&op.part, 2*B*F)[:B*F] // one size for both passes: no reallocation
	mean, variance := op.stats[:F], op.stats[F:]
	parallelFor(B, hw*F, func(b int) {
		zb := z[b*F*hw : (b+1)*F*hw]
		conv3x3(x[b*C*hw:(b+1)*C*hw], k, zb, 1, C, H, W, F)
		if op.training {
			for f := range F {
				var s float64
				for _, v := range zb[f*hw : (f+1)*hw] {
					s += float64(v)
				}
				part[b*F+f] = s
			}
		}
	})
	if op.training {
		cnt := float64(B * hw)
		for f := range F {
			var s float64
			for b := range B {
				s += part[b*F+f]
			}
			mean[f] = s / cnt
		}
		parallelFor(B, hw*F, func(b int) {
			for f := range F {
				m := mean[f]
				var ss float64
				for _, v := range z[(b*F+f)*hw : (b*F+f+1)*hw] {
					d := float64(v) - m
					ss += d * d
				}
				part[b*F+f] = ss
			}
		})
		for f := range F {
			var ss float64
			for b := range B {
				ss += part[b*F+f]
			}
			variance[f] = ss / cnt
			// Running variance is the unbiased estimate, as Gorgonia's and
			// Keras's fused batch norm keep it.
			op.runMean[f] = op.newWeight*mean[f] + (1-op.newWeight)*op.runMean[f]
			op.runVar[f] = op.newWeight*ss/math.Max(cnt-1, 1) + (1-op.newWeight)*op.runVar[f]
		}
	} else {
		copy(mean, op.runMean)
		copy(variance, op.runVar)
	}
	for f := range F {
		op.invStd[f] = 1 / math.Sqrt(variance[f]+op.eps)
	}
	// Normalise in place (z becomes xhat), scale, shift, ELU and pool, two
	// rows at a time. The cache keeps ELU's derivative (1, or exp(u)), not
	// its output: the backward pass is then a multiply, not a branch.
	oh, ow := H/2, W/2
	_, f32 := any(T(0)).(float32)
	scratch := buf[T](&op.rows, B*2*W)
	parallelFor(B, hw*F, func(b int) {
		rows := scratch[b*2*W : (b+1)*2*W]
		for f := range F {
			off := (b*F + f) * hw
			m, is := T(mean[f]), T(op.invStd[f])
			g, be := gamma[f], beta[f]
			yp := y[(b*F+f)*oh*ow : (b*F+f+1)*oh*ow]
			for i := 0; i < H; i += 2 {
				for r := range min(2, H-i) {
					o := off + (i+r)*W
					zs := z[o : o+W]
					ds := act[o : o+W]
					as := rows[r*W : (r+1)*W]
					for j, v := range zs {
						xh := (v - m) * is
						zs[j] = xh
						u := g*xh + be
						switch {
						case u > 0:
							as[j], ds[j] = u, 1
						case f32:
							e := T(expf(float32(u)))
							// e-1 rather than Expm1: its absolute error near
							// 0 (~6e-8) is float32's own.
							as[j], ds[j] = e-1, e
						default:
							e := T(math.Exp(float64(u)))
							as[j], ds[j] = e-1, e
						}
					}
				}
				if i+1 >= H {
					break // odd last row: dropped by the pool
				}
				r0, r1 := rows[:W], rows[W:2*W]
				yr := yp[(i/2)*ow : (i/2+1)*ow]
				for j := range yr {
					yr[j] = (r0[2*j] + r0[2*j+1] + r1[2*j] + r1[2*j+1]) * 0.25
				}
			}
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

// parallelFor runs fn(0..n-1) on up to GOMAXPROCS goroutines when each
// item has enough work (elements) to pay for a goroutine; items must write
// disjoint memory.
func parallelFor(n, work int, fn func(i int)) {
	p := min(runtime.GOMAXPROCS(0), n)
	if p < 2 || work < 1024 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range p {
		wg.Go(func() {
			for i := w; i < n; i += p {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// conv3x3 computes z = conv(x, k) with zero "same" padding, one output
// row at a time from three input rows (rowConv): with so few channels this
// beats im2col + gemm.
func conv3x3[T float32 | float64](x, k, z []T, B, C, H, W, F int) {
	clear(z)
	hw := H * W
	for b := range B {
		for f := range F {
			zp := z[(b*F+f)*hw : (b*F+f+1)*hw]
			for c := range C {
				xp := x[(b*C+c)*hw : (b*C+c+1)*hw]
				kk := k[(f*C+c)*9 : (f*C+c+1)*9]
				for ky := range 3 {
					dy := ky - 1
					for i := max(0, -dy); i < min(H, H-dy); i++ {
						rowConv(zp[i*W:(i+1)*W], xp[(i+dy)*W:(i+dy+1)*W], kk[ky*3], kk[ky*3+1], kk[ky*3+2])
					}
				}
			}
		}
	}
}

// convBlockGradOp computes the block's input gradient (its output) and
// stores the kernel, gamma and beta gradients in the forward op for
// convBlockPartOp to hand out.
type convBlockGradOp struct{ op *convBlockOp }

func (g *convBlockGradOp) Arity() int { return 4 }
func (g *convBlockGradOp) Type() hm.Type {
	t := t4()
	return hm.NewFnType(t, t, t, t, t)
}
func (g *convBlockGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{g.op.b, g.op.cin, g.op.h, g.op.w}, nil
}
func (g *convBlockGradOp) ReturnsPtr() bool     { return false }
func (g *convBlockGradOp) CallsExtern() bool    { return false }
func (g *convBlockGradOp) OverwritesInput() int { return -1 }
func (g *convBlockGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "augsplit-convblock-grad-%d", g.op.id)
}
func (g *convBlockGradOp) Hashcode() uint32 {
	return hashOf(fmt.Sprintf("augsplit-convblock-grad-%d", g.op.id))
}
func (g *convBlockGradOp) String() string { return fmt.Sprintf("ConvBlockGrad%d", g.op.id) }

func (g *convBlockGradOp) Do(vs ...G.Value) (G.Value, error) {
	x, err := denseOf("conv block gradient", vs[0])
	if err != nil {
		return nil, err
	}
	s, _ := g.InferShape()
	return g.UsePreallocDo(tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(s...)), vs...)
}

func (g *convBlockGradOp) UsePreallocDo(prealloc G.Value, vs ...G.Value) (G.Value, error) {
	var ds [5]*tensor.Dense
	for i, v := range append([]G.Value{prealloc}, vs...) {
		d, err := denseOf("conv block gradient", v)
		if err != nil {
			return nil, err
		}
		ds[i] = d
	}
	if !g.op.training {
		return nil, fmt.Errorf("conv block gradient: the graph is in evaluation mode")
	}
	switch ds[1].Dtype() {
	case tensor.Float32:
		blockBackward[float32](g.op, ds[1].Float32s(), ds[2].Float32s(), ds[3].Float32s(), ds[4].Float32s(), ds[0].Float32s())
	case tensor.Float64:
		blockBackward[float64](g.op, ds[1].Float64s(), ds[2].Float64s(), ds[3].Float64s(), ds[4].Float64s(), ds[0].Float64s())
	default:
		return nil, fmt.Errorf("conv block gradient: unsupported dtype %v", ds[1].Dtype())
	}
	return ds[0], nil
}

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
			ap := act[p*hw : (p+1)*hw]
			gp := gy[p*oh*ow : (p+1)*oh*ow]
			for i := range oh {
				r0 := ap[2*i*W : 2*i*W+2*ow]
				r1 := ap[(2*i+1)*W : (2*i+1)*W+2*ow]
				for j, g := range gp[i*ow : (i+1)*ow] {
					gv := g * 0.25
					r0[2*j] *= gv
					r0[2*j+1] *= gv
					r1[2*j] *= gv
					r1[2*j+1] *= gv
				}
				if W%2 == 1 {
					// The dropped last column does not reach the output.
					ap[2*i*W+W-1], ap[(2*i+1)*W+W-1] = 0, 0
				}
			}
			if H%2 == 1 {
				clear(ap[(H-1)*W:])
			}
			var s, sx float64
			xh := xhat[p*hw : (p+1)*hw]
			for i, v := range ap {
				s += float64(v)
				sx += float64(v) * float64(xh[i])
			}
			part[2*p], part[2*p+1] = s, sx
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
	parallelFor(B, hw*F, func(b int) {
		for f := range F {
			off := (b*F + f) * hw
			scale := T(float64(gamma[f]) * op.invStd[f])
			mg, mgx := T(op.sumGU[f]), T(op.sumGUX[f])
			xh := xhat[off : off+hw]
			g := gu[off : off+hw]
			for i := range g {
				g[i] = scale * (g[i] - mg - xh[i]*mgx)
			}
		}
		gz := gu[b*F*hw : (b+1)*F*hw]
		convGradKernel(gz, x[b*C*hw:(b+1)*C*hw], dkPart[b*F*C*9:(b+1)*F*C*9], C, H, W, F)
		dxb := dx[b*C*hw : (b+1)*C*hw]
		clear(dxb)
		if op.needDX {
			convGradInput(gz, k, dxb, C, H, W, F)
		}
	})
	clear(dk)
	for b := range B {
		for i, v := range dkPart[b*F*C*9 : (b+1)*F*C*9] {
			dk[i] += v
		}
	}
}

// convGradKernel sets dk (F,C,3,3) to the kernel gradient of one sample:
// gz correlated with the shifted input.
func convGradKernel[T float32 | float64](gz, x, dk []T, C, H, W, F int) {
	hw := H * W
	for f := range F {
		zp := gz[f*hw : (f+1)*hw]
		for c := range C {
			xp := x[c*hw : (c+1)*hw]
			kk := dk[(f*C+c)*9 : (f*C+c+1)*9]
			for ky := range 3 {
				dy := ky - 1
				var d0, d1, d2 T
				for i := max(0, -dy); i < min(H, H-dy); i++ {
					a, b, c := rowDots(zp[i*W:(i+1)*W], xp[(i+dy)*W:(i+dy+1)*W])
					d0, d1, d2 = d0+a, d1+b, d2+c
				}
				kk[ky*3], kk[ky*3+1], kk[ky*3+2] = d0, d1, d2
			}
		}
	}
}

// convGradInput adds the input gradient of one sample (the transposed
// convolution of gz) to dx.
func convGradInput[T float32 | float64](gz, k, dx []T, C, H, W, F int) {
	hw := H * W
	for f := range F {
		zp := gz[f*hw : (f+1)*hw]
		for c := range C {
			xp := dx[c*hw : (c+1)*hw]
			kk := k[(f*C+c)*9 : (f*C+c+1)*9]
			for ky := range 3 {
				dy := ky - 1
				for i := max(0, -dy); i < min(H, H-dy); i++ {
					// dx[r][m] += k0*gz[m+1] + k1*gz[m] + k2*gz[m-1]: the
					// forward row kernel reversed.
					rowConv(xp[(i+dy)*W:(i+dy+1)*W], zp[i*W:(i+1)*W], kk[ky*3+2], kk[ky*3+1], kk[ky*3])
				}
			}
		}
	}
}

// rowConv adds w0*in[j-1] + w1*in[j] + w2*in[j+1] to out[j], with zeros
// outside the row (len(out) == len(in) >= 2). One pass per input row
// instead of three halves the loads and stores of out.
func rowConv[T float32 | float64](out, in []T, w0, w1, w2 T) {
	n := len(out)
	in = in[:n]
	out[0] += w1*in[0] + w2*in[1]
	for j := 1; j < n-1; j++ {
		out[j] += w0*in[j-1] + w1*in[j] + w2*in[j+1]
	}
	out[n-1] += w0*in[n-2] + w1*in[n-1]
}

// rowDots returns sum z[j]*x[j-1], sum z[j]*x[j], sum z[j]*x[j+1] over one
// row (zeros outside it), in one pass.
func rowDots[T float32 | float64](z, x []T) (d0, d1, d2 T) {
	n := len(z)
	x = x[:n]
	d1 = z[0]*x[0] + z[n-1]*x[n-1]
	d2 = z[0] * x[1]
	d0 = z[n-1] * x[n-2]
	for j := 1; j < n-1; j++ {
		v := z[j]
		d0 += v * x[j-1]
		d1 += v * x[j]
		d2 += v * x[j+1]
	}
	return d0, d1, d2
}

// convBlockPartOp hands out one parameter gradient computed by the
// gradient op: which = 1 kernel, 2 gamma, 3 beta. Inputs: the gradient
// op's output (for ordering) and the parameter (for the shape).
type convBlockPartOp struct {
	op    *convBlockOp
	which int
}

func (p *convBlockPartOp) Arity() int { return 2 }
func (p *convBlockPartOp) Type() hm.Type {
	t := t4()
	return hm.NewFnType(t, t, t)
}
func (p *convBlockPartOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, ok := ds[1].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("conv block gradient part: want a shape, got %v", ds[1])
	}
	return s.Clone(), nil
}
func (p *convBlockPartOp) ReturnsPtr() bool     { return false }
func (p *convBlockPartOp) CallsExtern() bool    { return false }
func (p *convBlockPartOp) OverwritesInput() int { return -1 }
func (p *convBlockPartOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "augsplit-convblock-part-%d-%d", p.op.id, p.which)
}
func (p *convBlockPartOp) Hashcode() uint32 {
	return hashOf(fmt.Sprintf("augsplit-convblock-part-%d-%d", p.op.id, p.which))
}
func (p *convBlockPartOp) String() string {
	return fmt.Sprintf("ConvBlockGradPart%d.%d", p.op.id, p.which)
}

func (p *convBlockPartOp) Do(vs ...G.Value) (G.Value, error) {
	w, err := denseOf("conv block gradient part", vs[1])
	if err != nil {
		return nil, err
	}
	return p.UsePreallocDo(tensor.New(tensor.Of(w.Dtype()), tensor.WithShape(w.Shape().Clone()...)), vs...)
}

func (p *convBlockPartOp) UsePreallocDo(prealloc G.Value, _ ...G.Value) (G.Value, error) {
	out, err := denseOf("conv block gradient part", prealloc)
	if err != nil {
		return nil, err
	}
	src := [...]*any{nil, &p.op.dw, &p.op.dgamma, &p.op.dbeta}[p.which]
	switch d := out.Data().(type) {
	case []float32:
		s, ok := (*src).([]float32)
		if !ok || len(s) != len(d) {
			return nil, fmt.Errorf("conv block gradient part %d: no float32 gradient of %d values", p.which, len(d))
		}
		copy(d, s)
	case []float64:
		s, ok := (*src).([]float64)
		if !ok || len(s) != len(d) {
			return nil, fmt.Errorf("conv block gradient part %d: no float64 gradient of %d values", p.which, len(d))
		}
		copy(d, s)
	default:
		return nil, fmt.Errorf("conv block gradient part: unsupported dtype %v", out.Dtype())
	}
	return out, nil
}
