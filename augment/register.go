package augment

import (
	"fmt"
	"image"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/augsplit/augsplit/conf"
)

// Replayer is a Transform that can render again from the parameters its
// Apply returned, which is what Replay and a manifest need. Every registered
// transform is one.
type Replayer interface {
	Transform
	// Replay renders src with recorded parameters instead of drawing them,
	// giving the pixels Apply gave. The parameters may have been through
	// JSON (a manifest), so numbers can arrive as float64; they alone must
	// decide the pixels, since Replay calls it on the transform its
	// Constructor makes from empty settings.
	Replay(src image.Image, params map[string]any) (image.Image, error)
}

// Constructor makes a transform from the settings of one YAML step: a
// mapping node holding the step's keys other than name and p, in order. It
// is empty when the step has no other keys, and must then give the
// defaults. Return a *conf.Error to name the key, line and valid choices
// (conf.Invalid); any other error is reported at the step's line.
type Constructor func(settings *yaml.Node) (Replayer, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Constructor{}
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Register makes a transform known by name: a pipeline's YAML may name it,
// Pipeline.MarshalYAML prints it, and Replay re-renders what it recorded,
// as for the built-ins, which are registered the same way. The transform
// Constructor makes must report name from its Name method, so that the
// manifest records the name Replay looks up.
//
// The YAML form printed for a registered transform is name, p and the
// mapping yaml.v3 encodes from its value (its exported fields, or its own
// MarshalYAML), so a Constructor that decodes the same keys reads a printed
// pipeline back.
//
// Like database/sql.Register, Register panics when name is already
// registered, is not made of letters, digits, '_', '.' and '-', or c is
// nil: call it from an init function.
func Register(name string, c Constructor) {
	if !validName.MatchString(name) {
		panic(fmt.Sprintf("augment: Register: invalid transform name %q: use letters, digits, '_', '.' and '-'", name))
	}
	if c == nil {
		panic("augment: Register: nil constructor for " + name)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("augment: Register called twice for transform " + name)
	}
	registry[name] = c
}

// Names lists the registered transforms, built-in and user, sorted, as a
// config spells them.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func lookup(name string) (Constructor, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	c, ok := registry[name]
	return c, ok
}

// construct makes the transform registered as name from settings (nil:
// none) and checks that it reports that name. A constructor's error comes
// back as it is.
func construct(name string, settings *yaml.Node) (Replayer, error) {
	c, ok := lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown transform %q; valid transforms: %s", name, strings.Join(Names(), ", "))
	}
	if settings == nil {
		settings = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	t, err := c(settings)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, fmt.Errorf("transform %q: its constructor returned no transform", name)
	}
	if t.Name() != name {
		return nil, fmt.Errorf("transform %q: its Name() is %q; a registered transform must report the name it is registered under, which the manifest records and Replay looks up", name, t.Name())
	}
	return t, nil
}

// configurable is a built-in transform: its settings are a table of fields.
type configurable interface {
	Replayer
	fields() []field
	about() string // one line for `augsplit transforms` and the README
}

// builtins makes each built-in transform with its default settings.
var builtins = map[string]func() configurable{
	"rotate": func() configurable { return &Rotate{Degrees: Range{0, 360}} },
	"hflip":  func() configurable { return &HFlip{} },
	"vflip":  func() configurable { return &VFlip{} },
	"rot90":  func() configurable { return &Rot90{} },
	"affine": func() configurable {
		return &Affine{Scale: Range{0.9, 1.1}, Translate: Range{-0.05, 0.05}, Shear: Range{-10, 10}}
	},
	"elastic":             func() configurable { return &Elastic{Grid: 3, Sigma: Range{0, 10}} },
	"gaussian_noise":      func() configurable { return &GaussianNoise{Sigma: Range{0, 8}} },
	"salt_pepper":         func() configurable { return &SaltPepper{Amount: Range{0, 0.01}} },
	"shot_noise":          func() configurable { return &ShotNoise{Scale: Range{0.005, 0.05}} },
	"brightness":          func() configurable { return &Brightness{Factor: Range{0.8, 1.2}} },
	"contrast":            func() configurable { return &Contrast{Factor: Range{0.8, 1.2}} },
	"gamma":               func() configurable { return &Gamma{Gamma: Range{0.8, 1.2}} },
	"gaussian_blur":       func() configurable { return &GaussianBlur{Sigma: Range{0.5, 1.5}} },
	"random_resized_crop": func() configurable { return &RandomResizedCrop{Scale: Range{0.5, 1}, Ratio: Range{0.75, 1.3333}} },
	"color_jitter": func() configurable {
		return &ColorJitter{Brightness: Range{0.8, 1.2}, Contrast: Range{0.8, 1.2}, Saturation: Range{0.8, 1.2}, Hue: Range{-10, 10}}
	},
	"coarse_dropout": func() configurable { return &CoarseDropout{Holes: Range{1, 8}, Size: Range{0.05, 0.2}} },
	"perspective":    func() configurable { return &Perspective{Scale: Range{0.05, 0.1}} },
}

func init() {
	for name, mk := range builtins {
		Register(name, fieldsConstructor(mk))
	}
}

// fieldsConstructor reads a built-in's settings through its field table.
func fieldsConstructor(mk func() configurable) Constructor {
	return func(settings *yaml.Node) (Replayer, error) {
		t := mk()
		// name and p are the step's, already read: listed as valid keys.
		fields := stepFields(new(float64))
		listed := map[string]bool{} // the parts the mapping sets (merge keys included)
		for _, f := range t.fields() {
			set := f.set
			if f.part {
				set = func(v *yaml.Node) error { listed[f.key] = true; return f.set(v) }
			}
			fields = append(fields, conf.Field{Key: f.key, Decode: set})
		}
		if err := conf.Mapping(settings, t.Name(), fields); err != nil {
			return nil, err
		}
		if len(listed) > 0 {
			// Only the parts the config names: a default the user did not
			// ask for (affine's shear) would be a silent surprise.
			for _, f := range t.fields() {
				if f.part && !listed[f.key] {
					*f.rng = Range{}
				}
			}
		}
		return t, nil
	}
}
