package pngenc

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// rleDeflate is the deflate encoder of Level Speed: Huffman coding plus runs
// (matches at distance 1 only), the strategy zlib calls Z_RLE. On filtered
// noisy images a match finder finds next to nothing (compress/flate at
// BestSpeed spends most of its time looking and writes mostly literals), so
// Huffman coding does the compressing; runs keep flat areas small (a blank
// row filters to zeros and costs a few bytes). BenchmarkDeflateLevels has
// the sizes and times beside compress/flate's levels.
//
// Each block is encoded in two passes over the same bytes: the first counts
// symbols, the second writes them with the block's own codes, so no token
// buffer is needed. A block takes whichever of the dynamic, fixed and stored
// forms is smallest; the choice depends only on the bytes.
type rleDeflate struct {
	// The block's literal/length and distance symbols: counts, code
	// lengths, and canonical codes (bit-reversed for LSB-first writing).
	lit, codes   [numLitLen]uint32
	litN         [numLitLen]uint8
	dist, dcode  [numDist]uint32
	distN        [numDist]uint8
	hclen, hcode [numCodeLen]uint32 // the code-length code of the header, likewise
	hcN          [numCodeLen]uint8
	rle          []uint8  // the header's code-length symbols, each with its extra value
	runs         []int32  // (start, length) of each run in the block
	sort         []uint64 // scratch of huffman
	depth        []uint32 // scratch of huffman
}

const (
	numLitLen  = 286
	numDist    = 30
	numCodeLen = 19
	endBlock   = 256
	// minRun is the shortest run taken as a match. With eight equal bytes
	// (the one before and seven) a run always holds an aligned word of four,
	// which lets findRuns skip eight bytes at a time. Shorter runs did not
	// pay: with runs from four the files were as large or up to 3% larger
	// (a short match costs about what the literals it replaces cost).
	minRun = 7
	maxRun = 258
	// rleBlockBytes is the most input one block covers: smaller blocks fit
	// their codes to the local statistics (background, cell) at the price
	// of a header each; 32 KiB was the smallest total on noisy cells.
	rleBlockBytes = 32 << 10
)

// lengthCode is the deflate length symbol (257..285) minus 257 for each
// match length minus 3, with its extra bits.
var lengthSym, lengthExtraBits, lengthBase = func() (sym [256]uint8, eb [29]uint8, base [29]uint16) {
	eb = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	base = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	for c := 0; c < 29; c++ {
		hi := 258
		if c < 28 {
			hi = int(base[c+1]) - 1
		}
		if c == 27 {
			hi = 257
		}
		for l := int(base[c]); l <= hi; l++ {
			sym[l-3] = uint8(c)
		}
	}
	return
}()

// codeLenOrder is the order in which the code-length code's lengths are sent.
var codeLenOrder = [numCodeLen]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// fixedLit and fixedCodes are the literal/length code of fixed blocks. The
// code is built over all 288 symbols: the two that never occur still take
// their places among the 8-bit codes.
var fixedLit, fixedCodes = func() (n [numLitLen]uint8, c [numLitLen]uint32) {
	var n288 [288]uint8
	var c288 [288]uint32
	for i := range n288 {
		switch {
		case i < 144:
			n288[i] = 8
		case i < 256:
			n288[i] = 9
		case i < 280:
			n288[i] = 7
		default:
			n288[i] = 8
		}
	}
	canonical(c288[:], n288[:])
	copy(n[:], n288[:])
	copy(c[:], c288[:])
	return
}()

// runAt returns the length of the run of copies of p[i-1] starting at p[i]
// (at most maxRun and len(p)-i), or 0 when it is shorter than minRun.
// i must be at least 1.
func runAt(p []byte, i int) int {
	if i+minRun > len(p) {
		return 0
	}
	rep := uint64(p[i-1]) * 0x0101010101010101
	if le.Uint64(p[i-1:]) != rep {
		return 0
	}
	end := min(len(p), i+maxRun)
	j := i + minRun
	for j+8 <= end {
		if x := le.Uint64(p[j:]) ^ rep; x != 0 {
			return j + bits.TrailingZeros64(x)/8 - i
		}
		j += 8
	}
	for j < end && p[j] == p[i] {
		j++
	}
	return j - i
}

// appendBlocks appends p deflated as a series of blocks to w; the last one
// is final when final is set. Runs do not cross blocks.
func (z *rleDeflate) appendBlocks(w *bitWriter, p []byte, final bool) {
	if len(p) == 0 && final {
		z.block(w, p, true) // a stream needs its final block, empty or not
	}
	for len(p) > 0 {
		n := min(len(p), rleBlockBytes)
		z.block(w, p[:n], final && n == len(p))
		p = p[n:]
	}
}

// block writes one block of p.
func (z *rleDeflate) block(w *bitWriter, p []byte, final bool) {
	z.findRuns(p)
	z.count(p)
	dyn := z.dynamicBits()
	fixed := uint64(3)
	for s, f := range z.lit {
		fixed += uint64(f) * uint64(fixedLit[s])
	}
	fixed += uint64(z.dist[0])*5 + z.extraBits()
	stored := storedBits(w.nbits, len(p))
	var fb uint32
	if final {
		fb = 1
	}
	switch {
	case stored <= dyn && stored <= fixed:
		w.writeStored(p, fb)
	case fixed <= dyn:
		z.litN, z.codes = fixedLit, fixedCodes
		clear(z.distN[:])
		z.distN[0] = 5
		z.dcode[0] = 0
		w.reserve(int(fixed/8) + 16)
		w.put(fb|1<<1, 3)
		z.emit(w, p)
	default:
		w.reserve(int(dyn/8) + 16)
		w.put(fb|2<<1, 3)
		z.writeHeader(w)
		z.emit(w, p)
	}
}

// storedBits is the size of p as stored blocks after nbits pending bits.
func storedBits(nbits uint, n int) uint64 {
	blocks := max(1, (n+0xffff-1)/0xffff)
	// 3 header bits padded to a byte, then LEN and NLEN, per block.
	pad := (8 - (nbits+3)%8) % 8
	return uint64(3+pad) + uint64(blocks-1)*(3+8*4+5) + uint64(blocks)*32 + uint64(n)*8
}

// findRuns lists the runs of p as (start, length) pairs in z.runs: at each
// position after a literal or a run, a run is taken when runAt finds one.
// count and emit then walk the literals between runs without checking.
//
// A run at i covers p[i-1:i+7], which holds the aligned word of four bytes
// that starts in [i-1, i+2]; so while aligned words are not four equal
// bytes, the positions around them cannot start a run and are skipped,
// eight bytes per step. Only near a uniform word is every position tried.
func (z *rleDeflate) findRuns(p []byte) {
	r := z.runs[:0]
	for i := 1; i < len(p); {
		// The aligned word a rules out positions a-2 to a+1.
		a := (i + 2) &^ 3
		for a+8 <= len(p) {
			x := le.Uint64(p[a:])
			d := (x ^ x>>8) & 0x00ffffff00ffffff // zero half: a uniform word
			if uint32(d) == 0 || d>>32 == 0 {
				break
			}
			a += 8
		}
		i = max(i, a-2)
		if i >= len(p) {
			break
		}
		if n := runAt(p, i); n > 0 {
			r = append(r, int32(i), int32(n))
			i += n
		} else {
			i++
		}
	}
	z.runs = r
}

// count fills the symbol counts of p's tokens.
func (z *rleDeflate) count(p []byte) {
	clear(z.lit[:])
	clear(z.dist[:])
	// Four tables summed at the end: consecutive equal bytes (common in
	// noise residuals) would otherwise wait on each other's increments.
	var h [4][256]uint32
	at := 0
	for k := 0; k <= len(z.runs); k += 2 {
		end := len(p)
		if k < len(z.runs) {
			end = int(z.runs[k])
		}
		q := p[at:end]
		for len(q) >= 4 {
			h[0][q[0]]++
			h[1][q[1]]++
			h[2][q[2]]++
			h[3][q[3]]++
			q = q[4:]
		}
		for _, b := range q {
			h[0][b]++
		}
		if k < len(z.runs) {
			n := int(z.runs[k+1])
			z.lit[257+int(lengthSym[n-3])]++
			z.dist[0]++
			at = end + n
		}
	}
	for s := range 256 {
		z.lit[s] = h[0][s] + h[1][s] + h[2][s] + h[3][s]
	}
	z.lit[endBlock] = 1
}

// extraBits is the total of the length extra bits the counted runs carry.
func (z *rleDeflate) extraBits() uint64 {
	var n uint64
	for c := 0; c < 29; c++ {
		n += uint64(z.lit[257+c]) * uint64(lengthExtraBits[c])
	}
	return n
}

// dynamicBits builds the block's codes from the counts and returns the size
// of the dynamic block: header and data.
func (z *rleDeflate) dynamicBits() uint64 {
	z.huffman(z.litN[:], z.lit[:], 15)
	// Runs use distance code 0 only. It gets one bit even in a block
	// without runs: a code with no distances is legal, but a single code
	// of one bit is what every inflater accepts.
	clear(z.distN[:])
	z.distN[0] = 1
	canonical(z.codes[:], z.litN[:])
	canonical(z.dcode[:], z.distN[:])

	nlit, ndist := trimmed(z.litN[:], 257), trimmed(z.distN[:], 1)
	z.rle = codeLengthSymbols(z.rle[:0], z.litN[:nlit], z.distN[:ndist])
	clear(z.hclen[:])
	for i := 0; i < len(z.rle); i += 2 {
		z.hclen[z.rle[i]]++
	}
	z.huffman(z.hcN[:], z.hclen[:], 7)
	canonical(z.hcode[:], z.hcN[:])
	nclen := numCodeLen
	for nclen > 4 && z.hcN[codeLenOrder[nclen-1]] == 0 {
		nclen--
	}

	n := uint64(3 + 5 + 5 + 4 + 3*nclen)
	for i := 0; i < len(z.rle); i += 2 {
		s := z.rle[i]
		n += uint64(z.hcN[s]) + uint64([3]uint8{2, 3, 7}[max(s, 16)-16])*uint64(s/16)
	}
	for s, f := range z.lit {
		n += uint64(f) * uint64(z.litN[s])
	}
	return n + uint64(z.dist[0]) + z.extraBits()
}

// trimmed is the number of code lengths to send: up to the last non-zero
// one, at least least.
func trimmed(n []uint8, least int) int {
	k := len(n)
	for k > least && n[k-1] == 0 {
		k--
	}
	return k
}

// codeLengthSymbols run-length codes the concatenated code lengths with
// symbols 0-18, appending pairs (symbol, extra value) to dst.
func codeLengthSymbols(dst []uint8, lit, dist []uint8) []uint8 {
	var buf [numLitLen + numDist]uint8
	all := append(append(buf[:0], lit...), dist...)
	for i := 0; i < len(all); {
		v := all[i]
		j := i + 1
		for j < len(all) && all[j] == v {
			j++
		}
		n := j - i
		i = j
		if v == 0 {
			for n >= 11 {
				k := min(n, 138)
				dst = append(dst, 18, uint8(k-11))
				n -= k
			}
			if n >= 3 {
				dst = append(dst, 17, uint8(n-3))
				n = 0
			}
		} else {
			dst = append(dst, v, 0)
			n--
			for n >= 3 {
				k := min(n, 6)
				dst = append(dst, 16, uint8(k-3))
				n -= k
			}
		}
		for ; n > 0; n-- {
			dst = append(dst, v, 0)
		}
	}
	return dst
}

func (z *rleDeflate) writeHeader(w *bitWriter) {
	nlit, ndist := trimmed(z.litN[:], 257), trimmed(z.distN[:], 1)
	nclen := numCodeLen
	for nclen > 4 && z.hcN[codeLenOrder[nclen-1]] == 0 {
		nclen--
	}
	w.put(uint32(nlit-257), 5)
	w.put(uint32(ndist-1), 5)
	w.put(uint32(nclen-4), 4)
	for _, s := range codeLenOrder[:nclen] {
		w.put(uint32(z.hcN[s]), 3)
	}
	for i := 0; i < len(z.rle); i += 2 {
		s, x := z.rle[i], z.rle[i+1]
		w.put(z.hcode[s], uint(z.hcN[s]))
		switch s {
		case 16:
			w.put(uint32(x), 2)
		case 17:
			w.put(uint32(x), 3)
		case 18:
			w.put(uint32(x), 7)
		}
	}
}

// emit writes p's tokens (the ones count counted) and the end of block;
// the caller reserved room for them.
func (z *rleDeflate) emit(w *bitWriter, p []byte) {
	// Each literal's code and length in one word: code | length<<24.
	var lc [256]uint32
	for s := range lc {
		lc[s] = z.codes[s] | uint32(z.litN[s])<<24
	}
	out, pos := w.buf[:cap(w.buf)], len(w.buf)
	acc, nb := w.acc, w.nbits
	at := 0
	for k := 0; k <= len(z.runs); k += 2 {
		end := len(p)
		if k < len(z.runs) {
			end = int(z.runs[k])
		}
		pos, acc, nb = emitLiterals(out, pos, acc, nb, p[at:end], &lc)
		if k == len(z.runs) {
			break
		}
		// A length code, its extra bits and the one-bit distance: at most
		// 15+5+15 bits on the at most 7 pending.
		n := int(z.runs[k+1])
		c := int(lengthSym[n-3])
		acc |= uint64(z.codes[257+c]) << (nb & 63)
		nb += uint(z.litN[257+c])
		acc |= uint64(n-int(lengthBase[c])) << (nb & 63)
		nb += uint(lengthExtraBits[c])
		acc |= uint64(z.dcode[0]) << (nb & 63)
		nb += uint(z.distN[0])
		le.PutUint64(out[pos:], acc)
		pos += int(nb >> 3)
		acc >>= (nb &^ 7) & 63
		nb &= 7
		at = end + n
	}
	acc |= uint64(z.codes[endBlock]) << (nb & 63)
	nb += uint(z.litN[endBlock])
	le.PutUint64(out[pos:], acc)
	pos += int(nb >> 3)
	acc >>= (nb &^ 7) & 63
	nb &= 7
	w.buf, w.acc, w.nbits = out[:pos], acc, nb
}

// emitLiterals writes the codes of q's bytes at bit nb of acc, storing
// whole words at out[pos:], and returns the new state. After a store at
// most 7 bits are pending, so three codes of at most 15 bits fit in acc.
func emitLiterals(out []byte, pos int, acc uint64, nb uint, q []byte, lc *[256]uint32) (int, uint64, uint) {
	for len(q) >= 3 {
		c0, c1, c2 := lc[q[0]], lc[q[1]], lc[q[2]]
		acc |= uint64(c0&0xffffff) << (nb & 63)
		nb += uint(c0 >> 24)
		acc |= uint64(c1&0xffffff) << (nb & 63)
		nb += uint(c1 >> 24)
		acc |= uint64(c2&0xffffff) << (nb & 63)
		nb += uint(c2 >> 24)
		le.PutUint64(out[pos:], acc)
		pos += int(nb >> 3)
		acc >>= (nb &^ 7) & 63
		nb &= 7
		q = q[3:]
	}
	for _, b := range q {
		c := lc[b]
		acc |= uint64(c&0xffffff) << (nb & 63)
		nb += uint(c >> 24)
		le.PutUint64(out[pos:], acc)
		pos += int(nb >> 3)
		acc >>= (nb &^ 7) & 63
		nb &= 7
	}
	return pos, acc, nb
}

// bitWriter packs deflate's LSB-first bits into buf. reserve must have made
// room (plus 8 bytes of slack) before the fast paths write.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

// reserve makes sure n more bytes, and 8 of slack for whole-word stores,
// fit in buf's capacity.
func (w *bitWriter) reserve(n int) {
	w.buf = slices.Grow(w.buf, n+8)
}

// put writes the low n bits of v (n <= 32).
func (w *bitWriter) put(v uint32, n uint) {
	w.acc |= uint64(v) << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// align pads with zero bits to a byte boundary.
func (w *bitWriter) align() {
	if w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
	}
	w.acc, w.nbits = 0, 0
}

func (w *bitWriter) writeStored(p []byte, final uint32) {
	for first := true; first || len(p) > 0; first = false {
		n := min(len(p), 0xffff)
		fb := uint32(0)
		if n == len(p) {
			fb = final
		}
		w.put(fb, 3)
		w.align()
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(n))
		w.buf = binary.LittleEndian.AppendUint16(w.buf, ^uint16(n))
		w.buf = append(w.buf, p[:n]...)
		p = p[n:]
	}
}

// huffman sets n[s] to the length of a Huffman code for counts f, no
// longer than limit, 0 for unused symbols. The lengths depend only on the
// counts (ties broken by symbol).
func (z *rleDeflate) huffman(n []uint8, f []uint32, limit int) {
	clear(n)
	syms := z.sort[:0]
	for s, c := range f {
		if c > 0 {
			syms = append(syms, uint64(c)<<16|uint64(s))
		}
	}
	z.sort = syms
	switch len(syms) {
	case 0:
		return
	case 1:
		n[syms[0]&0xffff] = 1
		return
	}
	slices.Sort(syms)
	// Moffat and Katajainen's in-place minimum-redundancy code on the
	// ascending counts (as miniz's tdefl_calculate_minimum_redundancy):
	// a[i] ends as the depth of the i-th least frequent symbol.
	a := z.depth[:0]
	for _, s := range syms {
		a = append(a, uint32(s>>16))
	}
	z.depth = a
	m := len(a)
	a[0] += a[1]
	root, leaf := 0, 2
	for next := 1; next < m-1; next++ {
		if leaf >= m || a[root] < a[leaf] {
			a[next] = a[root]
			a[root] = uint32(next)
			root++
		} else {
			a[next] = a[leaf]
			leaf++
		}
		if leaf >= m || (root < next && a[root] < a[leaf]) {
			a[next] += a[root]
			a[root] = uint32(next)
			root++
		} else {
			a[next] += a[leaf]
			leaf++
		}
	}
	a[m-2] = 0
	for next := m - 3; next >= 0; next-- {
		a[next] = a[a[next]] + 1
	}
	avbl, used, depth := 1, 0, 0
	r, next := m-2, m-1
	for avbl > 0 {
		for r >= 0 && int(a[r]) == depth {
			used++
			r--
		}
		for avbl > used {
			a[next] = uint32(depth)
			next--
			avbl--
		}
		avbl, depth, used = 2*used, depth+1, 0
	}
	// Limit the lengths (miniz's tdefl_huffman_enforce_max_code_size):
	// fold longer codes into the limit, then lengthen shorter ones until
	// the Kraft sum is exactly one again.
	var count [64]int
	for _, d := range a {
		count[min(int(d), 63)]++
	}
	for d := limit + 1; d < len(count); d++ {
		count[limit] += count[d]
		count[d] = 0
	}
	var total uint64
	for d := limit; d > 0; d-- {
		total += uint64(count[d]) << (limit - d)
	}
	for total != 1<<limit {
		count[limit]--
		for d := limit - 1; d > 0; d-- {
			if count[d] > 0 {
				count[d]--
				count[d+1] += 2
				break
			}
		}
		total--
	}
	// Shortest codes to the most frequent symbols.
	j := m
	for d := 1; d <= limit; d++ {
		for k := count[d]; k > 0; k-- {
			j--
			n[syms[j]&0xffff] = uint8(d)
		}
	}
}

// canonical sets codes[s] to the bit-reversed canonical Huffman code of each
// symbol with length n[s] (RFC 1951, 3.2.2), ready for LSB-first writing.
func canonical(codes []uint32, n []uint8) {
	var count [16]uint32
	for _, l := range n {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	code := uint32(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range n {
		if l == 0 {
			codes[s] = 0
			continue
		}
		codes[s] = bits.Reverse32(next[l]) >> (32 - uint(l))
		next[l]++
	}
}
