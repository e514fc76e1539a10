package train

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/augsplit/augsplit/conf"
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

// fields is the table of config keys, in the order of Config's fields: it
// decodes a file (ApplyFile), checks values however they were set
// (Validate) and lists the keys (ConfigKeys).
func (c *Config) fields() []conf.Field {
	fraction := conf.Want(func(v float64) bool { return v >= 0 && v < 1 }, "0 to below 1")
	positive := conf.Above(0.0)
	nonNegative := conf.AtLeast(0.0)
	return []conf.Field{
		conf.Value("filters", &c.Filters, conf.AtLeast(1)),
		conf.Value("blocks", &c.Blocks, conf.AtLeast(1)),
		conf.Value("dense", &c.Dense, conf.AtLeast(1)),
		conf.Value("lr", &c.LR, positive),
		conf.Value("momentum", &c.Momentum, fraction),
		conf.Value("decay", &c.Decay, nonNegative),
		conf.Value("batch", &c.Batch, func(v int) error {
			if v < 2 {
				return conf.Invalid([]string{"2 or more"}, "%d is out of range: batch norm needs two samples", v)
			}
			return nil
		}),
		conf.Value("epochs", &c.Epochs, conf.AtLeast(1)),
		conf.Value("plateau_factor", &c.PlateauFactor, conf.Want(func(v float64) bool { return v > 0 && v < 1 }, "above 0 to below 1")),
		conf.Value("plateau_patience", &c.PlateauPatience, conf.AtLeast(0)),
		conf.Value("plateau_min_delta", &c.PlateauMinDelta, nonNegative),
		conf.Value("plateau_min_lr", &c.PlateauMinLR, nonNegative),
		conf.Value("early_min_delta", &c.EarlyMinDelta, nonNegative),
		conf.Value("early_patience", &c.EarlyPatience, conf.AtLeast(0)),
		conf.Value("early_restore", &c.EarlyRestore),
		conf.Value("bn_momentum", &c.BNMomentum, fraction),
		conf.Value("bn_epsilon", &c.BNEpsilon, positive),
		conf.Value("seed", &c.Seed),
		// 0 in a file or a flag means the images' own size, resolved by
		// the caller before Fit; Validate wants a real size.
		conf.Value("size", &c.Size, conf.Want(func(v int) bool { return v == 0 || v >= 2 }, "0 (the images' own size) or 2 or more")),
	}
}

// ConfigKeys lists the keys a config file may set, in Config's order.
func ConfigKeys() []string {
	var c Config
	return conf.Keys(c.fields())
}

// ApplyFile reads a YAML file of train keys over c; keys it does not set
// keep their values. One file can drive the whole job: when the file is a
// generate config, its train: section is read. Mistakes are a *conf.Error
// naming the file, line and key and listing the valid choices.
func (c *Config) ApplyFile(name string, data []byte) error {
	root, err := conf.Parse(data)
	if err != nil || root == nil {
		return conf.InFile(name, err) // an empty file changes nothing
	}
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "train" {
				root = root.Content[i+1]
				break
			}
		}
	}
	return conf.InFile(name, conf.Mapping(root, "", c.fields()))
}

// Validate reports every setting that cannot work, each naming its key.
// It changes nothing.
func (c Config) Validate() error {
	errs := []error{conf.Check(c.fields())}
	switch {
	case c.Size == 0:
		errs = append(errs, &conf.Error{Key: "size", Msg: fmt.Sprintf("%d is out of range", c.Size), Valid: []string{"2 or more"}})
	case c.Blocks >= 1 && c.Blocks < 31 && c.Size>>c.Blocks < 1:
		errs = append(errs, &conf.Error{Key: "size", Msg: fmt.Sprintf("%d px is too small for %d blocks of 2x2 pooling", c.Size, c.Blocks),
			Valid: []string{fmt.Sprintf("%d or more", 1<<c.Blocks)}})
	}
	return errors.Join(errs...)
}
