package split

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/augsplit/augsplit/schema"
)

func TestLastFraction(t *testing.T) {
	tests := []struct {
		n         int
		frac      float64
		wantTrain int // length; train is always [0, wantTrain)
	}{
		{3000, 0.2, 2400},
		{10, 0.25, 7},  // floor(7.5)
		{10, 0.33, 6},  // floor(6.7): val gets the rounding slack
		{3, 0.5, 1},    // floor(1.5)
		{5, 0, 5},      // no validation
		{5, 1, 0},      // Keras would refuse; we report the slice
		{5, -0.2, 5},   // clamped
		{0, 0.2, 0},    // nothing to split
		{1, 0.2, 0},    // floor(0.8): Keras raises here ("not sufficient")
		{100, 0.1, 90}, // 100*0.9 = 90.00000000000001 in float64, floor 90
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n%d_frac%g", tt.n, tt.frac), func(t *testing.T) {
			train, val := LastFraction(tt.n, tt.frac)
			if got := len(train); got != tt.wantTrain {
				t.Errorf("len(train) = %d, want %d", got, tt.wantTrain)
			}
			all := append(slices.Clone(train), val...)
			for i, v := range all {
				if v != i {
					t.Fatalf("train+val = %v..., want 0..%d in order", all[:min(len(all), 10)], tt.n-1)
				}
			}
			if len(all) != tt.n {
				t.Errorf("train+val has %d indices, want %d", len(all), tt.n)
			}
		})
	}
}

// TestKerasStory is the bug this project exists for: class-ordered augmented
// data with validation_split=0.2 puts exactly the last two classes in val and
// nothing of the other eight, while Plan's val holds every class.
func TestKerasStory(t *testing.T) {
	items := classOrdered(10, 1, 300)
	_, val := LastFraction(len(items), 0.2)
	inVal := make(map[string]bool)
	for _, i := range val {
		inVal[items[i].Class] = true
	}
	if want := map[string]bool{"class08": true, "class09": true}; !maps.Equal(inVal, want) {
		t.Errorf("Keras val classes = %v, want only the 9th and 10th (%v)", inVal, want)
	}

	res, err := Plan(items, Fractions{Val: 0.2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	planVal := make(map[string]bool)
	for i, s := range res.Assign {
		if s == schema.Val {
			planVal[items[i].Class] = true
		}
	}
	if got, want := len(planVal), 10; got != want {
		t.Errorf("Plan val holds %d classes, want %d", got, want)
	}
}
