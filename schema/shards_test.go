package schema

import (
	"slices"
	"testing"
)

func TestPlanShards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, shards, size int
		want            []int
	}{
		{0, 0, 0, nil},
		{1, 0, 0, []int{1}},
		{100, 0, 0, []int{50, 50}},
		{300, 0, 0, []int{60, 60, 60, 60, 60}},
		{600, 0, 0, []int{75, 75, 75, 75, 75, 75, 75, 75}},
		{2100, 0, 0, []int{263, 263, 263, 263, 262, 262, 262, 262}},
		{8002, 0, 0, []int{890, 889, 889, 889, 889, 889, 889, 889, 889}}, // 1000 at most: 9 shards
		{2100, 0, 1000, []int{700, 700, 700}},
		{10, 4, 0, []int{3, 3, 2, 2}},
		{3, 8, 0, []int{1, 1, 1}}, // never an empty shard
	}
	for _, tt := range tests {
		got := PlanShards(tt.n, tt.shards, tt.size)
		if !slices.Equal(got, tt.want) {
			t.Errorf("PlanShards(%d, %d, %d) = %v, want %v", tt.n, tt.shards, tt.size, got, tt.want)
		}
		sum := 0
		for _, c := range got {
			sum += c
			if c < got[len(got)-1] || c > got[len(got)-1]+1 {
				t.Errorf("PlanShards(%d, %d, %d) = %v: sizes differ by more than one", tt.n, tt.shards, tt.size, got)
			}
		}
		if sum != tt.n {
			t.Errorf("PlanShards(%d, %d, %d) = %v holds %d samples", tt.n, tt.shards, tt.size, got, sum)
		}
	}
}
