package schema

// Names of what the parts of a scaled-out run (generate --parts N --part I)
// keep under OUT until `augsplit seal` merges them: all of it below
// PartsDir, which seal deletes once the card is written.
const (
	// PartsDir holds the plan record and the units' manifests and
	// summaries.
	PartsDir = ".augsplit-parts"
	// PartsPlanFile is the plan record every part writes (identical bytes
	// from each): the fingerprint, the card template and the unit list.
	PartsPlanFile = PartsDir + "/plan.json"
	// PartsUnitsDir holds, per unit, <split>-%05d.jsonl (its manifest
	// lines) and <split>-%05d.json (its summary, written last: the unit's
	// done marker).
	PartsUnitsDir = PartsDir + "/units"
)
