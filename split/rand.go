package split

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// newStream returns a ChaCha8 stream keyed by SHA-256 of a version tag, the
// domain, the seed and the class. The domain keeps the assignment and order
// streams independent, so changing how one is drawn never moves the other;
// the class is last, so no separator is needed to keep keys unambiguous.
func newStream(seed uint64, domain, class string) *rand.ChaCha8 {
	h := sha256.New()
	h.Write([]byte("augsplit/split/v1\x00"))
	h.Write([]byte(domain))
	h.Write([]byte{0})
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(class))
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return rand.NewChaCha8(key)
}

// shuffle is Fisher-Yates over our own bounded draw instead of rand.Shuffle:
// only ChaCha8's output is a specified algorithm, and a dataset must not be
// re-split because a later Go release changed how Shuffle consumes it.
func shuffle(r *rand.ChaCha8, n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, int(bounded(r, uint64(i+1))))
	}
}

// bounded returns a uniform value in [0, n) by Lemire's multiply-and-reject,
// which avoids the modulo bias of r.Uint64() % n.
func bounded(r *rand.ChaCha8, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}
