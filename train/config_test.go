package train

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/conf"
)

// TestConfigKeysAreTheYAMLTags keeps the field table and the struct in step.
func TestConfigKeysAreTheYAMLTags(t *testing.T) {
	var tags []string
	rt := reflect.TypeFor[Config]()
	for i := range rt.NumField() {
		k, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ",")
		tags = append(tags, k)
	}
	if got := ConfigKeys(); !slices.Equal(got, tags) {
		t.Errorf("ConfigKeys() = %q, want the yaml tags %q", got, tags)
	}
}

func TestConfigApplyFile(t *testing.T) {
	c := DefaultConfig()
	if err := c.ApplyFile("t.yaml", []byte("per_source: 3\ntrain:\n  epochs: 7\n  lr: 0.01\n")); err != nil {
		t.Fatal(err)
	}
	if c.Epochs != 7 || c.LR != 0.01 || c.Batch != DefaultConfig().Batch {
		t.Errorf("train: section not applied over the defaults: %+v", c)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"unknown key", "epochs: 1\nlearning_rate: 0.1\n", "t.yaml:2: learning_rate: unknown key (valid: filters, blocks, dense, lr, "},
		{"wrong type", "epochs: many\n", `t.yaml:1: epochs: want a whole number, got "many"`},
		{"out of range", "batch: 1\n", "t.yaml:1: batch: 1 is out of range: batch norm needs two samples (valid: 2 or more)"},
		{"fraction", "bn_momentum: 1\n", "t.yaml:1: bn_momentum: 1 is out of range (valid: 0 to below 1)"},
		{"given twice", "train:\n  seed: 1\n  seed: 2\n", "t.yaml:3: seed: given twice (first on line 2): keep one"},
		{"not a mapping", "- epochs\n", "t.yaml:1: want a mapping of keys (valid: filters, "},
		{"not yaml", "epochs: [\n", "t.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			err := c.ApplyFile("t.yaml", []byte(tc.src))
			var ce *conf.Error
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %v (%T), want a *conf.Error starting %q", err, err, tc.want)
			}
		})
	}
}

// TestConfigValidateKeepsConfig: Validate reports without changing.
func TestConfigValidateKeepsConfig(t *testing.T) {
	c := DefaultConfig()
	c.Size = 0
	before := c
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "size: 0 is out of range") {
		t.Errorf("size 0: got %v", err)
	}
	if c != before {
		t.Errorf("Validate changed the config: %+v -> %+v", before, c)
	}
}
