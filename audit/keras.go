package audit

import (
	"fmt"
	"strings"
)

// kerasSplitAt is where Keras cuts a list of n samples for
// fit(validation_split=f): training gets [:at], validation [at:], taken
// before any shuffling. Keras 2 computes int(n * (1. - f)) and Keras 3
// floors the same product; both truncate.
func kerasSplitAt(n int, f float64) int {
	return int(float64(n) * (1 - f))
}

// checkKeras simulates fit(validation_split=f) on the list as it is
// ordered. With splits, the list is the training split (what one passes
// to fit); without, the whole input.
func (r *Report) checkKeras(in Input, f float64) {
	over := "all"
	if len(r.Splits) > 0 {
		over = r.Splits[0]
		for _, s := range r.Splits {
			if splitRank[s] == 0 {
				over = s
				break
			}
		}
	}
	var items []Item
	for _, it := range in.Items {
		if over == "all" || it.Split == over {
			items = append(items, it)
		}
	}
	order := map[Kind]string{
		KindCSV:    "CSV row order",
		KindOut:    "manifest order",
		KindFolder: "Keras directory order: classes sorted, files sorted",
	}[in.Kind]
	k := &KerasReport{Fraction: f, Over: over, Order: order, Samples: len(items)}
	r.Keras = k
	at := kerasSplitAt(len(items), f)
	k.TrainSamples, k.ValSamples = at, len(items)-at

	inTrain, inVal := map[string]bool{}, map[string]int{}
	present := map[string]bool{}
	for i, it := range items {
		present[it.Class] = true
		if i < at {
			inTrain[it.Class] = true
		} else {
			inVal[it.Class]++
		}
	}
	for _, c := range r.Classes {
		if !present[c] {
			continue
		}
		if n := inVal[c]; n > 0 {
			k.ValClasses = append(k.ValClasses, ClassCount{Class: c, Count: n})
		} else {
			k.MissingFromVal = append(k.MissingFromVal, c)
		}
		if !inTrain[c] {
			k.MissingFromTrain = append(k.MissingFromTrain, c)
		}
	}
	if len(k.MissingFromTrain) == 0 && len(k.MissingFromVal) == 0 {
		k.Advice = fmt.Sprintf("every class is on both sides of a validation_split=%g cut of this list", f)
		return
	}
	k.Advice = "Keras takes the LAST fraction as validation before any shuffling (shuffle=True only shuffles " +
		"training batches): shuffle x and y together with a fixed seed before fit, or split with " +
		"`augsplit split` and pass validation_data instead of validation_split"
	var parts []string
	if len(k.MissingFromTrain) > 0 {
		parts = append(parts, fmt.Sprintf("training would never see %s", list(k.MissingFromTrain, 20)))
	}
	if len(k.MissingFromVal) > 0 {
		parts = append(parts, fmt.Sprintf("validation would lack %s", list(k.MissingFromVal, 20)))
	}
	r.add(FindingKeras, Problem, "validation_split=%g over %s (%d samples, %s): the last %d samples hold only %s; %s",
		f, over, len(items), order, k.ValSamples, classCounts(k.ValClasses), strings.Join(parts, "; "))
}

func classCounts(cs []ClassCount) string {
	if len(cs) == 0 {
		return "nothing"
	}
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = fmt.Sprintf("%s (%d)", c.Class, c.Count)
	}
	return list(s, 20)
}
