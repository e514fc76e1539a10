//go:build amd64 && !purego

package train

import (
	"math"

	"golang.org/x/sys/cpu"
)

// useAVX selects the AVX2+FMA kernels of kernels_amd64.s for float32
// blocks. Tests switch it off to compare with the Go kernels.
var useAVX = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// expConsts is the vector expf's constant table: one value per 32-byte row
// (the C_* offsets of kernels_amd64.s), so every constant can be a full
// 256-bit memory operand.
var expConsts = func() (t [14][8]float32) {
	rows := [...]float32{
		0, -87.3, 1.44269504088896341, 0.693359375, -2.12194440e-4,
		1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
		1, 0.25, math.Float32frombits(127),
	}
	for i, v := range rows {
		for l := range t[i] {
			t[i][l] = v
		}
	}
	return t
}()

//go:noescape
func convRowsAVX(out *float32, n int, in *float32, offs *int, nrows int, w *float32)

//go:noescape
func dots9AVX(acc *float32, z, x0, x1, x2 *float32, n int, mask *int32)

//go:noescape
func sumSqAVX(x *float32, n int, acc *float64)

//go:noescape
func normEluPoolAVX(z0, z1, d0, d1, y *float32, n int, p *float32, c *float32)

//go:noescape
func normEluAVX(z, d *float32, n int, p *float32, c *float32)

//go:noescape
func unpoolGradAVX(a0, a1, x0, x1, gy *float32, n int, acc *float64)

//go:noescape
func bnBackAVX(gr, xh *float32, n int, p *float32)
