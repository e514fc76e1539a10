package augment

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

var noiseSigmas = []float64{0.01, 0.3, 0.5, 1, 2.5, 4, 8, 39.9, 300}

// TestIntNormalSearch: the guide table's one comparison (and the tail
// search) must draw exactly what a plain search of the thresholds draws,
// at every threshold, just below it and at random uniforms.
func TestIntNormalSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, sigma := range noiseSigmas {
		var tb intNormal
		tb.init(sigma)
		k := -tb.lo
		thr := tb.thr[:2*k+2]
		if thr[0] != 0 || thr[2*k+1] != 1<<32 {
			t.Fatalf("sigma %v: thresholds start %d and end %d", sigma, thr[0], thr[2*k+1])
		}
		for j := 1; j < len(thr); j++ {
			if thr[j] < thr[j-1] {
				t.Fatalf("sigma %v: thresholds fall at %d", sigma, j)
			}
		}
		search := func(u uint32) int {
			j := 0
			for uint64(u) >= thr[j+1] {
				j++
			}
			return tb.lo + j
		}
		var us []uint32
		for _, v := range thr[1 : len(thr)-1] {
			us = append(us, uint32(v), uint32(v-1))
		}
		for range 20000 {
			us = append(us, r.Uint32())
		}
		us = append(us, 0, math.MaxUint32)
		for _, u := range us {
			if got, want := tb.draw(u), search(u); got != want {
				t.Fatalf("sigma %v: draw(%#x) = %d, search gives %d", sigma, u, got, want)
			}
		}
	}
}

// TestIntNormalProbabilities: each value's probability (its share of the
// 2^32 uniforms) is round(sigma*Z)'s, folded at +-255, within the 2^-32 of
// rounding the thresholds; and the table is symmetric.
func TestIntNormalProbabilities(t *testing.T) {
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	for _, sigma := range noiseSigmas {
		var tb intNormal
		tb.init(sigma)
		k := -tb.lo
		for j := 0; j <= 2*k; j++ {
			v := float64(tb.lo + j)
			lo, hi := phi((v-0.5)/sigma), phi((v+0.5)/sigma)
			if j == 0 {
				lo = 0
			}
			if j == 2*k {
				hi = 1
			}
			got := float64(tb.thr[j+1]-tb.thr[j]) / (1 << 32)
			if d := math.Abs(got - (hi - lo)); d > 1.5/(1<<32) {
				t.Fatalf("sigma %v: P(%v) = %v, want %v", sigma, v, got, hi-lo)
			}
			if tb.thr[j+1]-tb.thr[j] != tb.thr[2*k+1-j]-tb.thr[2*k-j] {
				t.Fatalf("sigma %v: P(%v) != P(%v)", sigma, v, -v)
			}
		}
	}
}

// TestIntNoiseStatistics draws noise on a flat grey image and compares the
// counts of each value with the distribution by a chi-square test (fixed
// seeds: the outcome is the same on every run).
func TestIntNoiseStatistics(t *testing.T) {
	for _, sigma := range []float64{0.7, 3, 8} {
		img := image.NewGray(image.Rect(0, 0, 301, 257)) // odd width: draws straddle rows
		for i := range img.Pix {
			img.Pix[i] = 128
		}
		gaussianNoise(img, sigma, 12345)
		counts := map[int]float64{}
		for _, v := range img.Pix {
			counts[int(v)-128]++
		}
		n := float64(len(img.Pix))
		phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
		chi2, dof := 0.0, -1
		tail := n
		for v := -int(3 * sigma); v <= int(3*sigma); v++ {
			p := phi((float64(v)+0.5)/sigma) - phi((float64(v)-0.5)/sigma)
			e := n * p
			chi2 += (counts[v] - e) * (counts[v] - e) / e
			tail -= counts[v]
			dof++
		}
		// Everything beyond 3 sigma as one more cell.
		pt := 2 * phi(-(float64(int(3*sigma))+0.5)/sigma)
		chi2 += (tail - n*pt) * (tail - n*pt) / (n * pt)
		dof++
		// The 99.99th percentile of chi-square is below dof + 8.5 sqrt(dof) + 10
		// for these degrees of freedom.
		if limit := float64(dof) + 8.5*math.Sqrt(float64(dof)) + 10; chi2 > limit {
			t.Errorf("sigma %v: chi-square %.1f over %d degrees of freedom (limit %.1f)", sigma, chi2, dof, limit)
		}
	}
}

// TestIntNoiseLayout: sample i of the plane (colour samples in raster order,
// alpha left alone) takes half i%2 of draw i/2, whatever the row width and
// the image type; so the noise of a pixel does not depend on how a kernel
// walks the rows.
func TestIntNoiseLayout(t *testing.T) {
	const sigma, seed = 6.5, 99
	var tb intNormal
	tb.init(sigma)
	g := newCounterRand(seed)
	want := func(i uint64, s uint8) uint8 {
		u := uint32(g.at(i/2) >> (32 * (i % 2)))
		return uint8(min(max(int(s)+tb.draw(u), 0), 255))
	}
	gray := image.NewGray(image.Rect(2, 3, 9, 8)) // 7 wide, offset bounds
	rgba := image.NewNRGBA(image.Rect(0, 0, 5, 3))
	r := rand.New(rand.NewPCG(4, 4))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(r.IntN(256))
	}
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(r.IntN(256))
	}
	g0, r0 := clone(gray).(*image.Gray), clone(rgba).(*image.NRGBA)
	gaussianNoise(gray, sigma, seed)
	gaussianNoise(rgba, sigma, seed)
	i := uint64(0)
	for y := 0; y < 5; y++ {
		for x := 0; x < 7; x++ {
			if got, w := gray.GrayAt(2+x, 3+y).Y, want(i, g0.Pix[y*7+x]); got != w {
				t.Fatalf("gray (%d,%d): %d, want %d", x, y, got, w)
			}
			i++
		}
	}
	i = 0
	for p := 0; p < 15; p++ {
		for c := 0; c < 3; c++ {
			if got, w := rgba.Pix[4*p+c], want(i, r0.Pix[4*p+c]); got != w {
				t.Fatalf("nrgba pixel %d channel %d: %d, want %d", p, c, got, w)
			}
			i++
		}
		if rgba.Pix[4*p+3] != r0.Pix[4*p+3] {
			t.Fatalf("nrgba pixel %d: alpha changed", p)
		}
	}
}

// TestNoiseSigmaZero: no noise leaves the image alone, also for a NaN or
// negative recorded sigma.
func TestNoiseSigmaZero(t *testing.T) {
	for _, sigma := range []float64{0, -3, math.NaN()} {
		img := benchGray(16)
		want := clone(img).(*image.Gray)
		gaussianNoise(img, sigma, 1)
		for i := range img.Pix {
			if img.Pix[i] != want.Pix[i] {
				t.Fatalf("sigma %v changed pixel %d", sigma, i)
			}
		}
	}
}

// TestCounterRandSeeds: neighbouring seeds give unrelated streams, and a
// stream's halves are balanced bits.
func TestCounterRandSeeds(t *testing.T) {
	a, b := newCounterRand(1), newCounterRand(2)
	same, ones := 0, 0
	for i := uint64(0); i < 4096; i++ {
		x, y := a.at(i), b.at(i)
		if x == y || x == b.at(i+1) {
			same++
		}
		for _, v := range []uint64{x, y} {
			for ; v != 0; v &= v - 1 {
				ones++
			}
		}
	}
	if same > 0 {
		t.Fatalf("%d draws repeat across seeds", same)
	}
	// 2*4096*64 bits: the share of ones within 0.5 +- 0.005 (over 10 sigma).
	if share := float64(ones) / (2 * 4096 * 64); math.Abs(share-0.5) > 0.005 {
		t.Fatalf("share of one bits %v", share)
	}
}
