package train

import "math"

// Plane kernels of the fused conv block. Each works on the planes of one
// sample, so samples run on different goroutines with nothing shared.
// Every kernel has a Go version (any T, any size); for float32 on a CPU
// with AVX2 and FMA (useAVX) the bulk of each plane goes to the assembly
// of kernels_amd64.s, eight lanes at a time, and the Go code does the
// edges. The two versions agree to rounding, not bit for bit: which one
// runs depends only on the CPU, the dtype and the shapes, never on timing
// or goroutines, so a run is reproducible on one machine.

// maxAVXRows bounds C*3 (input channels times kernel rows) for the
// assembly convolution's offset and weight tables, kept on the stack.
const maxAVXRows = 24

// zeroRow stands in for the rows above and below a plane in dots9AVX.
var zeroRow [4096]float32

// tailMask[r:r+8] keeps the last r lanes of a vector (dots9AVX's last,
// overlapping block).
var tailMask = [16]int32{0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1}

// convPlane sets z (H*W) to the 3x3 "same" convolution of x (C planes of
// H*W) with k (C*3*3), zeros outside the plane.
func convPlane[T float32 | float64](z, x, k []T, C, H, W int) {
	if z32, ok := any(z).([]float32); ok && useAVX && W >= 10 && 3*C <= maxAVXRows {
		convPlaneAVX(z32, any(x).([]float32), any(k).([]float32), C, H, W)
		return
	}
	hw := H * W
	z = z[:hw]
	clear(z)
	for c := range C {
		xp := x[c*hw : (c+1)*hw]
		kk := k[c*9 : (c+1)*9]
		for ky := range 3 {
			dy := ky - 1
			for i := max(0, -dy); i < min(H, H-dy); i++ {
				rowConv(z[i*W:(i+1)*W], xp[(i+dy)*W:(i+dy+1)*W], kk[ky*3], kk[ky*3+1], kk[ky*3+2])
			}
		}
	}
}

// convPlaneAVX is convPlane for W >= 10: per output row, one assembly call
// over all C*3 input rows for the interior, Go for the two edge columns.
func convPlaneAVX(z, x, k []float32, C, H, W int) {
	hw := H * W
	_ = x[C*hw-1]
	_ = z[hw-1]
	// Three row sets: first row (no row above), middle rows, last row (no
	// row below); a one-row plane has neither.
	var offs [3][maxAVXRows]int // element offsets from the output row's own
	var wts [3][maxAVXRows * 3]float32
	var nrows [3]int
	for set := range 3 {
		lo, hi := 0, 3
		if set == 0 || H == 1 {
			lo = 1
		}
		if set == 2 || H == 1 {
			hi = 2
		}
		n := 0
		for c := range C {
			for ky := lo; ky < hi; ky++ {
				offs[set][n] = c*hw + (ky-1)*W
				copy(wts[set][3*n:3*n+3], k[c*9+ky*3:c*9+ky*3+3])
				n++
			}
		}
		nrows[set] = n
	}
	var boffs [3][maxAVXRows]int // the same in bytes, for the assembly
	for set := range 3 {
		for r := range nrows[set] {
			boffs[set][r] = 4 * offs[set][r]
		}
	}
	for i := range H {
		set := 1
		if i == 0 {
			set = 0
		} else if i == H-1 {
			set = 2
		}
		o := i * W
		n := nrows[set]
		convRowsAVX(&z[o], W, &x[o], &boffs[set][0], n, &wts[set][0])
		var first, last float32
		for r := range n {
			row := x[o+offs[set][r] : o+offs[set][r]+W]
			w := wts[set][3*r : 3*r+3]
			first += w[1]*row[0] + w[2]*row[1]
			last += w[0]*row[W-2] + w[1]*row[W-1]
		}
		z[o], z[o+W-1] = first, last
	}
}

// rowConv adds w0*in[j-1] + w1*in[j] + w2*in[j+1] to out[j], with zeros
// outside the row (len(out) == len(in) >= 1). One pass per input row
// instead of three halves the loads and stores of out.
func rowConv[T float32 | float64](out, in []T, w0, w1, w2 T) {
	n := len(out)
	in = in[:n]
	if n == 1 {
		out[0] += w1 * in[0]
		return
	}
	out[0] += w1*in[0] + w2*in[1]
	for j := 1; j < n-1; j++ {
		out[j] += w0*in[j-1] + w1*in[j] + w2*in[j+1]
	}
	out[n-1] += w0*in[n-2] + w1*in[n-1]
}

// kernelGradPlane sets dk (C*3*3) to the kernel gradient of one output
// channel of one sample: gz (H*W) correlated with the shifted x (C planes).
func kernelGradPlane[T float32 | float64](gz, x, dk []T, C, H, W int) {
	if g32, ok := any(gz).([]float32); ok && useAVX && W >= 10 && W <= len(zeroRow) {
		kernelGradPlaneAVX(g32, any(x).([]float32), any(dk).([]float32), C, H, W)
		return
	}
	hw := H * W
	for c := range C {
		xp := x[c*hw : (c+1)*hw]
		kk := dk[c*9 : (c+1)*9]
		for ky := range 3 {
			dy := ky - 1
			var d0, d1, d2 T
			for i := max(0, -dy); i < min(H, H-dy); i++ {
				a, b, c := rowDots(gz[i*W:(i+1)*W], xp[(i+dy)*W:(i+dy+1)*W])
				d0, d1, d2 = d0+a, d1+b, d2+c
			}
			kk[ky*3], kk[ky*3+1], kk[ky*3+2] = d0, d1, d2
		}
	}
}

// kernelGradPlaneAVX is kernelGradPlane for W >= 10: nine dot products
// per row in eight float32 lanes each, summed lane by lane in a fixed
// order at the end, plus the edge columns in Go.
func kernelGradPlaneAVX(gz, x, dk []float32, C, H, W int) {
	hw := H * W
	_ = gz[hw-1]
	_ = x[C*hw-1]
	mask := &tailMask[(W-2)%8]
	for c := range C {
		xp := x[c*hw : (c+1)*hw]
		var acc [72]float32
		var edge [9]float32
		for i := range H {
			z := gz[i*W : (i+1)*W]
			rows := [3]*float32{&zeroRow[0], &xp[i*W], &zeroRow[0]}
			if i > 0 {
				rows[0] = &xp[(i-1)*W]
			}
			if i < H-1 {
				rows[2] = &xp[(i+1)*W]
			}
			dots9AVX(&acc[0], &z[0], rows[0], rows[1], rows[2], W, mask)
			for r := max(0, 1-i); r < min(3, H+1-i); r++ {
				xr := xp[(i+r-1)*W : (i+r)*W]
				edge[3*r+1] += z[0]*xr[0] + z[W-1]*xr[W-1]
				edge[3*r+2] += z[0] * xr[1]
				edge[3*r] += z[W-1] * xr[W-2]
			}
		}
		for t := range 9 {
			l := acc[8*t : 8*t+8]
			dk[c*9+t] = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])) + edge[t]
		}
	}
}

// rowDots returns sum z[j]*x[j-1], sum z[j]*x[j], sum z[j]*x[j+1] over one
// row (zeros outside it), in one pass.
func rowDots[T float32 | float64](z, x []T) (d0, d1, d2 T) {
	n := len(z)
	x = x[:n]
	if n == 1 {
		return 0, z[0] * x[0], 0
	}
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

// sumSq returns the sum and the sum of squares of z, in float64.
func sumSq[T float32 | float64](z []T) (s, ss float64) {
	start := 0
	if z32, ok := any(z).([]float32); ok && useAVX && len(z) >= 8 {
		var acc [8]float64
		start = len(z) &^ 7
		sumSqAVX(&z32[0], start, &acc[0])
		s = (acc[0] + acc[1]) + (acc[2] + acc[3])
		ss = (acc[4] + acc[5]) + (acc[6] + acc[7])
	}
	for _, v := range z[start:] {
		s += float64(v)
		ss += float64(v) * float64(v)
	}
	return s, ss
}

// normEluPoolPlane normalises z (H*W) in place (z becomes xhat), stores
// ELU's derivative at g*xhat+be in d (1, or exp: the backward pass is then a
// multiply, not a branch) and the 2x2 average of ELU(g*xhat+be) in y
// ((H/2)*(W/2)). rows is scratch of 2*W.
func normEluPoolPlane[T float32 | float64](z, d, y, rows []T, H, W int, m, is, g, be T) {
	oh, ow := H/2, W/2
	if z32, ok := any(z).([]float32); ok && useAVX && W%16 == 0 {
		d32, y32 := any(d).([]float32), any(y).([]float32)
		_, _, _ = z32[H*W-1], d32[H*W-1], y32[oh*ow-1]
		p := [4]float32{float32(m), float32(is), float32(g), float32(be)}
		for i := 0; i+1 < H; i += 2 {
			o := i * W
			normEluPoolAVX(&z32[o], &z32[o+W], &d32[o], &d32[o+W], &y32[(i/2)*ow], W, &p[0], &expConsts[0][0])
		}
		if H%2 == 1 {
			o := (H - 1) * W
			normEluAVX(&z32[o], &d32[o], W, &p[0], &expConsts[0][0])
		}
		return
	}
	_, f32 := any(T(0)).(float32)
	for i := 0; i < H; i += 2 {
		for r := range min(2, H-i) {
			o := (i + r) * W
			zs := z[o : o+W]
			ds := d[o : o+W]
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
		r0, r1 := rows[:2*ow], rows[W:W+2*ow]
		yr := y[(i/2)*ow : (i/2+1)*ow]
		for j := range yr {
			a, b := r0[2*j:2*j+2], r1[2*j:2*j+2]
			yr[j] = (a[0] + a[1] + b[0] + b[1]) * 0.25
		}
	}
}

// unpoolGradPlane turns a (H*W, ELU's derivative) into the gradient at
// the batch norm's output: a *= gy/4 spread over each 2x2 window, 0 on
// rows and columns the pool dropped. It returns sum a and sum a*xh in
// float64.
func unpoolGradPlane[T float32 | float64](a, xh, gy []T, H, W int) (s, sx float64) {
	oh, ow := H/2, W/2
	if a32, ok := any(a).([]float32); ok && useAVX && W%8 == 0 {
		x32, g32 := any(xh).([]float32), any(gy).([]float32)
		_, _, _ = a32[H*W-1], x32[H*W-1], g32[oh*ow-1]
		var acc [8]float64
		for i := range oh {
			o := 2 * i * W
			unpoolGradAVX(&a32[o], &a32[o+W], &x32[o], &x32[o+W], &g32[i*ow], W, &acc[0])
		}
		if H%2 == 1 {
			clear(a[(H-1)*W : H*W])
		}
		return (acc[0] + acc[1]) + (acc[2] + acc[3]), (acc[4] + acc[5]) + (acc[6] + acc[7])
	}
	for i := range oh {
		r0 := a[2*i*W : 2*i*W+2*ow]
		r1 := a[(2*i+1)*W : (2*i+1)*W+2*ow]
		for j, g := range gy[i*ow : (i+1)*ow] {
			gv := g * 0.25
			a, b := r0[2*j:2*j+2], r1[2*j:2*j+2]
			a[0] *= gv
			a[1] *= gv
			b[0] *= gv
			b[1] *= gv
		}
		if W%2 == 1 {
			// The dropped last column does not reach the output.
			a[2*i*W+W-1], a[(2*i+1)*W+W-1] = 0, 0
		}
	}
	if H%2 == 1 {
		clear(a[(H-1)*W : H*W])
	}
	xh = xh[:len(a)]
	for i, v := range a {
		s += float64(v)
		sx += float64(v) * float64(xh[i])
	}
	return s, sx
}

// bnBackPlane sets g = scale*(g - mg - xh*mgx): batch norm's input
// gradient with batch statistics.
func bnBackPlane[T float32 | float64](g, xh []T, scale, mg, mgx T) {
	start := 0
	if g32, ok := any(g).([]float32); ok && useAVX && len(g) >= 8 {
		x32 := any(xh).([]float32)
		_ = x32[len(g)-1]
		start = len(g) &^ 7
		p := [3]float32{float32(scale), float32(mg), float32(mgx)}
		bnBackAVX(&g32[0], &x32[0], start, &p[0])
	}
	g, xh = g[start:], xh[start:len(g)]
	for i, v := range g {
		g[i] = scale * (v - mg - xh[i]*mgx)
	}
}
