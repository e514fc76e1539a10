package split

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// BenchmarkPlan1MGroups is `augsplit split`'s plan of 10^6 files, each its
// own group (named by a sha256, as generate names them), in 1,000 classes at val 0.2: the input
// of scikit-learn's StratifiedShuffleSplit figure in issue 13 (see package
// plan's BenchmarkSplit1e6Groups for the command). BenchmarkPlan1MGroupsOld
// runs the Plan this one replaced, on the same input.
func BenchmarkPlan1MGroups(b *testing.B)    { benchPlan1M(b, Plan) }
func BenchmarkPlan1MGroupsOld(b *testing.B) { benchPlan1M(b, planOld) }

func benchPlan1M(b *testing.B, plan func([]Item, Fractions, uint64) (*Result, error)) {
	items := make([]Item, 0, 1_000_000)
	for c := range 1000 {
		for g := range 1000 {
			sum := sha256.Sum256(fmt.Appendf(nil, "%d/%d", c, g))
			items = append(items, Item{Class: fmt.Sprintf("class%04d", c), Group: hex.EncodeToString(sum[:])})
		}
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := plan(items, Fractions{Val: 0.2}, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}
