package augment

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/augsplit/augsplit/conf"
)

type fieldKind int

const (
	kindRange fieldKind = iota
	kindFloat
	kindInt
	kindBorder
)

// field describes one config key of a transform and points at the struct
// member it sets, so parsing, validation and marshalling share one table.
type field struct {
	key    string
	kind   fieldKind
	lo, hi float64 // allowed values, inclusive
	rng    *Range
	num    *float64
	n      *int
	border *Border
}

// configurable is a built-in transform: it has a YAML form and replays.
type configurable interface {
	Transform
	replayer
	fields() []field
}

// registry makes each built-in transform with its default settings.
var registry = map[string]func() configurable{
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
}

// Names lists the built-in transforms, sorted, as a config spells them.
func Names() []string { return transformNames() }

func transformNames() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func borderFields(b *Border, v *float64) []field {
	return []field{
		{key: "border", kind: kindBorder, border: b},
		{key: "value", kind: kindFloat, lo: 0, hi: 255, num: v},
	}
}

func (t *Rotate) fields() []field {
	return append([]field{{key: "degrees", kind: kindRange, lo: -360, hi: 360, rng: &t.Degrees}}, borderFields(&t.Border, &t.Value)...)
}
func (*HFlip) fields() []field { return nil }
func (*VFlip) fields() []field { return nil }
func (*Rot90) fields() []field { return nil }
func (t *Affine) fields() []field {
	return append([]field{
		{key: "scale", kind: kindRange, lo: 0.1, hi: 10, rng: &t.Scale},
		{key: "translate", kind: kindRange, lo: -1, hi: 1, rng: &t.Translate},
		{key: "shear", kind: kindRange, lo: -75, hi: 75, rng: &t.Shear},
	}, borderFields(&t.Border, &t.Value)...)
}
func (t *Elastic) fields() []field {
	return append([]field{
		{key: "grid", kind: kindInt, lo: 2, hi: maxGrid, n: &t.Grid},
		{key: "sigma", kind: kindRange, lo: 0, hi: 1000, rng: &t.Sigma},
	}, borderFields(&t.Border, &t.Value)...)
}
func (t *RandomResizedCrop) fields() []field {
	return []field{
		{key: "scale", kind: kindRange, lo: 0.01, hi: 1, rng: &t.Scale},
		{key: "ratio", kind: kindRange, lo: 0.01, hi: 100, rng: &t.Ratio},
	}
}

// ParsePipelineYAML reads a pipeline from YAML text: a list of
// {name: ..., p: ..., key: value...} mappings. Mistakes are a *conf.Error
// naming the line and key and listing the valid choices.
func ParsePipelineYAML(data []byte) (*Pipeline, error) {
	node, err := conf.Parse(data)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, &conf.Error{Msg: "empty config: want a list of transforms such as [{name: rotate, p: 1, degrees: [0, 360]}]"}
	}
	return ParsePipeline(node)
}

// UnmarshalYAML lets a Pipeline sit in a larger config struct.
func (p *Pipeline) UnmarshalYAML(node *yaml.Node) error {
	q, err := ParsePipeline(node)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// ParsePipeline reads a pipeline from a YAML sequence node (or a document
// holding one). A step's p defaults to 1 and its other keys to the
// transform's defaults.
func ParsePipeline(node *yaml.Node) (*Pipeline, error) {
	if node != nil && node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil, &conf.Error{Line: node.Line, Msg: "empty config: want a list of transforms"}
		}
		node = node.Content[0]
	}
	node = conf.Deref(node)
	if node == nil || node.Kind != yaml.SequenceNode {
		line := 0
		if node != nil {
			line = node.Line
		}
		return nil, &conf.Error{Line: line, Msg: "want a list of transforms such as [{name: rotate, p: 1, degrees: [0, 360]}]"}
	}
	p := &Pipeline{Steps: make([]Step, 0, len(node.Content))}
	for _, item := range node.Content {
		s, err := parseStep(conf.Deref(item))
		if err != nil {
			return nil, err
		}
		p.Steps = append(p.Steps, s)
	}
	return p, nil
}

// parseStep reads one {name: ..., p: ..., key: value} mapping: the name
// chooses the transform, whose fields are the other valid keys.
func parseStep(n *yaml.Node) (Step, error) {
	if n == nil || n.Kind != yaml.MappingNode {
		line := 0
		if n != nil {
			line = n.Line
		}
		return Step{}, &conf.Error{Line: line, Msg: "a transform must be a mapping such as {name: rotate, p: 1}"}
	}
	t, err := stepTransform(n)
	if err != nil {
		return Step{}, err
	}
	step := Step{T: t, P: 1}
	fields := []conf.Field{
		{Key: "name", Decode: func(*yaml.Node) error { return nil }},
		conf.Value("p", &step.P, conf.Between(0.0, 1)),
	}
	for _, f := range t.fields() {
		fields = append(fields, conf.Field{Key: f.key, Decode: f.set})
	}
	if err := conf.Mapping(n, t.Name(), fields); err != nil {
		return Step{}, err
	}
	return step, nil
}

// stepTransform makes the transform a step's name key chooses.
func stepTransform(n *yaml.Node) (configurable, error) {
	var name *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "name" {
			name = conf.Deref(n.Content[i+1])
			break
		}
	}
	valid := transformNames()
	switch {
	case name == nil:
		return nil, &conf.Error{Line: n.Line, Key: "name", Msg: "missing: say which transform", Valid: valid}
	case name.Kind != yaml.ScalarNode:
		return nil, &conf.Error{Line: name.Line, Key: "name", Msg: "want a transform name", Valid: valid}
	}
	mk, ok := registry[name.Value]
	if !ok {
		return nil, &conf.Error{Line: name.Line, Key: "name", Msg: fmt.Sprintf("unknown transform %q", name.Value), Valid: valid}
	}
	return mk(), nil
}

func inRange(f, lo, hi float64) error {
	if f < lo || f > hi {
		return conf.Invalid([]string{fmtNum(lo) + " to " + fmtNum(hi)}, "%s is out of range", fmtNum(f))
	}
	return nil
}

// set decodes v into the member f points at; conf.Mapping adds the key
// and line to its error.
func (f field) set(v *yaml.Node) error {
	switch f.kind {
	case kindFloat:
		x, err := f.number(v)
		if err != nil {
			return err
		}
		*f.num = x
	case kindInt:
		x, err := f.number(v)
		if err != nil {
			return err
		}
		if x != math.Trunc(x) {
			return &conf.Error{Line: v.Line, Msg: fmt.Sprintf("want a whole number, got %s", fmtNum(x))}
		}
		*f.n = int(x)
	case kindBorder:
		if v.Kind != yaml.ScalarNode {
			return conf.Invalid(borderNames, "want a border name")
		}
		b, err := ParseBorder(v.Value)
		if err != nil {
			return conf.Invalid(borderNames, "unknown border %q", v.Value)
		}
		*f.border = b
	case kindRange:
		r, err := f.rangeOf(v)
		if err != nil {
			return err
		}
		*f.rng = r
	}
	return nil
}

// number reads a number within the field's bounds.
func (f field) number(v *yaml.Node) (float64, error) {
	x, err := conf.Number(v)
	if err == nil {
		err = inRange(x, f.lo, f.hi)
	}
	if err != nil {
		var e *conf.Error
		if errors.As(err, &e) && e.Line == 0 {
			e.Line = v.Line
		}
		return 0, err
	}
	return x, nil
}

// rangeOf reads a number or a [min, max] pair within the field's bounds.
func (f field) rangeOf(v *yaml.Node) (Range, error) {
	switch {
	case v.Kind == yaml.ScalarNode:
		x, err := f.number(v)
		return Range{x, x}, err
	case v.Kind == yaml.SequenceNode && len(v.Content) == 2:
		lo, err := f.number(conf.Deref(v.Content[0]))
		if err != nil {
			return Range{}, err
		}
		hi, err := f.number(conf.Deref(v.Content[1]))
		if err != nil {
			return Range{}, err
		}
		if lo > hi {
			return Range{}, &conf.Error{Line: v.Line, Msg: fmt.Sprintf("min %s is greater than max %s", fmtNum(lo), fmtNum(hi))}
		}
		return Range{lo, hi}, nil
	}
	return Range{}, conf.Invalid([]string{fmtNum(f.lo) + " to " + fmtNum(f.hi)}, "want a number or a [min, max] pair")
}

// fmtNum writes the shortest form that reads back to the same float64.
func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// MarshalYAML writes the pipeline in the form ParsePipeline reads, one flow
// mapping per step with every key spelled out, so that printing a config
// shows the effective values and reading it back gives the same pipeline.
func (p *Pipeline) MarshalYAML() (any, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i, s := range p.Steps {
		c, ok := s.T.(configurable)
		// A foreign type embedding a built-in would otherwise print as
		// something ParsePipeline cannot read back.
		if !ok || !builtin(s.T) {
			return nil, fmt.Errorf("marshal step %d: transform %q has no YAML form", i, s.T.Name())
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
		m.Content = append(m.Content, str("name"), str(c.Name()), str("p"), num(s.P))
		for _, f := range c.fields() {
			var v *yaml.Node
			switch f.kind {
			case kindRange:
				v = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: []*yaml.Node{num(f.rng.Min), num(f.rng.Max)}}
			case kindFloat:
				v = num(*f.num)
			case kindInt:
				v = &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(*f.n)}
			case kindBorder:
				v = str(f.border.String())
			}
			m.Content = append(m.Content, str(f.key), v)
		}
		seq.Content = append(seq.Content, m)
	}
	return seq, nil
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func num(f float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: fmtNum(f)}
}
