package augment

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ConfigError is a mistake in a pipeline's YAML. Line is 1-based (0 when
// unknown); Key is the offending key ("" for malformed YAML).
type ConfigError struct {
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, "key %q: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

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
// {name: ..., p: ..., key: value...} mappings.
func ParsePipelineYAML(data []byte) (*Pipeline, error) {
	var doc yaml.Node
	if err := unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		return nil, &ConfigError{Msg: "empty config: expected a list of transforms such as [{name: rotate, p: 1, degrees: [0, 360]}]"}
	}
	return ParsePipeline(&doc)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func unmarshal(data []byte, doc *yaml.Node) (err error) {
	// A parser fed user files must answer with an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			err = &ConfigError{Msg: fmt.Sprintf("malformed YAML: %v", r)}
		}
	}()
	if err := yaml.Unmarshal(data, doc); err != nil {
		msg := err.Error()
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		return &ConfigError{Line: line, Msg: "malformed YAML: " + msg}
	}
	return nil
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

const maxAliasDepth = 16

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

// ParsePipeline reads a pipeline from a YAML sequence node (or a document
// holding one). A step's p defaults to 1 and its other keys to the
// transform's defaults.
func ParsePipeline(node *yaml.Node) (*Pipeline, error) {
	if node != nil && node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil, &ConfigError{Line: node.Line, Msg: "empty config: expected a list of transforms"}
		}
		node = node.Content[0]
	}
	node = deref(node)
	if node == nil || node.Kind != yaml.SequenceNode {
		line := 0
		if node != nil {
			line = node.Line
		}
		return nil, &ConfigError{Line: line, Msg: "expected a list of transforms such as [{name: rotate, p: 1, degrees: [0, 360]}]"}
	}
	p := &Pipeline{Steps: make([]Step, 0, len(node.Content))}
	for _, item := range node.Content {
		s, err := parseStep(deref(item))
		if err != nil {
			return nil, err
		}
		p.Steps = append(p.Steps, s)
	}
	return p, nil
}

func parseStep(n *yaml.Node) (Step, error) {
	if n == nil || n.Kind != yaml.MappingNode {
		line := 0
		if n != nil {
			line = n.Line
		}
		return Step{}, &ConfigError{Line: line, Msg: "a transform must be a mapping such as {name: rotate, p: 1}"}
	}
	seen := map[string]bool{}
	var nameNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return Step{}, &ConfigError{Line: k.Line, Msg: "keys must be plain names"}
		}
		if seen[k.Value] {
			return Step{}, &ConfigError{Line: k.Line, Key: k.Value, Msg: "given twice"}
		}
		seen[k.Value] = true
		if k.Value == "name" {
			nameNode = deref(n.Content[i+1])
		}
	}
	valid := strings.Join(transformNames(), ", ")
	if nameNode == nil {
		return Step{}, &ConfigError{Line: n.Line, Key: "name", Msg: "missing; valid transforms: " + valid}
	}
	if nameNode.Kind != yaml.ScalarNode {
		return Step{}, &ConfigError{Line: nameNode.Line, Key: "name", Msg: "must be a transform name; valid transforms: " + valid}
	}
	mk, ok := registry[nameNode.Value]
	if !ok {
		return Step{}, &ConfigError{Line: nameNode.Line, Key: "name", Msg: fmt.Sprintf("unknown transform %q; valid transforms: %s", nameNode.Value, valid)}
	}
	t := mk()
	step := Step{T: t, P: 1}
	fields := t.fields()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if v == nil {
			v = &yaml.Node{Line: k.Line}
		}
		switch k.Value {
		case "name":
			continue
		case "p":
			f, err := number(k.Value, v)
			if err != nil {
				return Step{}, err
			}
			if err := inRange(k.Value, v.Line, f, 0, 1); err != nil {
				return Step{}, err
			}
			step.P = f
			continue
		}
		j := slices.IndexFunc(fields, func(f field) bool { return f.key == k.Value })
		if j < 0 {
			keys := []string{"name", "p"}
			for _, f := range fields {
				keys = append(keys, f.key)
			}
			return Step{}, &ConfigError{Line: k.Line, Key: k.Value, Msg: fmt.Sprintf("unknown key for %s; valid keys: %s", t.Name(), strings.Join(keys, ", "))}
		}
		if err := setField(fields[j], v); err != nil {
			return Step{}, err
		}
	}
	return step, nil
}

func number(key string, v *yaml.Node) (float64, error) {
	bad := &ConfigError{Line: v.Line, Key: key, Msg: fmt.Sprintf("want a number, got %q", v.Value)}
	if v.Kind != yaml.ScalarNode {
		bad.Msg = "want a number"
		return 0, bad
	}
	if tag := v.ShortTag(); tag != "!!int" && tag != "!!float" {
		return 0, bad
	}
	var f float64
	if err := v.Decode(&f); err != nil {
		return 0, bad
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		bad.Msg = fmt.Sprintf("want a finite number, got %q", v.Value)
		return 0, bad
	}
	return f, nil
}

func inRange(key string, line int, f, lo, hi float64) error {
	if f < lo || f > hi {
		return &ConfigError{Line: line, Key: key, Msg: fmt.Sprintf("%s is out of range; want %s to %s", fmtNum(f), fmtNum(lo), fmtNum(hi))}
	}
	return nil
}

func setField(f field, v *yaml.Node) error {
	switch f.kind {
	case kindFloat:
		x, err := number(f.key, v)
		if err != nil {
			return err
		}
		if err := inRange(f.key, v.Line, x, f.lo, f.hi); err != nil {
			return err
		}
		*f.num = x
	case kindInt:
		x, err := number(f.key, v)
		if err != nil {
			return err
		}
		if x != math.Trunc(x) {
			return &ConfigError{Line: v.Line, Key: f.key, Msg: fmt.Sprintf("want a whole number, got %s", fmtNum(x))}
		}
		if err := inRange(f.key, v.Line, x, f.lo, f.hi); err != nil {
			return err
		}
		*f.n = int(x)
	case kindBorder:
		if v.Kind != yaml.ScalarNode {
			return &ConfigError{Line: v.Line, Key: f.key, Msg: "want one of " + strings.Join(borderNames, ", ")}
		}
		b, err := ParseBorder(v.Value)
		if err != nil {
			return &ConfigError{Line: v.Line, Key: f.key, Msg: err.Error()}
		}
		*f.border = b
	case kindRange:
		var r Range
		switch {
		case v.Kind == yaml.ScalarNode:
			x, err := number(f.key, v)
			if err != nil {
				return err
			}
			r = Range{x, x}
		case v.Kind == yaml.SequenceNode && len(v.Content) == 2:
			lo, err := number(f.key, deref(v.Content[0]))
			if err != nil {
				return err
			}
			hi, err := number(f.key, deref(v.Content[1]))
			if err != nil {
				return err
			}
			r = Range{lo, hi}
		default:
			return &ConfigError{Line: v.Line, Key: f.key, Msg: fmt.Sprintf("want a number or a [min, max] pair within %s to %s", fmtNum(f.lo), fmtNum(f.hi))}
		}
		for _, x := range []float64{r.Min, r.Max} {
			if err := inRange(f.key, v.Line, x, f.lo, f.hi); err != nil {
				return err
			}
		}
		if r.Min > r.Max {
			return &ConfigError{Line: v.Line, Key: f.key, Msg: fmt.Sprintf("min %s is greater than max %s", fmtNum(r.Min), fmtNum(r.Max))}
		}
		*f.rng = r
	}
	return nil
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
