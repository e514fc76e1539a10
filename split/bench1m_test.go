package split

import (
	"fmt"
	"testing"
)

func BenchmarkPlan1MGroups1000Classes(b *testing.B) {
	items := make([]Item, 0, 1_000_000)
	for c := range 1000 {
		for g := range 1000 {
			items = append(items, Item{Class: fmt.Sprintf("class%04d", c), Group: fmt.Sprintf("%064x", c*1000+g)})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Plan(items, Fractions{Val: 0.2}, 1); err != nil {
			b.Fatal(err)
		}
	}
}
