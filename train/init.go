package train

import (
	"math"
	"math/rand/v2"
)

// Seeded initialisers. Gorgonia's HeN/HeU are clock-seeded and panic on
// float32, so these follow Keras's definitions with an explicit generator.

// newRand returns a generator for one purpose (stream) of one seed, so that
// adding a draw for one purpose never shifts another's sequence.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream^0x9e3779b97f4a7c15))
}

// heNormal fills w like Keras's he_normal: a normal truncated at two
// standard deviations, stddev sqrt(2/fanIn) corrected for the truncation.
func heNormal(r *rand.Rand, w []float64, fanIn int) {
	// 0.8796... is the stddev of a unit normal truncated to [-2, 2].
	std := math.Sqrt(2/float64(fanIn)) / 0.87962566103423978
	for i := range w {
		for {
			v := r.NormFloat64()
			if v >= -2 && v <= 2 {
				w[i] = v * std
				break
			}
		}
	}
}

// glorotUniform fills w like Keras's glorot_uniform: U(-l, l) with
// l = sqrt(6/(fanIn+fanOut)).
func glorotUniform(r *rand.Rand, w []float64, fanIn, fanOut int) {
	l := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = (2*r.Float64() - 1) * l
	}
}
