//go:build !amd64 || purego

package train

// useAVX is false without the amd64 assembly: the Go kernels run.
var useAVX = false

var expConsts [14][8]float32

func convRowsAVX(*float32, int, *float32, *int, int, *float32)               { panic("no AVX kernels") }
func dots9AVX(*float32, *float32, *float32, *float32, *float32, int, *int32) { panic("no AVX kernels") }
func sumSqAVX(*float32, int, *float64)                                       { panic("no AVX kernels") }
func normEluPoolAVX(*float32, *float32, *float32, *float32, *float32, int, *float32, *float32) {
	panic("no AVX kernels")
}
func normEluAVX(*float32, *float32, int, *float32, *float32) { panic("no AVX kernels") }
func unpoolGradAVX(*float32, *float32, *float32, *float32, *float32, int, *float64) {
	panic("no AVX kernels")
}
func bnBackAVX(*float32, *float32, int, *float32) { panic("no AVX kernels") }
