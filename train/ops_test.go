package train

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestAvgPoolForward(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		in    []float64
		want  []float64
	}{
		{
			name:  "2x8 rows 1..16",
			shape: []int{1, 1, 2, 8},
			in:    []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
			want:  []float64{5.5, 7.5, 9.5, 11.5},
		},
		{
			name:  "odd 3x3 drops last row and column",
			shape: []int{1, 1, 3, 3},
			in:    []float64{1, 2, 100, 3, 4, 100, 100, 100, 100},
			want:  []float64{2.5},
		},
		{
			name:  "two planes",
			shape: []int{1, 2, 2, 2},
			in:    []float64{1, 1, 1, 1, 0, 4, 8, 0},
			want:  []float64{1, 3},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := tensor.New(tensor.WithShape(tc.shape...), tensor.WithBacking(append([]float64(nil), tc.in...)))
			out, err := avgPoolOp{}.Do(x)
			if err != nil {
				t.Fatal(err)
			}
			got := out.Data().([]float64)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d values %v, want %v", len(got), got, tc.want)
			}
			for i := range got {
				if math.Abs(got[i]-tc.want[i]) > 1e-12 {
					t.Errorf("out[%d] = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// checkOpGradient builds cost = sum(op(x) * r) in float64 and compares the
// symbolic gradient of x with central finite differences.
func checkOpGradient(t *testing.T, shape []int, xs []float64, op func(*G.Node) (*G.Node, error)) {
	t.Helper()
	g := G.NewGraph()
	xT := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(xs))
	x := G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithValue(xT), G.WithName("x"))
	y, err := op(x)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	rs := make([]float64, y.Shape().TotalSize())
	for i := range rs {
		rs[i] = r.NormFloat64()
	}
	rT := tensor.New(tensor.WithShape(y.Shape()...), tensor.WithBacking(rs))
	rn := G.NewTensor(g, tensor.Float64, y.Shape().Dims(), G.WithShape(y.Shape()...), G.WithValue(rT), G.WithName("r"))
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, rn))))
	grads, err := G.Grad(cost, x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	run := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return cost.Value().Data().(float64)
	}
	run()
	analytic := append([]float64(nil), grads[0].Value().Data().([]float64)...)
	const h = 1e-6
	for i := range xs {
		old := xs[i]
		xs[i] = old + h
		up := run()
		xs[i] = old - h
		down := run()
		xs[i] = old
		num := (up - down) / (2 * h)
		if d := math.Abs(num - analytic[i]); d > 1e-6*math.Max(1, math.Abs(num)) {
			t.Errorf("d cost/d x[%d]: analytic %.9g, numeric %.9g", i, analytic[i], num)
		}
	}
}

func TestAvgPoolGradient(t *testing.T) {
	for _, shape := range [][]int{{2, 2, 4, 4}, {1, 3, 5, 7}} {
		r := rand.New(rand.NewPCG(1, 2))
		xs := make([]float64, shape[0]*shape[1]*shape[2]*shape[3])
		for i := range xs {
			xs[i] = r.NormFloat64()
		}
		checkOpGradient(t, shape, xs, AvgPool2x2)
	}
}

func TestELU(t *testing.T) {
	tests := []struct{ in, want float64 }{
		{2, 2}, {0, 0}, {-1, math.Expm1(-1)}, {-30, math.Expm1(-30)}, {1e-9, 1e-9},
	}
	for _, tc := range tests {
		x := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{tc.in}))
		out, err := eluOp{dims: 1}.Do(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Data().([]float64)[0]; got != tc.want {
			t.Errorf("elu(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	shape := []int{3, 7}
	r := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 21)
	for i := range xs {
		// Stay away from the kink at 0, where finite differences straddle it.
		v := r.NormFloat64()
		if math.Abs(v) < 0.05 {
			v += 0.1
		}
		xs[i] = 2 * v
	}
	checkOpGradient(t, shape, xs, ELU)
}

func TestExpf(t *testing.T) {
	worst := 0.0
	for x := float32(-90); x <= 0; x += 0.0137 {
		want := float32(math.Exp(float64(x)))
		got := expf(x)
		if want < 1.3e-38 { // (near-)subnormal: expf flushes to 0
			if got >= 1.3e-38 {
				t.Fatalf("expf(%v) = %v, want < 1.3e-38", x, got)
			}
			continue
		}
		rel := math.Abs(float64(got-want)) / float64(want)
		worst = math.Max(worst, rel)
		if rel > 3e-7 {
			t.Fatalf("expf(%v) = %v, want %v (relative error %.2g)", x, got, want, rel)
		}
	}
	t.Logf("worst relative error %.3g", worst)
}
