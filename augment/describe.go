package augment

import (
	"slices"
	"strconv"
	"strings"
)

// Info describes one built-in transform for people: what `augsplit
// transforms` prints and the README's table is made from. It is read off
// the same field table that parses, validates and prints configs, so the
// documentation cannot drift from what the parser accepts.
type Info struct {
	Name  string `json:"name"`
	About string `json:"about"`
	Keys  []Key  `json:"keys"`
}

// Key describes one config key of a transform.
type Key struct {
	Key     string `json:"key"`
	Default string `json:"default"` // as a config spells it: "[0, 360]", "reflect101", "3"
	Valid   string `json:"valid"`   // "-360 to 360", "whole numbers 2 to 64", the border names
	Unit    string `json:"unit"`
	// Part is set for a key of a transform with parts (affine,
	// color_jitter): listing any part leaves the unlisted ones off.
	Part bool `json:"part,omitempty"`
}

// ProbabilityKey is the key every step takes besides its transform's own.
var ProbabilityKey = Key{Key: "p", Default: "1", Valid: "0 to 1", Unit: "probability that the step applies"}

// Describe lists the built-in transforms, sorted by name, with their keys
// in config order and their defaults. Transforms added with Register are
// not listed: their keys are their own.
func Describe() []Info {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []Info
	for _, name := range names {
		t := builtins[name]()
		info := Info{Name: name, About: t.about(), Keys: []Key{}}
		for _, f := range t.fields() {
			info.Keys = append(info.Keys, Key{Key: f.key, Default: f.defaultText(), Valid: f.validText(), Unit: f.unit, Part: f.part})
		}
		out = append(out, info)
	}
	return out
}

func (f field) defaultText() string {
	switch f.kind {
	case kindRange, kindIntRange:
		return "[" + fmtNum(f.rng.Min) + ", " + fmtNum(f.rng.Max) + "]"
	case kindFloat:
		return fmtNum(*f.num)
	case kindInt:
		return strconv.Itoa(*f.n)
	case kindBorder:
		return f.border.String()
	}
	return ""
}

func (f field) validText() string {
	switch f.kind {
	case kindBorder:
		return strings.Join(borderNames, ", ")
	case kindInt, kindIntRange:
		return "whole numbers " + fmtNum(f.lo) + " to " + fmtNum(f.hi)
	}
	return fmtNum(f.lo) + " to " + fmtNum(f.hi)
}
