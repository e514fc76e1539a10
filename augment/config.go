package augment

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/augsplit/augsplit/conf"
)

type fieldKind int

const (
	kindRange fieldKind = iota
	kindFloat
	kindInt
	kindBorder
	kindIntRange // a [min, max] of whole numbers
)

// field describes one config key of a transform and points at the struct
// member it sets, so parsing, validation and marshalling share one table.
type field struct {
	key    string
	kind   fieldKind
	lo, hi float64 // allowed values, inclusive
	unit   string  // what a value means, for `augsplit transforms`
	// part marks one independent part of a transform with several (affine,
	// color_jitter): a step that lists any part leaves the parts it does
	// not list off (their zero Range), so nothing is drawn or recorded that
	// the config did not ask for; a step listing none keeps every default.
	part   bool
	rng    *Range
	num    *float64
	n      *int
	border *Border
}

func borderFields(b *Border, v *float64) []field {
	return []field{
		{key: "border", kind: kindBorder, border: b, unit: "outside the image"},
		{key: "value", kind: kindFloat, lo: 0, hi: 255, num: v, unit: "8-bit level (x257 for 16-bit), with border: constant"},
	}
}

func (t *Rotate) fields() []field {
	return append([]field{{key: "degrees", kind: kindRange, lo: -360, hi: 360, rng: &t.Degrees, unit: "degrees, counter-clockwise"}}, borderFields(&t.Border, &t.Value)...)
}
func (*HFlip) fields() []field { return nil }
func (*VFlip) fields() []field { return nil }
func (*Rot90) fields() []field { return nil }
func (t *Affine) fields() []field {
	return append([]field{
		{key: "scale", kind: kindRange, lo: 0.1, hi: 10, rng: &t.Scale, part: true, unit: "factor about the centre"},
		{key: "translate", kind: kindRange, lo: -1, hi: 1, rng: &t.Translate, part: true, unit: "fraction of width (x) and height (y), each drawn"},
		{key: "shear", kind: kindRange, lo: -75, hi: 75, rng: &t.Shear, part: true, unit: "degrees, in x then in y, each drawn"},
	}, borderFields(&t.Border, &t.Value)...)
}
func (t *Elastic) fields() []field {
	return append([]field{
		{key: "grid", kind: kindInt, lo: 2, hi: maxGrid, n: &t.Grid, unit: "lattice nodes per side"},
		{key: "sigma", kind: kindRange, lo: 0, hi: 1000, rng: &t.Sigma, unit: "pixels (node displacement sd)"},
	}, borderFields(&t.Border, &t.Value)...)
}
func (t *RandomResizedCrop) fields() []field {
	return []field{
		{key: "scale", kind: kindRange, lo: 0.01, hi: 1, rng: &t.Scale, unit: "fraction of the area"},
		{key: "ratio", kind: kindRange, lo: 0.01, hi: 100, rng: &t.Ratio, unit: "width/height, log-uniform"},
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
// chooses the transform, p is the step's, and the other keys go to the
// transform's Constructor.
func parseStep(n *yaml.Node) (Step, error) {
	if n == nil || n.Kind != yaml.MappingNode {
		line := 0
		if n != nil {
			line = n.Line
		}
		return Step{}, &conf.Error{Line: line, Msg: "a transform must be a mapping such as {name: rotate, p: 1}"}
	}
	name, err := stepName(n)
	if err != nil {
		return Step{}, err
	}
	own := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	settings := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && (k.Value == "name" || k.Value == "p") {
			own.Content = append(own.Content, k, n.Content[i+1])
		} else {
			settings.Content = append(settings.Content, k, n.Content[i+1])
		}
	}
	step := Step{P: 1}
	if err := conf.Mapping(own, name, stepFields(&step.P)); err != nil {
		return Step{}, err
	}
	if step.T, err = construct(name, settings); err != nil {
		return Step{}, constructError(err, name, n.Line)
	}
	return step, nil
}

// stepFields are the keys of every step; p is decoded into p when given.
func stepFields(p *float64) []conf.Field {
	return []conf.Field{
		{Key: "name", Decode: func(*yaml.Node) error { return nil }},
		conf.Value("p", p, conf.Between(0.0, 1)),
	}
}

// stepName returns the registered transform a step's name key chooses.
func stepName(n *yaml.Node) (string, error) {
	var name *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "name" {
			name = conf.Deref(n.Content[i+1])
			break
		}
	}
	valid := Names()
	switch {
	case name == nil:
		return "", &conf.Error{Line: n.Line, Key: "name", Msg: "missing: say which transform", Valid: valid}
	case name.Kind != yaml.ScalarNode:
		return "", &conf.Error{Line: name.Line, Key: "name", Msg: "want a transform name", Valid: valid}
	}
	if _, ok := lookup(name.Value); !ok {
		return "", &conf.Error{Line: name.Line, Key: "name", Msg: fmt.Sprintf("unknown transform %q", name.Value), Valid: valid}
	}
	return name.Value, nil
}

var typeErrorLine = regexp.MustCompile(`^line (\d+): `)

// constructError turns the error of name's constructor into a *conf.Error
// at the step's line, or at the line yaml.v3 names when decoding the
// settings failed.
func constructError(err error, name string, line int) error {
	var ce *conf.Error
	if errors.As(err, &ce) {
		if ce.Line == 0 {
			ce.Line = line
		}
		return err
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			if m := typeErrorLine.FindStringSubmatch(e); m != nil {
				if i == 0 {
					line, _ = strconv.Atoi(m[1])
				}
				e = e[len(m[0]):]
			}
			msgs[i] = e
		}
		return &conf.Error{Line: line, Msg: fmt.Sprintf("transform %q: %s", name, strings.Join(msgs, "; "))}
	}
	msg := err.Error()
	if !strings.Contains(msg, strconv.Quote(name)) {
		msg = fmt.Sprintf("transform %q: %s", name, msg)
	}
	return &conf.Error{Line: line, Msg: msg}
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
	case kindRange, kindIntRange:
		r, err := f.rangeOf(v)
		if err != nil {
			return err
		}
		if f.kind == kindIntRange && (r.Min != math.Trunc(r.Min) || r.Max != math.Trunc(r.Max)) {
			return &conf.Error{Line: v.Line, Msg: fmt.Sprintf("want whole numbers, got [%s, %s]", fmtNum(r.Min), fmtNum(r.Max))}
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
// Every step's transform must be registered under its Name.
func (p *Pipeline) MarshalYAML() (any, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for i, s := range p.Steps {
		settings, err := settingsNode(s.T)
		if err != nil {
			return nil, fmt.Errorf("marshal step %d: %w", i, err)
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
		m.Content = append(m.Content, str("name"), str(s.T.Name()), str("p"), num(s.P))
		m.Content = append(m.Content, settings...)
		seq.Content = append(seq.Content, m)
	}
	return seq, nil
}

// settingsNode returns t's settings as YAML key and value nodes: a
// built-in's field table, or what yaml.v3 encodes from a registered
// transform.
func settingsNode(t Transform) ([]*yaml.Node, error) {
	if _, ok := lookup(t.Name()); !ok {
		return nil, fmt.Errorf("transform %q has no YAML form: it is not registered (see Register)", t.Name())
	}
	if c, ok := t.(configurable); ok {
		var out []*yaml.Node
		fields := c.fields()
		allOff := partsOff(fields)
		for _, f := range fields {
			if f.part && *f.rng == (Range{}) && (!allOff || f.lo > 0 || f.hi < 0) {
				// Off, and left out: reading the text back leaves it off
				// because another part is listed.
				continue
			}
			var v *yaml.Node
			switch f.kind {
			case kindRange, kindIntRange:
				v = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: []*yaml.Node{num(f.rng.Min), num(f.rng.Max)}}
			case kindFloat:
				v = num(*f.num)
			case kindInt:
				v = &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(*f.n)}
			case kindBorder:
				v = str(f.border.String())
			}
			out = append(out, str(f.key), v)
		}
		return out, nil
	}
	var n yaml.Node
	if err := n.Encode(t); err != nil {
		return nil, fmt.Errorf("transform %q: %w", t.Name(), err)
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("transform %q: its settings encode as YAML %s, want a mapping", t.Name(), n.ShortTag())
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k == "name" || k == "p" {
			return nil, fmt.Errorf("transform %q: setting %q would clash with the step's own key", t.Name(), k)
		}
	}
	return n.Content, nil
}

// partsOff reports whether fields has parts and every one is off. Such a
// step prints as [0, 0] the parts whose bounds allow it (affine's
// translate and shear): left out, they would read back as the defaults.
func partsOff(fields []field) bool {
	n := 0
	for _, f := range fields {
		if f.part {
			if *f.rng != (Range{}) {
				return false
			}
			n++
		}
	}
	return n > 0
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func num(f float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: fmtNum(f)}
}
