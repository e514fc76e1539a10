package train

import (
	"math"
	"strings"
	"testing"
)

func TestPlateau(t *testing.T) {
	tests := []struct {
		name    string
		losses  []float64
		reduces []int // 1-based epochs at which the rate is reduced
	}{
		{"improving", []float64{1, 0.9, 0.8, 0.7, 0.6}, nil},
		{"flat after one", []float64{1, 1, 1, 1, 1, 1, 1}, []int{4, 7}},
		// 0.995 is not an improvement of more than min_delta 0.01.
		{"tiny improvements", []float64{1, 0.995, 0.992, 0.991}, []int{4}},
		{"wait resets on improvement", []float64{1, 1, 1, 0.5, 0.5, 0.5, 0.5}, []int{7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			p := newPlateau(cfg)
			lr := cfg.LR
			var got []int
			for i, l := range tc.losses {
				if nl, ok := p.step(l, lr); ok {
					if math.Abs(nl-lr*0.9) > 1e-12 {
						t.Errorf("epoch %d: new rate %g, want %g", i+1, nl, lr*0.9)
					}
					lr = nl
					got = append(got, i+1)
				}
			}
			if !equalInts(got, tc.reduces) {
				t.Errorf("reduced at %v, want %v", got, tc.reduces)
			}
		})
	}
	t.Run("min_lr floor", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.PlateauPatience = 1
		p := newPlateau(cfg)
		lr := 1.05e-6
		if nl, ok := p.step(1, lr); ok {
			t.Fatalf("first epoch reduced to %g", nl)
		}
		nl, ok := p.step(1, lr)
		if !ok || nl != 1e-6 {
			t.Fatalf("got %g %v, want the floor 1e-6", nl, ok)
		}
		if nl2, ok := p.step(1, nl); ok {
			t.Errorf("reduced below min_lr to %g", nl2)
		}
	})
}

func TestEarlyStopping(t *testing.T) {
	tests := []struct {
		name     string
		patience int
		losses   []float64
		best     int // 1-based epoch of the best weights
		stop     int // 1-based epoch training stops after; 0: never
	}{
		{"improving", 2, []float64{1, 0.9, 0.8}, 3, 0},
		{"stops after patience", 2, []float64{1, 0.5, 0.6, 0.7, 0.4}, 2, 4},
		// 0.4995 is within min_delta 0.001 of 0.5: not an improvement.
		{"min_delta", 2, []float64{1, 0.5, 0.4995, 0.4992}, 2, 4},
		{"off", 0, []float64{1, 2, 3, 4}, 1, 0},
		{"never after the first epoch", 1, []float64{1, 2}, 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.EarlyPatience = tc.patience
			e := newEarly(cfg)
			best, stop := 0, 0
			for i, l := range tc.losses {
				imp, s := e.step(i+1, l)
				if imp {
					best = i + 1
				}
				if s {
					stop = i + 1
					break
				}
			}
			if best != tc.best || stop != tc.stop {
				t.Errorf("best %d stop %d, want best %d stop %d", best, stop, tc.best, tc.stop)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		key    string // "" means valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"batch 1", func(c *Config) { c.Batch = 1 }, "batch"},
		{"zero lr", func(c *Config) { c.LR = 0 }, "lr"},
		{"momentum 1", func(c *Config) { c.Momentum = 1 }, "momentum"},
		{"too small for blocks", func(c *Config) { c.Size = 16 }, "size"},
		{"factor 1", func(c *Config) { c.PlateauFactor = 1 }, "plateau_factor"},
		{"no filters", func(c *Config) { c.Filters = 0 }, "filters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(&c)
			err := c.Validate()
			switch {
			case tc.key == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.key != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.key+":")):
				t.Errorf("got %v, want an error naming %s", err, tc.key)
			}
		})
	}
}

func TestFitDropsPartialTrainingBatch(t *testing.T) {
	cfg := quickConfig(16)
	cfg.Epochs = 1
	trainSet := shapesSet(3, 3, 16, 1) // 9 samples, batch 4: 8 used
	valSet := shapesSet(3, 1, 16, 2)
	res, err := fitQuiet(cfg, trainSet, valSet)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.History[0].TrainSeen; got != 8 {
		t.Errorf("trained on %d samples, want 8 (two full batches)", got)
	}
	if got := res.History[0].ValSeen; got != 3 {
		t.Errorf("validated on %d samples, want 3", got)
	}
}
