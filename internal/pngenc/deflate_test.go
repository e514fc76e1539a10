package pngenc

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// rleInputs are byte strings that exercise each block form and the runs:
// noise (dynamic), incompressible bytes (stored), a few bytes (fixed),
// runs just below, at and above minRun and maxRun, runs across block
// boundaries, and inputs longer than one block.
func rleInputs() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 3*rleBlockBytes+17)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	noisy := make([]byte, 2*rleBlockBytes+5)
	for i := range noisy {
		noisy[i] = byte(int(r.NormFloat64() * 3))
	}
	var runs []byte
	for n := 1; n <= 2*maxRun+3; n += 1 + n/7 {
		for k := 0; k <= n; k++ {
			runs = append(runs, byte(n))
		}
		runs = append(runs, 0xa5)
	}
	edge := bytes.Repeat([]byte{7}, rleBlockBytes+3*maxRun)
	copy(edge, "start")
	mixed := append(append(bytes.Clone(noisy[:5000]), make([]byte, 9000)...), random[:4000]...)
	return map[string][]byte{
		"empty":  {},
		"one":    {42},
		"two":    {0, 0},
		"short":  []byte("abcabcabc"),
		"eight":  {5, 5, 5, 5, 5, 5, 5, 5},
		"nine":   {5, 5, 5, 5, 5, 5, 5, 5, 5},
		"random": random,
		"noisy":  noisy,
		"runs":   runs,
		"edge":   edge,
		"zeros":  make([]byte, 100000),
		"mixed":  mixed,
	}
}

func rleCompress(p []byte) []byte {
	var z rleDeflate
	w := bitWriter{}
	z.appendBlocks(&w, p, true)
	w.align()
	return w.buf
}

func inflate(t testing.TB, stream []byte) []byte {
	t.Helper()
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return got
}

// firstBlockType reads BTYPE from the first block's header: which form
// the encoder chose for it.
func firstBlockType(stream []byte) int { return int(stream[0]>>1) & 3 }

func TestRLEDeflateRoundTrip(t *testing.T) {
	for name, p := range rleInputs() {
		t.Run(name, func(t *testing.T) {
			out := rleCompress(p)
			if got := inflate(t, out); !bytes.Equal(got, p) {
				t.Fatalf("round trip differs: %d bytes back, want %d", len(got), len(p))
			}
			// Stored blocks bound the size: 5 bytes per block of input.
			blocks := max(1, (len(p)+rleBlockBytes-1)/rleBlockBytes)
			if limit := len(p) + 5*blocks + 1; len(out) > limit {
				t.Fatalf("%d bytes for %d, more than stored (%d)", len(out), len(p), limit)
			}
		})
	}
}

// TestRLEBlockForms checks that each of the three forms is chosen where it
// is smallest.
func TestRLEBlockForms(t *testing.T) {
	in := rleInputs()
	for _, tc := range []struct {
		name string
		want int // BTYPE: 0 stored, 1 fixed, 2 dynamic
	}{{"random", 0}, {"short", 1}, {"noisy", 2}, {"zeros", 2}} {
		if got := firstBlockType(rleCompress(in[tc.name])); got != tc.want {
			t.Errorf("%s: first block type %d, want %d", tc.name, got, tc.want)
		}
	}
	// A blank image row is a few bytes: runs work.
	if n := len(rleCompress(in["zeros"])); n > 200 {
		t.Errorf("100000 zeros took %d bytes", n)
	}
}

// TestFindRunsGreedy compares findRuns, which skips eight bytes at a time,
// with the plain greedy walk that tries every position.
func TestFindRunsGreedy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var z rleDeflate
	for trial := 0; trial < 300; trial++ {
		p := make([]byte, 1+r.IntN(3000))
		for i := 0; i < len(p); {
			n := 1 + r.IntN(3)
			if r.IntN(4) == 0 {
				n = 1 + r.IntN(300)
			}
			v := byte(r.IntN(3))
			for k := 0; k < n && i < len(p); k++ {
				p[i] = v
				i++
			}
		}
		var want []int32
		for i := 1; i < len(p); {
			if n := runAt(p, i); n > 0 {
				want = append(want, int32(i), int32(n))
				i += n
			} else {
				i++
			}
		}
		z.findRuns(p)
		if fmt.Sprint(z.runs) != fmt.Sprint(want) {
			t.Fatalf("trial %d (%d bytes): runs %v, want %v", trial, len(p), z.runs, want)
		}
		if got := inflate(t, rleCompress(p)); !bytes.Equal(got, p) {
			t.Fatalf("trial %d: round trip differs", trial)
		}
	}
}

// TestHuffmanLimit: counts that grow like Fibonacci numbers make an
// unlimited Huffman code deeper than deflate allows; the lengths must be
// limited and still form a complete prefix code.
func TestHuffmanLimit(t *testing.T) {
	var z rleDeflate
	for _, limit := range []int{7, 15} {
		f := make([]uint32, 30)
		a, b := uint32(1), uint32(1)
		for i := range f {
			f[i] = a
			a, b = b, a+b
		}
		n := make([]uint8, len(f))
		z.huffman(n, f, limit)
		kraft := 0.0
		for s, l := range n {
			if l == 0 || int(l) > limit {
				t.Fatalf("limit %d: symbol %d has length %d", limit, s, l)
			}
			if s > 0 && l > n[s-1] && f[s] > f[s-1] {
				t.Fatalf("limit %d: more frequent symbol %d has a longer code", limit, s)
			}
			kraft += 1 / float64(uint(1)<<l)
		}
		if kraft != 1 {
			t.Fatalf("limit %d: Kraft sum %v, want 1", limit, kraft)
		}
	}
	// One symbol gets one bit (what inflaters accept); none gets nothing.
	n := make([]uint8, 3)
	z.huffman(n, []uint32{0, 5, 0}, 15)
	if n[0] != 0 || n[1] != 1 || n[2] != 0 {
		t.Fatalf("one symbol: lengths %v", n)
	}
}

func FuzzRLEDeflate(f *testing.F) {
	for _, p := range rleInputs() {
		if len(p) < 1<<12 {
			f.Add(p)
		}
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if got := inflate(t, rleCompress(p)); !bytes.Equal(got, p) {
			t.Fatalf("round trip differs for %d bytes", len(p))
		}
	})
}
