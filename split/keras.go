package split

import "math"

// LastFraction returns the indices that Keras fit(x, y, validation_split=frac)
// would train and validate on for n samples, so the seed-bug story and audits
// can show what a "last fraction" split does to class-ordered data.
//
// Keras (keras/src/trainers/data_adapters/array_slicing.py,
// train_validation_split; tf.keras data_adapter.py has the same code) computes
//
//	split_at = int(math.floor(batch_dim * (1.0 - validation_split)))
//
// and takes [:split_at] for training and [split_at:] for validation, in the
// given order, before any shuffling (shuffle=True only reorders the training
// part each epoch). Keras raises when either side is empty; this returns the
// slices as they are, and clamps frac outside [0, 1] (NaN counts as 0) rather
// than fail, since it only describes what would happen.
func LastFraction(n int, frac float64) (trainIdx, valIdx []int) {
	if n <= 0 {
		return []int{}, []int{}
	}
	splitAt := n
	switch {
	case frac >= 1:
		splitAt = 0
	case frac > 0:
		// float64 conversions as in Python, so the cut lands on the same index.
		splitAt = int(math.Floor(float64(n) * (1.0 - frac)))
		splitAt = min(max(splitAt, 0), n)
	}
	trainIdx = make([]int, splitAt)
	for i := range trainIdx {
		trainIdx[i] = i
	}
	valIdx = make([]int, n-splitAt)
	for i := range valIdx {
		valIdx[i] = splitAt + i
	}
	return trainIdx, valIdx
}
