package train

import (
	"errors"
	"fmt"
)

// Config holds every hyper-parameter of the bundled CNN and its fit loop.
// The defaults reproduce the user's Keras script; a YAML file may set any
// subset (unset keys keep their defaults when decoded over DefaultConfig()).
type Config struct {
	Filters int `yaml:"filters" json:"filters"` // conv filters per block
	Blocks  int `yaml:"blocks" json:"blocks"`   // conv/bn/elu/pool blocks
	Dense   int `yaml:"dense" json:"dense"`     // units of the hidden dense layer

	LR       float64 `yaml:"lr" json:"lr"`             // initial learning rate
	Momentum float64 `yaml:"momentum" json:"momentum"` // SGD momentum
	Decay    float64 `yaml:"decay" json:"decay"`       // time-based decay: lr/(1+decay*iterations)
	Batch    int     `yaml:"batch" json:"batch"`
	Epochs   int     `yaml:"epochs" json:"epochs"`

	PlateauFactor   float64 `yaml:"plateau_factor" json:"plateau_factor"`
	PlateauPatience int     `yaml:"plateau_patience" json:"plateau_patience"`
	PlateauMinDelta float64 `yaml:"plateau_min_delta" json:"plateau_min_delta"`
	PlateauMinLR    float64 `yaml:"plateau_min_lr" json:"plateau_min_lr"`

	EarlyMinDelta float64 `yaml:"early_min_delta" json:"early_min_delta"`
	EarlyPatience int     `yaml:"early_patience" json:"early_patience"` // 0 disables early stopping
	EarlyRestore  bool    `yaml:"early_restore" json:"early_restore"`   // restore_best_weights

	// BNMomentum is Keras's BatchNormalization momentum (0.99): the weight
	// kept by the running statistics at each step.
	BNMomentum float64 `yaml:"bn_momentum" json:"bn_momentum"`
	BNEpsilon  float64 `yaml:"bn_epsilon" json:"bn_epsilon"`

	Seed uint64 `yaml:"seed" json:"seed"`
	Size int    `yaml:"size" json:"size"` // input height and width in pixels
}

// DefaultConfig returns the user's Keras settings.
func DefaultConfig() Config {
	return Config{
		Filters: 2, Blocks: 5, Dense: 128,
		LR: 0.001, Momentum: 0.9, Decay: 1e-4, Batch: 4, Epochs: 100,
		PlateauFactor: 0.9, PlateauPatience: 3, PlateauMinDelta: 0.01, PlateauMinLR: 1e-6,
		EarlyMinDelta: 0.001, EarlyPatience: 10, EarlyRestore: true,
		BNMomentum: 0.99, BNEpsilon: 1e-3,
		Seed: 1, Size: 64,
	}
}

// Validate reports the first setting that cannot work, naming its key.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, key, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
		}
	}
	check(c.Filters >= 1, "filters", "must be >= 1, got %d", c.Filters)
	check(c.Blocks >= 1, "blocks", "must be >= 1, got %d", c.Blocks)
	check(c.Dense >= 1, "dense", "must be >= 1, got %d", c.Dense)
	check(c.LR > 0, "lr", "must be > 0, got %g", c.LR)
	check(c.Momentum >= 0 && c.Momentum < 1, "momentum", "must be in [0, 1), got %g", c.Momentum)
	check(c.Decay >= 0, "decay", "must be >= 0, got %g", c.Decay)
	check(c.Batch >= 2, "batch", "must be >= 2 (batch norm needs two samples), got %d", c.Batch)
	check(c.Epochs >= 1, "epochs", "must be >= 1, got %d", c.Epochs)
	check(c.PlateauFactor > 0 && c.PlateauFactor < 1, "plateau_factor", "must be in (0, 1), got %g", c.PlateauFactor)
	check(c.PlateauPatience >= 0, "plateau_patience", "must be >= 0, got %d", c.PlateauPatience)
	check(c.PlateauMinDelta >= 0, "plateau_min_delta", "must be >= 0, got %g", c.PlateauMinDelta)
	check(c.PlateauMinLR >= 0, "plateau_min_lr", "must be >= 0, got %g", c.PlateauMinLR)
	check(c.EarlyMinDelta >= 0, "early_min_delta", "must be >= 0, got %g", c.EarlyMinDelta)
	check(c.EarlyPatience >= 0, "early_patience", "must be >= 0, got %d", c.EarlyPatience)
	check(c.BNMomentum >= 0 && c.BNMomentum < 1, "bn_momentum", "must be in [0, 1), got %g", c.BNMomentum)
	check(c.BNEpsilon > 0, "bn_epsilon", "must be > 0, got %g", c.BNEpsilon)
	check(c.Size >= 2, "size", "must be >= 2, got %d", c.Size)
	if c.Size >= 2 && c.Blocks >= 1 && c.Blocks < 31 && c.Size>>c.Blocks < 1 {
		errs = append(errs, fmt.Errorf("size: %d px is too small for %d blocks of 2x2 pooling (need >= %d)", c.Size, c.Blocks, 1<<c.Blocks))
	}
	return errors.Join(errs...)
}
