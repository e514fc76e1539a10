package audit

import (
	"fmt"
	"testing"
)

// TestHashD4 checks the property the near-duplicate search relies on: the
// identity hash of a flipped or rotated image is the matching symmetry's
// hash of the original, so their distance is 0 (float rounding in the
// thumbnail may move a coefficient across the median: allow 2 bits).
func TestHashD4(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		src := blobs(seed, 48, 40)
		h := hashImage(src)
		for s := range symmetries {
			t.Run(fmt.Sprintf("seed%d/sym%d", seed, s), func(t *testing.T) {
				g := hashImage(d4(src, s))
				if d := distance(&h, &g); d > 2 {
					t.Errorf("distance(original, symmetry %d) = %d, want <= 2", s, d)
				}
			})
		}
	}
}

func TestHashDistinguishes(t *testing.T) {
	for a := uint64(1); a <= 6; a++ {
		for b := a + 1; b <= 6; b++ {
			ha, hb := hashImage(blobs(a, 48, 40)), hashImage(blobs(b, 48, 40))
			if d := distance(&ha, &hb); d <= 6 {
				t.Errorf("distance(image %d, image %d) = %d, want > 6: unrelated images look alike", a, b, d)
			}
		}
	}
}

func TestHashNoise(t *testing.T) {
	for _, sigma := range []float64{1, 2} {
		for seed := uint64(1); seed <= 8; seed++ {
			src := blobs(seed, 48, 40)
			h, g := hashImage(src), hashImage(noisy(src, sigma, seed))
			if d := distance(&h, &g); d > 6 {
				t.Errorf("seed %d sigma %g: distance(original, noisy) = %d, want <= 6", seed, sigma, d)
			}
		}
	}
}

func TestAreaWeights(t *testing.T) {
	tests := []struct{ n, m int }{{32, 32}, {48, 32}, {40, 32}, {7, 32}, {1000, 32}}
	for _, tt := range tests {
		ws := areaWeights(tt.n, tt.m)
		for k, taps := range ws {
			var sum float64
			for _, tp := range taps {
				sum += tp.w
			}
			if sum < 1-1e-9 || sum > 1+1e-9 {
				t.Errorf("areaWeights(%d, %d)[%d] sums to %v, want 1", tt.n, tt.m, k, sum)
			}
		}
	}
}
