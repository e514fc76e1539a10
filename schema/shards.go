package schema

// Default sharding (no shard count, size or byte limit given): a split of n
// planned samples gets max(ceil(n/DefaultShardSize), min(DefaultShards,
// ceil(n/MinShardSamples))) shards of balanced sizes (PlanShards). So a split
// of 8*MinShardSamples samples or more has at least DefaultShards shards,
// enough for a multi-worker loader, and no shard holds more than
// DefaultShardSize samples. The rule lives here, beside the layout, because
// the writer that makes shards and the planner that hands whole shards to
// parts must agree on it.
const (
	DefaultShardSize = 1000 // the most samples a default shard holds
	DefaultShards    = 8    // shards a large enough split gets at least
	MinShardSamples  = 64   // the fewest samples a default shard holds, when the split has them
)

// PlanShards returns the sample counts of the shards of a split of n
// samples, in shard order: with shards > 0, that many (at most n); else
// with size > 0, ceil(n/size); else the default rule (DefaultShards).
// The counts differ by at most one, the larger first, so every loader
// worker gets about the same work.
func PlanShards(n, shards, size int) []int {
	if n <= 0 {
		return nil
	}
	k := shards
	switch {
	case shards > 0:
	case size > 0:
		k = (n + size - 1) / size
	default:
		k = max((n+DefaultShardSize-1)/DefaultShardSize, min(DefaultShards, (n+MinShardSamples-1)/MinShardSamples))
	}
	k = min(max(k, 1), n)
	sizes := make([]int, k)
	for i := range sizes {
		sizes[i] = n / k
		if i < n%k {
			sizes[i]++
		}
	}
	return sizes
}
