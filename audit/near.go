package audit

import (
	"slices"
)

// bruteForceAbove is the Hamming threshold above which the band index stops
// paying: bands narrower than 8 bits hold a large share of the data set in
// every bucket, and each probe touches many of them.
const bruteForceAbove = 15

// nearPairs finds pairs of images in different splits whose perceptual
// hashes are within maxDist bits up to a D4 symmetry, without comparing
// every pair.
//
// Multi-index hashing: cut the 64 bits into maxDist/2+1 bands; two hashes
// within maxDist bits differ in at most one bit on at least one band
// (pigeonhole: fewer than two differing bits per band on average), so
// only images whose band value is within one bit of the query's are
// compared. Fewer, wider bands than the exact-match variant (maxDist+1
// bands) keep buckets small on large sets: 16-bit bands at the default
// threshold of 6, against 9-bit ones. Each split has its own
// index, so images are only ever compared with other splits, and items
// are visited in order and queried before they are inserted, so each pair
// is found once and the pairs named are the same on every run.
func nearPairs(in Input, splits []string, hs []fileHash, sha []string, maxDist, maxPairs int) PairList {
	rank := splitRanks(splits)
	var pl PairList
	bands := maxDist/2 + 1
	brute := maxDist > bruteForceAbove
	if brute {
		bands = 1
	}
	type index struct {
		all     []map[uint64][]int32 // [band] -> value -> items, over all eight symmetries
		id      []map[uint64][]int32 // [band] -> value -> items, identity hash only
		members []int32              // every item, for the brute-force path
	}
	newIndex := func() *index {
		ix := &index{all: make([]map[uint64][]int32, bands), id: make([]map[uint64][]int32, bands)}
		for b := range bands {
			ix.all[b] = map[uint64][]int32{}
			ix.id[b] = map[uint64][]int32{}
		}
		return ix
	}
	bandOf := func(h uint64, b int) uint64 {
		// A single 64-bit band works too: 1<<64 is 0 for a uint64, so
		// the mask is all ones.
		lo, hi := b*64/bands, (b+1)*64/bands
		return (h >> lo) & (1<<(hi-lo) - 1)
	}
	bandWidth := func(b int) int { return (b+1)*64/bands - b*64/bands }
	indexes := map[string]*index{}
	stamp := make([]int, len(in.Items))
	var cand []int32
	for j, it := range in.Items {
		if !hs[j].image {
			continue
		}
		pl.Checked++
		hj := &hs[j].ph
		cand = cand[:0]
		take := func(items []int32) {
			for _, i := range items {
				if stamp[i] != j+1 {
					stamp[i] = j + 1
					cand = append(cand, i)
				}
			}
		}
		for s, ix := range indexes {
			if s == it.Split {
				continue
			}
			if brute {
				take(ix.members)
				continue
			}
			for b := range bands {
				// The band value itself, then each one-bit neighbour.
				for k := -1; k < bandWidth(b); k++ {
					var flip uint64
					if k >= 0 {
						flip = 1 << k
					}
					take(ix.all[b][bandOf(hj[0], b)^flip])
					for sym := range symmetries {
						take(ix.id[b][bandOf(hj[sym], b)^flip])
					}
				}
			}
		}
		slices.Sort(cand)
		for _, i := range cand {
			if sha[i] != "" && sha[i] == sha[j] {
				continue // already an exact duplicate
			}
			if d := distance(&hs[i].ph, hj); d <= maxDist {
				countPair(in, &pl, rank, int(i), j, d, maxPairs)
			}
		}

		ix := indexes[it.Split]
		if ix == nil {
			ix = newIndex()
			indexes[it.Split] = ix
		}
		if brute {
			ix.members = append(ix.members, int32(j))
			continue
		}
		for b := range bands {
			for sym := range symmetries {
				v := bandOf(hj[sym], b)
				ix.all[b][v] = appendOnce(ix.all[b][v], int32(j))
			}
			v := bandOf(hj[0], b)
			ix.id[b][v] = append(ix.id[b][v], int32(j))
		}
	}
	return pl
}

// appendOnce appends i unless it is already the last element: two
// symmetries of one image often share a band value.
func appendOnce(s []int32, i int32) []int32 {
	if len(s) > 0 && s[len(s)-1] == i {
		return s
	}
	return append(s, i)
}
