package train

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// TestModelGradient checks every parameter gradient of a whole tiny model
// (8x8, 2 blocks, batch norm in training mode) against central differences
// in float64.
func TestModelGradient(t *testing.T) {
	for _, fused := range []bool{true, false} {
		t.Run(map[bool]string{true: "fused", false: "reference"}[fused], func(t *testing.T) {
			checkModelGradient(t, fused)
		})
	}
}

func checkModelGradient(t *testing.T, fused bool) {
	cfg := quickConfig(8)
	cfg.Dense = 4
	s := shapesSet(3, 2, 8, 5) // 6 samples; the batch uses 4
	a := archOf(cfg, 1, 8, 8, 3)
	ws := newWeights(a, tensor.Float64, a.initParams(11))
	n, err := buildNet(a, tensor.Float64, 4, true, fused, ws)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	fillBatch(s, []int{0, 1, 2, 4}, n.xT, n.yT, nil)
	run := func() float64 {
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		return n.lossValue()
	}
	run()
	analytic := make([][]float64, len(ws))
	for i := range ws {
		analytic[i] = append([]float64(nil), n.gradient(i).([]float64)...)
	}
	const h = 1e-5
	checked := 0
	for i, spec := range a.specs() {
		w := ws[i].Data().([]float64)
		for j := range w {
			old := w[j]
			w[j] = old + h
			up := run()
			w[j] = old - h
			down := run()
			w[j] = old
			num := (up - down) / (2 * h)
			if d := math.Abs(num - analytic[i][j]); d > 1e-5*math.Max(1, math.Abs(num)) {
				t.Errorf("%s[%d]: analytic %.8g, numeric %.8g", spec.Name, j, analytic[i][j], num)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("checked only %d parameters", checked)
	}
}

// TestFusedMatchesReference runs the fused-block network and the one built
// from Gorgonia's Conv2d/BatchNorm on the same weights and batch, in
// training and in evaluation mode: log-probabilities, gradients and running
// statistics must agree.
func TestFusedMatchesReference(t *testing.T) {
	tests := []struct {
		name    string
		c, h, w int
	}{
		{"two channels, odd sizes", 2, 12, 13}, // 12x13 -> 6x6 -> 3x3
		{"large enough to run in parallel", 1, 32, 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { compareFused(t, tc.c, tc.h, tc.w) })
	}
}

func compareFused(t *testing.T, c, h, w int) {
	cfg := quickConfig(h)
	cfg.Blocks, cfg.Dense = 2, 6
	a := archOf(cfg, c, h, w, 3)
	s := NewSet(c, h, w, []string{"a", "b", "c"})
	r := newRand(3, 3)
	for i := range 5 {
		for range c * h * w {
			s.Images = append(s.Images, uint8(r.IntN(256)))
		}
		s.Labels = append(s.Labels, i%3)
		s.N++
	}
	init := a.initParams(5)
	var nets [2]*net
	var evals [2]*net
	for i, fused := range []bool{true, false} {
		ws := newWeights(a, tensor.Float64, init)
		n, err := buildNet(a, tensor.Float64, 4, true, fused, ws)
		if err != nil {
			t.Fatal(err)
		}
		defer n.close()
		e, err := buildNet(a, tensor.Float64, 3, false, fused, ws)
		if err != nil {
			t.Fatal(err)
		}
		defer e.close()
		nets[i], evals[i] = n, e
		for step := range 2 { // two steps: running statistics accumulate
			fillBatch(s, []int{step, 1 + step, 2 + step, 3 + step}[:4], n.xT, n.yT, nil)
			if err := n.run(); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.copyStatsFrom(n); err != nil {
			t.Fatal(err)
		}
		fillBatch(s, []int{4, 0}, e.xT, nil, nil)
		if err := e.run(); err != nil {
			t.Fatal(err)
		}
	}
	near := func(what string, got, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values vs %d", what, len(got), len(want))
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-9*math.Max(1, math.Abs(want[i])) {
				t.Errorf("%s[%d]: fused %.12g, reference %.12g", what, i, got[i], want[i])
			}
		}
	}
	near("train logp", toF64(nets[0].logProbs()), toF64(nets[1].logProbs()))
	near("eval logp", toF64(evals[0].logp.Value().Data()), toF64(evals[1].logp.Value().Data()))
	for i, spec := range a.specs() {
		near("gradient "+spec.Name, toF64(nets[0].gradient(i)), toF64(nets[1].gradient(i)))
	}
	for b := range a.Blocks {
		m0, v0 := nets[0].bn[b].Stats()
		m1, v1 := nets[1].bn[b].Stats()
		near("running mean", m0, m1)
		near("running variance", v0, v1)
	}
}

// TestFloat32MatchesFloat64 trains the fused network two steps in float32
// (the assembly kernels where the CPU has them) and in float64 (Go
// kernels) from the same weights: loss, log-probabilities, gradients and
// running statistics must agree to float32 precision. 32x32 keeps planes
// wide enough for every assembly kernel.
func TestFloat32MatchesFloat64(t *testing.T) {
	cfg := quickConfig(32)
	cfg.Blocks, cfg.Dense = 3, 16
	a := archOf(cfg, 1, 32, 32, 3)
	s := shapesSet(3, 2, 32, 7)
	init := a.initParams(9)
	var nets [2]*net
	for i, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		n, err := newNet(a, dt, 4, true, newWeights(a, dt, init))
		if err != nil {
			t.Fatal(err)
		}
		defer n.close()
		for step := range 2 {
			fillBatch(s, []int{step, 1 + step, 2 + step, 3 + step}, n.xT, n.yT, nil)
			if err := n.run(); err != nil {
				t.Fatal(err)
			}
		}
		nets[i] = n
	}
	near := func(what string, got, want []float64, tol float64) {
		t.Helper()
		scale := 1e-3 // gradients far below the largest are rounding noise in float32
		for _, v := range want {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := range got {
			if d := math.Abs(got[i] - want[i]); d > tol*scale || math.IsNaN(got[i]) {
				t.Errorf("%s[%d]: float32 %.8g, float64 %.8g", what, i, got[i], want[i])
			}
		}
	}
	near("loss", []float64{nets[0].lossValue()}, []float64{nets[1].lossValue()}, 1e-5)
	near("logp", toF64(nets[0].logProbs()), toF64(nets[1].logProbs()), 1e-5)
	for i, spec := range a.specs() {
		near("gradient "+spec.Name, toF64(nets[0].gradient(i)), toF64(nets[1].gradient(i)), 1e-3)
	}
	for b := range a.Blocks {
		m0, v0 := nets[0].bn[b].Stats()
		m1, v1 := nets[1].bn[b].Stats()
		near("running mean", m0, m1, 1e-5)
		near("running variance", v0, v1, 1e-5)
	}
}
