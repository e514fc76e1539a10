package audit

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// randomHashes makes n items over three splits with random hashes, and
// plants near copies (a few bits off one symmetry of an earlier item) so
// that there is something to find.
func randomHashes(n int, seed uint64) (Input, []fileHash, []string) {
	r := rand.New(rand.NewPCG(seed, 3))
	splits := []string{"train", "val", "test"}
	in := Input{Splits: splits}
	hs := make([]fileHash, n)
	sha := make([]string, n)
	for i := range n {
		in.Items = append(in.Items, Item{Path: fmt.Sprint(i), Split: splits[r.IntN(3)], Class: "c"})
		if i > 0 && r.IntN(4) == 0 {
			// A near copy of an earlier item: its symmetry s, up to 8
			// bits flipped.
			src := hs[r.IntN(i)].ph
			s := r.IntN(symmetries)
			h := src[s]
			for range r.IntN(9) {
				h ^= 1 << r.IntN(64)
			}
			for k := range symmetries {
				hs[i].ph[k] = r.Uint64()
			}
			hs[i].ph[0] = h
		} else {
			for k := range symmetries {
				hs[i].ph[k] = r.Uint64()
			}
		}
		hs[i].image = true
		sha[i] = fmt.Sprint("sha", i)
	}
	return in, hs, sha
}

// TestNearPairsComplete checks the band index finds exactly the pairs a
// comparison of every cross-split pair finds, at several thresholds.
func TestNearPairsComplete(t *testing.T) {
	in, hs, sha := randomHashes(600, 1)
	for _, maxDist := range []int{0, 3, 6, 10, 20} {
		t.Run(fmt.Sprint(maxDist), func(t *testing.T) {
			want := 0
			for j := range in.Items {
				for i := range j {
					if in.Items[i].Split != in.Items[j].Split && distance(&hs[i].ph, &hs[j].ph) <= maxDist {
						want++
					}
				}
			}
			got := nearPairs(in, in.Splits, hs, sha, maxDist, 10)
			if got.Total != want {
				t.Errorf("nearPairs found %d pairs, brute force %d", got.Total, want)
			}
			if maxDist >= 6 && want == 0 {
				t.Error("no planted pair within reach: the test checks nothing")
			}
			for _, p := range got.Pairs {
				if p.Distance > maxDist || p.A.Split == p.B.Split {
					t.Errorf("pair %+v: distance over %d or same split", p, maxDist)
				}
			}
		})
	}
}

func TestDistanceSymmetric(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for range 200 {
		var a, b phash
		for k := range symmetries {
			a[k], b[k] = r.Uint64(), r.Uint64()
		}
		if d1, d2 := distance(&a, &b), distance(&b, &a); d1 != d2 {
			t.Fatalf("distance(a, b) = %d, distance(b, a) = %d", d1, d2)
		}
		if d := distance(&a, &a); d != 0 {
			t.Fatalf("distance(a, a) = %d, want 0", d)
		}
		if d, plain := distance(&a, &b), bits.OnesCount64(a[0]^b[0]); d > plain {
			t.Fatalf("distance %d exceeds the identity-only distance %d: the minimum is wrong", d, plain)
		}
	}
}

// BenchmarkNearPairs shows the band index scaling on 20,000 images: a
// comparison of every pair would be 2e8 distance calls.
func BenchmarkNearPairs(b *testing.B) {
	in, hs, sha := randomHashes(20000, 2)
	b.ReportAllocs()
	for b.Loop() {
		nearPairs(in, in.Splits, hs, sha, 6, 50)
	}
}
