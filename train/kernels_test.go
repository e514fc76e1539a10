package train

import (
	"fmt"
	"math"
	"testing"
)

// withAVX runs fn with the assembly kernels on or off, restoring the
// setting after.
func withAVX(on bool, fn func()) {
	old := useAVX
	useAVX = on && old
	defer func() { useAVX = old }()
	fn()
}

func randF32(seed uint64, n int, scale float64) []float32 {
	r := newRand(seed, 9)
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64() * scale)
	}
	return out
}

// closeF32 fails when got and want differ by more than tol relative to
// the larger of 1 and the largest |want| (sums of many terms: the error
// scales with the terms, not with the result).
func closeF32(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 1.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*scale || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %v, want %v (|diff| %.3g)", what, i, got[i], want[i], d)
		}
	}
}

// kernelShapes covers the assembly's block sizes, their tails and the
// shapes it leaves to Go (narrow, odd).
var kernelShapes = [][2]int{{1, 12}, {2, 10}, {3, 11}, {4, 16}, {5, 17}, {8, 8}, {9, 33}, {16, 16}, {7, 42}, {12, 64}, {6, 130}, {3, 4}, {5, 3}}

func TestKernelsAVXMatchGo(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX2+FMA on this CPU (or built with purego): only the Go kernels run")
	}
	for _, sh := range kernelShapes {
		H, W := sh[0], sh[1]
		for _, C := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%dx%dx%d", C, H, W), func(t *testing.T) { compareKernels(t, C, H, W) })
		}
	}
}

func compareKernels(t *testing.T, C, H, W int) {
	hw := H * W
	x := randF32(1, C*hw, 1)
	k := randF32(2, C*9, 0.5)
	gz := randF32(3, hw, 1)
	run := func(on bool) (z, dk []float32, s, ss float64) {
		z = make([]float32, hw)
		dk = make([]float32, C*9)
		withAVX(on, func() {
			convPlane(z, x, k, C, H, W)
			kernelGradPlane(gz, x, dk, C, H, W)
			s, ss = sumSq(x) // of the same values on both paths
		})
		return
	}
	zA, dkA, sA, ssA := run(true)
	zG, dkG, sG, ssG := run(false)
	closeF32(t, "conv", zA, zG, 1e-6)
	closeF32(t, "kernel gradient", dkA, dkG, 1e-5)
	if math.Abs(sA-sG) > 1e-9*math.Max(1, ssG) || math.Abs(ssA-ssG) > 1e-9*math.Max(1, ssG) {
		t.Fatalf("sums %v %v, want %v %v", sA, ssA, sG, ssG)
	}
	// Against the definition, in float64.
	for i := range H {
		for j := range W {
			var want float64
			for c := range C {
				for ky := range 3 {
					for kx := range 3 {
						if ii, jj := i+ky-1, j+kx-1; ii >= 0 && ii < H && jj >= 0 && jj < W {
							want += float64(k[c*9+ky*3+kx]) * float64(x[c*hw+ii*W+jj])
						}
					}
				}
			}
			if d := math.Abs(float64(zA[i*W+j]) - want); d > 1e-5 {
				t.Fatalf("conv[%d,%d] = %v, want %v", i, j, zA[i*W+j], want)
			}
		}
	}

	// Normalise, ELU, pool and their backward passes.
	m, is, g, be := float32(0.1), float32(0.8), float32(1.3), float32(-0.2)
	gy := randF32(4, (H/2)*(W/2), 1)
	type res struct {
		xh, d, y []float32
		s, sx    float64
		gb       []float32
	}
	norm := func(on bool) (r res) {
		r.xh = append([]float32(nil), zG...)
		r.d = make([]float32, hw)
		r.y = make([]float32, (H/2)*(W/2))
		withAVX(on, func() {
			normEluPoolPlane(r.xh, r.d, r.y, make([]float32, 2*W), H, W, m, is, g, be)
			r.s, r.sx = unpoolGradPlane(r.d, r.xh, gy, H, W)
			r.gb = append([]float32(nil), r.d...)
			bnBackPlane(r.gb, r.xh, 0.7, 0.05, -0.3)
		})
		return r
	}
	a, b := norm(true), norm(false)
	closeF32(t, "xhat", a.xh, b.xh, 1e-6)
	closeF32(t, "pool", a.y, b.y, 1e-6)
	closeF32(t, "unpooled gradient", a.d, b.d, 1e-6)
	closeF32(t, "batch-norm gradient", a.gb, b.gb, 1e-6)
	if math.Abs(a.s-b.s) > 1e-5*math.Max(1, math.Abs(b.s)) || math.Abs(a.sx-b.sx) > 1e-5*math.Max(1, math.Abs(b.sx)) {
		t.Fatalf("gradient sums %v %v, want %v %v", a.s, a.sx, b.s, b.sx)
	}
}

// TestELUVector checks the assembly's ELU and derivative against math.Exp
// over the whole range, through normEluPoolPlane with an identity
// normalisation.
func TestELUVector(t *testing.T) {
	const W = 16
	var vals []float32
	for v := -100.0; v <= 3; v += 0.0137 {
		vals = append(vals, float32(v))
	}
	vals = append(vals, 0, float32(math.Copysign(0, -1)), -87.29, -87.31, -1e-8, 1e-8, 88)
	for len(vals)%(2*W) != 0 {
		vals = append(vals, -0.5)
	}
	H := len(vals) / W
	z := append([]float32(nil), vals...)
	d := make([]float32, len(z))
	y := make([]float32, len(z)/4)
	normEluPoolPlane(z, d, y, make([]float32, 2*W), H, W, 0, 1, 1, 0)
	for i, u := range vals {
		want := 1.0
		if u <= 0 {
			want = math.Exp(float64(u))
		}
		if float64(u) < -87.3 {
			want = 0
		}
		if diff := math.Abs(float64(d[i]) - want); diff > 3e-7*want && diff > 1.3e-38 {
			t.Fatalf("ELU'(%v) = %v, want %v", u, d[i], want)
		}
	}
	for i := range y {
		r, c := 2*(i/(W/2)), 2*(i%(W/2))
		var want float64
		for _, v := range []float32{vals[r*W+c], vals[r*W+c+1], vals[(r+1)*W+c], vals[(r+1)*W+c+1]} {
			if v > 0 {
				want += float64(v)
			} else {
				want += math.Expm1(float64(v))
			}
		}
		want /= 4
		if math.Abs(float64(y[i])-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Fatalf("pool %d = %v, want %v", i, y[i], want)
		}
	}
}
