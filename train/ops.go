package train

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Custom Gorgonia ops. Gorgonia v0.9.18's AveragePool2D divides by the input
// width instead of the window area (forward and backward), and it has no ELU;
// composing ELU from Rectify/Expm1/Neg costs ~30% more time and memory than
// one op. Each op supports float32 (training) and float64 (gradient checks).

func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func tensorType(dims int) G.TensorType {
	return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
}

// denseOf returns v as a *tensor.Dense or an error naming the op.
func denseOf(op string, v G.Value) (*tensor.Dense, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("%s: want *tensor.Dense, got %T", op, v)
	}
	return d, nil
}

// --- average pooling, 2x2 window, stride 2, "valid" (Keras's default) ---

// avgPoolOp averages non-overlapping 2x2 windows of an NCHW tensor. Odd
// trailing rows/columns are dropped, as Keras's padding="valid" does.
type avgPoolOp struct{}

// AvgPool2x2 applies a correct 2x2/stride-2 average pool to an NCHW node.
func AvgPool2x2(x *G.Node) (*G.Node, error) {
	if x.Shape().Dims() != 4 {
		return nil, fmt.Errorf("avgpool: want a 4-d NCHW input, got shape %v", x.Shape())
	}
	if x.Shape()[2] < 2 || x.Shape()[3] < 2 {
		return nil, fmt.Errorf("avgpool: input %v is smaller than the 2x2 window", x.Shape())
	}
	return G.ApplyOp(avgPoolOp{}, x)
}

func (avgPoolOp) Arity() int       { return 1 }
func (avgPoolOp) Type() hm.Type    { t := tensorType(4); return hm.NewFnType(t, t) }
func (avgPoolOp) ReturnsPtr() bool { return false }
func (avgPoolOp) CallsExtern() bool {
	return false
}
func (avgPoolOp) OverwritesInput() int  { return -1 }
func (avgPoolOp) WriteHash(h hash.Hash) { h.Write([]byte("augsplit-avgpool2x2")) }
func (avgPoolOp) Hashcode() uint32      { return hashOf("augsplit-avgpool2x2") }
func (avgPoolOp) String() string        { return "AvgPool2x2" }
func (avgPoolOp) DiffWRT(n int) []bool  { return []bool{true} }
func (avgPoolOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, ok := ds[0].(tensor.Shape)
	if !ok || s.Dims() != 4 {
		return nil, fmt.Errorf("avgpool: want a 4-d shape, got %v", ds[0])
	}
	return tensor.Shape{s[0], s[1], s[2] / 2, s[3] / 2}, nil
}

func (op avgPoolOp) Do(vs ...G.Value) (G.Value, error) {
	x, err := denseOf("avgpool", vs[0])
	if err != nil {
		return nil, err
	}
	s, _ := op.InferShape(x.Shape())
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(s...))
	return op.UsePreallocDo(out, x)
}

func (op avgPoolOp) UsePreallocDo(prealloc G.Value, vs ...G.Value) (G.Value, error) {
	x, err := denseOf("avgpool", vs[0])
	if err != nil {
		return nil, err
	}
	out, err := denseOf("avgpool", prealloc)
	if err != nil {
		return nil, err
	}
	s := x.Shape()
	switch xs := x.Data().(type) {
	case []float32:
		avgPoolFwd(xs, out.Data().([]float32), s[0]*s[1], s[2], s[3])
	case []float64:
		avgPoolFwd(xs, out.Data().([]float64), s[0]*s[1], s[2], s[3])
	default:
		return nil, fmt.Errorf("avgpool: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}

func (avgPoolOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(avgPoolGradOp{}, inputs[0], grad)
	if err != nil {
		return nil, fmt.Errorf("avgpool gradient: %w", err)
	}
	return G.Nodes{dx}, nil
}

func avgPoolFwd[T float32 | float64](x, out []T, planes, h, w int) {
	oh, ow := h/2, w/2
	for p := range planes {
		in := x[p*h*w:]
		o := out[p*oh*ow:]
		for i := range oh {
			r0 := in[2*i*w:]
			r1 := in[(2*i+1)*w:]
			oi := o[i*ow : i*ow+ow]
			for j := range oi {
				oi[j] = (r0[2*j] + r0[2*j+1] + r1[2*j] + r1[2*j+1]) * 0.25
			}
		}
	}
}

// avgPoolGradOp spreads each output gradient evenly over its window. Its
// first input is the pool's input, used only for its shape.
type avgPoolGradOp struct{}

func (avgPoolGradOp) Arity() int { return 2 }
func (avgPoolGradOp) Type() hm.Type {
	t := tensorType(4)
	return hm.NewFnType(t, t, t)
}
func (avgPoolGradOp) ReturnsPtr() bool      { return false }
func (avgPoolGradOp) CallsExtern() bool     { return false }
func (avgPoolGradOp) OverwritesInput() int  { return -1 }
func (avgPoolGradOp) WriteHash(h hash.Hash) { h.Write([]byte("augsplit-avgpool2x2-grad")) }
func (avgPoolGradOp) Hashcode() uint32      { return hashOf("augsplit-avgpool2x2-grad") }
func (avgPoolGradOp) String() string        { return "AvgPool2x2Grad" }
func (avgPoolGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, ok := ds[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("avgpool gradient: want a shape, got %v", ds[0])
	}
	return s.Clone(), nil
}

func (op avgPoolGradOp) Do(vs ...G.Value) (G.Value, error) {
	x, err := denseOf("avgpool gradient", vs[0])
	if err != nil {
		return nil, err
	}
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(x.Shape().Clone()...))
	return op.UsePreallocDo(out, vs...)
}

func (avgPoolGradOp) UsePreallocDo(prealloc G.Value, vs ...G.Value) (G.Value, error) {
	x, err := denseOf("avgpool gradient", vs[0])
	if err != nil {
		return nil, err
	}
	g, err := denseOf("avgpool gradient", vs[1])
	if err != nil {
		return nil, err
	}
	out, err := denseOf("avgpool gradient", prealloc)
	if err != nil {
		return nil, err
	}
	s := x.Shape()
	switch gs := g.Data().(type) {
	case []float32:
		avgPoolBwd(gs, out.Data().([]float32), s[0]*s[1], s[2], s[3])
	case []float64:
		avgPoolBwd(gs, out.Data().([]float64), s[0]*s[1], s[2], s[3])
	default:
		return nil, fmt.Errorf("avgpool gradient: unsupported dtype %v", g.Dtype())
	}
	return out, nil
}

func avgPoolBwd[T float32 | float64](g, dx []T, planes, h, w int) {
	oh, ow := h/2, w/2
	// A preallocated buffer holds the previous step's values; dropped odd
	// rows/columns must get exactly zero.
	clear(dx[:planes*h*w])
	for p := range planes {
		d := dx[p*h*w:]
		gp := g[p*oh*ow:]
		for i := range oh {
			r0 := d[2*i*w:]
			r1 := d[(2*i+1)*w:]
			gi := gp[i*ow : i*ow+ow]
			for j, v := range gi {
				v *= 0.25
				r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1] = v, v, v, v
			}
		}
	}
}

// --- ELU, alpha = 1 (Keras's default) ---

type eluOp struct{ dims int }

// ELU applies x if x > 0 else exp(x)-1, element-wise.
func ELU(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(eluOp{dims: x.Shape().Dims()}, x)
}

func (eluOp) Arity() int { return 1 }
func (op eluOp) Type() hm.Type {
	t := tensorType(op.dims)
	return hm.NewFnType(t, t)
}
func (eluOp) ReturnsPtr() bool         { return false }
func (eluOp) CallsExtern() bool        { return false }
func (eluOp) OverwritesInput() int     { return -1 }
func (op eluOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "augsplit-elu-%d", op.dims) }
func (op eluOp) Hashcode() uint32      { return hashOf(fmt.Sprintf("augsplit-elu-%d", op.dims)) }
func (eluOp) String() string           { return "ELU" }
func (eluOp) DiffWRT(int) []bool       { return []bool{true} }
func (eluOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, ok := ds[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("elu: want a shape, got %v", ds[0])
	}
	return s.Clone(), nil
}

func (op eluOp) Do(vs ...G.Value) (G.Value, error) {
	x, err := denseOf("elu", vs[0])
	if err != nil {
		return nil, err
	}
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(x.Shape().Clone()...))
	return op.UsePreallocDo(out, x)
}

func (eluOp) UsePreallocDo(prealloc G.Value, vs ...G.Value) (G.Value, error) {
	x, err := denseOf("elu", vs[0])
	if err != nil {
		return nil, err
	}
	out, err := denseOf("elu", prealloc)
	if err != nil {
		return nil, err
	}
	switch xs := x.Data().(type) {
	case []float32:
		o := out.Data().([]float32)[:len(xs)]
		for i, v := range xs {
			if v > 0 {
				o[i] = v
			} else {
				o[i] = float32(math.Expm1(float64(v)))
			}
		}
	case []float64:
		o := out.Data().([]float64)[:len(xs)]
		for i, v := range xs {
			if v > 0 {
				o[i] = v
			} else {
				o[i] = math.Expm1(v)
			}
		}
	default:
		return nil, fmt.Errorf("elu: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}

func (op eluOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(eluGradOp(op), output, grad)
	if err != nil {
		return nil, fmt.Errorf("elu gradient: %w", err)
	}
	return G.Nodes{dx}, nil
}

// eluGradOp computes grad * ELU'(x) from ELU's output y: y > 0 exactly when
// x > 0, and otherwise ELU'(x) = exp(x) = y+1, so exp is not recomputed.
type eluGradOp struct{ dims int }

func (eluGradOp) Arity() int { return 2 }
func (op eluGradOp) Type() hm.Type {
	t := tensorType(op.dims)
	return hm.NewFnType(t, t, t)
}
func (eluGradOp) ReturnsPtr() bool         { return false }
func (eluGradOp) CallsExtern() bool        { return false }
func (eluGradOp) OverwritesInput() int     { return -1 }
func (op eluGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "augsplit-elu-grad-%d", op.dims) }
func (op eluGradOp) Hashcode() uint32      { return hashOf(fmt.Sprintf("augsplit-elu-grad-%d", op.dims)) }
func (eluGradOp) String() string           { return "ELUGrad" }
func (eluGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, ok := ds[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("elu gradient: want a shape, got %v", ds[0])
	}
	return s.Clone(), nil
}

func (op eluGradOp) Do(vs ...G.Value) (G.Value, error) {
	y, err := denseOf("elu gradient", vs[0])
	if err != nil {
		return nil, err
	}
	out := tensor.New(tensor.Of(y.Dtype()), tensor.WithShape(y.Shape().Clone()...))
	return op.UsePreallocDo(out, vs...)
}

func (eluGradOp) UsePreallocDo(prealloc G.Value, vs ...G.Value) (G.Value, error) {
	y, err := denseOf("elu gradient", vs[0])
	if err != nil {
		return nil, err
	}
	g, err := denseOf("elu gradient", vs[1])
	if err != nil {
		return nil, err
	}
	out, err := denseOf("elu gradient", prealloc)
	if err != nil {
		return nil, err
	}
	switch ys := y.Data().(type) {
	case []float32:
		eluBwd(ys, g.Data().([]float32), out.Data().([]float32))
	case []float64:
		eluBwd(ys, g.Data().([]float64), out.Data().([]float64))
	default:
		return nil, fmt.Errorf("elu gradient: unsupported dtype %v", y.Dtype())
	}
	return out, nil
}

func eluBwd[T float32 | float64](y, g, dx []T) {
	g = g[:len(y)]
	dx = dx[:len(y)]
	for i, v := range y {
		if v > 0 {
			dx[i] = g[i]
		} else {
			dx[i] = g[i] * (v + 1)
		}
	}
}
