package train

import (
	"image"
	"sort"
)

// ClassProb is a class and the probability a model gives it.
type ClassProb struct {
	Class string  `json:"class"`
	Prob  float64 `json:"prob"`
}

// TopK returns the k most probable classes for img (all of them when the
// model has fewer), most probable first; equal probabilities keep the
// model's class order.
func (m *Model) TopK(img image.Image, k int) ([]ClassProb, error) {
	probs, err := m.Predict(img)
	if err != nil {
		return nil, err
	}
	order := make([]int, len(probs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	top := make([]ClassProb, 0, min(k, len(order)))
	for _, i := range order[:min(max(k, 0), len(order))] {
		top = append(top, ClassProb{Class: m.Classes[i], Prob: probs[i]})
	}
	return top, nil
}
