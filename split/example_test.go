package split_test

import (
	"fmt"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/split"
)

// One class with a single source can only be split by variant; one with
// three sources keeps each source whole.
func ExamplePlan() {
	var items []split.Item
	for v := range 10 {
		items = append(items, split.Item{Class: "round", Group: "r1"})
		items = append(items, split.Item{Class: "spiky", Group: fmt.Sprintf("s%d", v%3)})
	}
	res, err := split.Plan(items, split.Fractions{Val: 0.2}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Classes {
		fmt.Printf("%s: level %s, %d groups, train %d, val %d\n", c.Class, c.Level, c.Groups, c.Counts[schema.Train], c.Counts[schema.Val])
	}
	// Output:
	// round: level variant, 1 groups, train 8, val 2
	// spiky: level source, 3 groups, train 7, val 3
}

func ExamplePlan_classError() {
	items := []split.Item{{Class: "round", Group: "r1"}, {Class: "round", Group: "r1"}}
	_, err := split.Plan(items, split.Fractions{Val: 0.2, Test: 0.1}, 1)
	fmt.Println(err)
	// Output:
	// class "round": 2 samples, but splits train/val/test need at least 1 each (3): add more samples or sources to "round", or drop --test
}

// The last 20% of a class-ordered list is what Keras validates on.
func ExampleLastFraction() {
	train, val := split.LastFraction(10, 0.2)
	fmt.Println(train, val)
	// Output:
	// [0 1 2 3 4 5 6 7] [8 9]
}

// Three-fold cross-validation over sources: every source is validated
// exactly once, its variants never straddle folds, and every class is in
// every fold's validation part.
func ExampleFolds() {
	var items []split.Item
	for _, class := range []string{"round", "spiky"} {
		for src := range 4 {
			for range 2 { // two variants of each source
				items = append(items, split.Item{Class: class, Group: fmt.Sprintf("%s%d", class, src)})
			}
		}
	}
	fold, err := split.Folds(items, 3, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for f := range 3 {
		var val []string
		for i, it := range items {
			if fold[i] == f && (i == 0 || items[i-1].Group != it.Group) {
				val = append(val, it.Group)
			}
		}
		fmt.Printf("fold %d validates %v\n", f, val)
	}

	_, err = split.Folds(items[:4], 3, 1) // round has 2 sources
	fmt.Println(err)
	// Output:
	// fold 0 validates [round0 round3 spiky0]
	// fold 1 validates [round1 spiky1 spiky3]
	// fold 2 validates [round2 spiky2]
	// class "round": 2 sources, but 3 folds need at least 3, one in every fold's validation part (a source's variants stay together): add sources to "round", or use at most 2 folds, or score real new images with --holdout
}
