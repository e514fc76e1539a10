package pngenc

import (
	"encoding/binary"
	"math/bits"
)

var le = binary.LittleEndian

// The filter loops reslice their operands to one common length before the
// loop so the compiler can drop bounds checks, and compute the "left"
// neighbours through a second slice shifted by bpp instead of indexing i-bpp.

// filterRow writes scanline cur, filtered with ft against the previous
// scanline prev, to dst. All three have the same length.
func filterRow(ft filterType, dst, cur, prev []byte, bpp int) {
	switch ft {
	case ftNone:
		copy(dst, cur)
	case ftSub:
		filterSub(dst, cur, bpp)
	case ftUp:
		filterUp(dst, cur, prev)
	case ftAverage:
		filterAverage(dst, cur, prev, bpp)
	case ftPaeth:
		filterPaeth(dst, cur, prev, bpp)
	}
}

// The Sub, Up and Average loops work on eight bytes at a time in a uint64
// (SWAR): their inputs are all unfiltered bytes, so no byte depends on the
// result for the byte before it. lo7 and hi7 mask the low seven bits and the
// top bit of each byte.
const (
	lo7 = 0x7f7f7f7f7f7f7f7f
	hi7 = 0x8080808080808080
)

// sub8 is the bytewise difference x-y mod 256 of eight lanes: the top bit of
// each byte of x is set and cleared in y so that no lane borrows from the
// next, then the top bits are fixed up.
func sub8(x, y uint64) uint64 {
	return ((x | hi7) - (y &^ hi7)) ^ ((x ^ ^y) & hi7)
}

// avg8 is the bytewise floor((x+y)/2) of eight lanes, without overflow.
func avg8(x, y uint64) uint64 {
	return (x & y) + ((x ^ y) >> 1 & lo7)
}

func filterSub(dst, cur []byte, bpp int) {
	n := min(len(dst), len(cur))
	b := min(bpp, n)
	copy(dst[:b], cur[:b])
	d, c, a := dst[b:n], cur[b:n], cur[:n-b]
	c, a = c[:len(d)], a[:len(d)]
	i := 0
	for ; i+8 <= len(d); i += 8 {
		le.PutUint64(d[i:i+8], sub8(le.Uint64(c[i:i+8]), le.Uint64(a[i:i+8])))
	}
	for ; i < len(d); i++ {
		d[i] = c[i] - a[i]
	}
}

func filterUp(dst, cur, prev []byte) {
	n := min(len(dst), len(cur), len(prev))
	d, c, p := dst[:n], cur[:n], prev[:n]
	i := 0
	for ; i+8 <= len(d); i += 8 {
		le.PutUint64(d[i:i+8], sub8(le.Uint64(c[i:i+8]), le.Uint64(p[i:i+8])))
	}
	for ; i < len(d); i++ {
		d[i] = c[i] - p[i]
	}
}

func filterAverage(dst, cur, prev []byte, bpp int) {
	n := min(len(dst), len(cur), len(prev))
	b := min(bpp, n)
	for i := 0; i < b; i++ {
		dst[i] = cur[i] - prev[i]/2
	}
	d, c, a, p := dst[b:n], cur[b:n], cur[:n-b], prev[b:n]
	c, a, p = c[:len(d)], a[:len(d)], p[:len(d)]
	i := 0
	for ; i+8 <= len(d); i += 8 {
		le.PutUint64(d[i:i+8], sub8(le.Uint64(c[i:i+8]), avg8(le.Uint64(a[i:i+8]), le.Uint64(p[i:i+8]))))
	}
	for ; i < len(d); i++ {
		d[i] = c[i] - byte((uint(a[i])+uint(p[i]))>>1)
	}
}

func filterPaeth(dst, cur, prev []byte, bpp int) {
	n := min(len(dst), len(cur), len(prev))
	b := min(bpp, n)
	// With no left neighbour a = c = 0 and the predictor is b: Up.
	for i := 0; i < b; i++ {
		dst[i] = cur[i] - prev[i]
	}
	d, c, a, p, q := dst[b:n], cur[b:n], cur[:n-b], prev[b:n], prev[:n-b]
	c, a, p, q = c[:len(d)], a[:len(d)], p[:len(d)], q[:len(d)]
	for i := range d {
		left, up, ul := int(a[i]), int(p[i]), int(q[i])
		// pa = |p-a| = |up-ul|, pb = |p-b| = |left-ul|, pc = |pa+pb| before
		// taking absolute values. The choice is written as two selects
		// rather than an if/else chain so the compiler can use conditional
		// moves: noise makes the choice unpredictable for a branch.
		pa := up - ul
		pb := left - ul
		pc := abs(pa + pb)
		pa, pb = abs(pa), abs(pb)
		pred := ul
		if pb <= pc {
			pred = up
		}
		if pa <= min(pb, pc) {
			pred = left
		}
		d[i] = c[i] - byte(pred)
	}
}

func abs(x int) int {
	m := x >> (bits.UintSize - 1)
	return (x ^ m) - m
}

// adler32Update is hash/adler32's update, here so that the running checksum
// needs no hash.Hash32 allocation, and sixteen bytes per step (about twice as fast: see BenchmarkAdler32).
func adler32Update(adler uint32, p []byte) uint32 {
	const (
		mod = 65521
		// nmax is the largest n such that 255n(n+1)/2 + (n+1)(mod-1) <= 2^32-1.
		nmax = 5552
	)
	s1, s2 := adler&0xffff, adler>>16
	for len(p) > 0 {
		var q []byte
		if len(p) > nmax {
			p, q = p[:nmax], p[nmax:]
		}
		// Sixteen bytes per step, summed in 16-bit lanes of uint64s (SWAR):
		// s1 gains the byte sum and s2 gains 16*s1 plus the bytes weighted
		// 16..1. Multiplying by a constant of lane weights gathers the
		// weighted sum of the four lanes in the top lane; every lane stays
		// below 2^16 (at most 34680 in the top one), so no lane carries into
		// the next. The sums equal the bytewise ones after every step, so
		// nmax (a multiple of 16) still bounds them.
		for len(p) >= 16 {
			a, b := le.Uint64(p), le.Uint64(p[8:])
			ae, ao := a&0x00ff00ff00ff00ff, a>>8&0x00ff00ff00ff00ff // bytes 0,2,4,6 and 1,3,5,7
			be, bo := b&0x00ff00ff00ff00ff, b>>8&0x00ff00ff00ff00ff // bytes 8,10,12,14 and 9,11,13,15
			sum := uint32((ae + ao + be + bo) * 0x0001000100010001 >> 48)
			weighted := uint32((ae*0x0010000e000c000a + ao*0x000f000d000b0009 +
				be*0x0008000600040002 + bo*0x0007000500030001) >> 48)
			s2 += 16*s1 + weighted
			s1 += sum
			p = p[16:]
		}
		for _, x := range p {
			s1 += uint32(x)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
		p = q
	}
	return s2<<16 | s1
}
