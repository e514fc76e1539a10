// Package conf decodes augsplit's YAML config files: the generate config,
// its pipeline and the train keys all go through it, so every mistake in
// any of them reads the same way:
//
//	FILE:LINE: key: problem (valid: choice, choice, ...)
//
// A config is described by a table of Fields, one per key. The same table
// decodes a file (with the line of each mistake) and checks values that
// came from elsewhere, such as flags (Check), so a range is written once.
package conf

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Error is a mistake in a config: where it is, which key, what is wrong
// and, when the choices are few, what would be right.
type Error struct {
	File  string   // "" when the config did not come from a file
	Line  int      // 1-based; 0 when unknown
	Key   string   // "" for a mistake of the document itself
	Msg   string   // the problem
	Valid []string // the valid keys, names or range; may be empty
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	if len(e.Valid) > 0 {
		fmt.Fprintf(&b, " (valid: %s)", strings.Join(e.Valid, ", "))
	}
	return b.String()
}

// Invalid returns the error of a value outside its valid choices, for a
// Rule or a Field's Decode; the decoder adds file, line and key.
func Invalid(valid []string, format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Valid: valid}
}

// InFile names file in err when err is an *Error that names none, so that
// a decoder of a node (which knows lines but not files) and the reader of
// the file share one error.
func InFile(file string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.File == "" {
		e.File = file
	}
	return err
}

// at fills in what err lacks of line and key; any other error becomes an
// *Error with its text as the message.
func at(err error, line int, key string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Line: line, Key: key, Msg: err.Error()}
	}
	if e.Line == 0 {
		e.Line = line
	}
	if e.Key == "" {
		e.Key = key
	}
	return err
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Parse reads YAML text and returns its top node, or nil for an empty
// document. A syntax error is an *Error with the line the parser gave.
func Parse(data []byte) (node *yaml.Node, err error) {
	// A parser fed user files must answer with an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			node, err = nil, &Error{Msg: fmt.Sprintf("not valid YAML: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		return nil, &Error{Line: line, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

const maxAliasDepth = 16

// Deref follows YAML aliases (a bounded number, so a loop cannot hang).
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasDepth; i++ {
		n = n.Alias
	}
	return n
}

// Field is one key of a mapping. Decode reads the key's value node; its
// error may be an *Error (see Invalid) or plain, and gets the file, line
// and key added. Check, when set, validates the value the field holds now,
// however it got there.
type Field struct {
	Key    string
	Decode func(v *yaml.Node) error
	Check  func() error
}

// Keys lists the keys of fields in order.
func Keys(fields []Field) []string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Key
	}
	return keys
}

// Mapping decodes the mapping node n key by key with fields. Each key may
// appear once; an unknown key is an error listing the valid ones, and of,
// when set, names what the mapping configures ("unknown key for rotate").
func Mapping(n *yaml.Node, of string, fields []Field) error {
	n = Deref(n)
	keys := Keys(fields)
	if n == nil || n.Kind != yaml.MappingNode {
		line := 0
		if n != nil {
			line = n.Line
		}
		return &Error{Line: line, Msg: "want a mapping of keys", Valid: keys}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], Deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return &Error{Line: k.Line, Msg: "keys must be plain names", Valid: keys}
		}
		if first, dup := seen[k.Value]; dup {
			return &Error{Line: k.Line, Key: k.Value, Msg: fmt.Sprintf("given twice (first on line %d): keep one", first)}
		}
		seen[k.Value] = k.Line
		if v == nil {
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: k.Line}
		}
		j := indexOf(fields, k.Value)
		if j < 0 {
			msg := "unknown key"
			if of != "" {
				msg += " for " + of
			}
			return &Error{Line: k.Line, Key: k.Value, Msg: msg, Valid: keys}
		}
		if err := fields[j].Decode(v); err != nil {
			return at(err, v.Line, k.Value)
		}
	}
	return nil
}

func indexOf(fields []Field, key string) int {
	for i, f := range fields {
		if f.Key == key {
			return i
		}
	}
	return -1
}

// Check runs every field's Check and returns the mistakes joined, each an
// *Error naming its key; nil when all hold.
func Check(fields []Field) error {
	var errs []error
	for _, f := range fields {
		if f.Check == nil {
			continue
		}
		if err := f.Check(); err != nil {
			errs = append(errs, at(err, 0, f.Key))
		}
	}
	return errors.Join(errs...)
}

// Rule checks one value; its error is usually made by Invalid.
type Rule[T any] func(T) error

// Scalar is the value types Value decodes.
type Scalar interface {
	~int | ~int64 | ~uint64 | ~float64 | ~bool | ~string
}

// Value is the field for key holding one scalar at p, checked by rules at
// decode time (with the file's line) and by Check.
func Value[T Scalar](key string, p *T, rules ...Rule[T]) Field {
	return Field{
		Key: key,
		Decode: func(v *yaml.Node) error {
			x, err := decodeScalar[T](v)
			if err != nil {
				return err
			}
			if err := apply(x, rules); err != nil {
				return err
			}
			*p = x
			return nil
		},
		Check: func() error { return apply(*p, rules) },
	}
}

// List is the field for key holding a list of scalars at p; every element
// is checked by rules. A single scalar reads as a list of one.
func List[T Scalar](key string, p *[]T, rules ...Rule[T]) Field {
	return Field{
		Key: key,
		Decode: func(v *yaml.Node) error {
			items := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				items = v.Content
			}
			out := make([]T, 0, len(items))
			for _, it := range items {
				x, err := decodeScalar[T](Deref(it))
				if err != nil {
					return at(err, it.Line, "")
				}
				if err := apply(x, rules); err != nil {
					return at(err, it.Line, "")
				}
				out = append(out, x)
			}
			*p = out
			return nil
		},
		Check: func() error {
			for _, x := range *p {
				if err := apply(x, rules); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func apply[T any](x T, rules []Rule[T]) error {
	for _, r := range rules {
		if err := r(x); err != nil {
			return err
		}
	}
	return nil
}

// decodeScalar reads one scalar node as a T; a wrong type says what was
// wanted and what was found.
func decodeScalar[T Scalar](v *yaml.Node) (T, error) {
	var x T
	want := wantOf(any(x))
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		return x, &Error{Msg: "want " + want}
	}
	bad := &Error{Msg: fmt.Sprintf("want %s, got %q", want, v.Value)}
	switch p := any(&x).(type) {
	case *float64:
		f, err := Number(v)
		if err != nil {
			return x, err
		}
		*p = f
		return x, nil
	case *string:
		*p = v.Value
		return x, nil
	case *int, *int64, *uint64:
		// yaml.v3 would truncate 2.5 to 2 without a word.
		if v.ShortTag() != "!!int" {
			return x, bad
		}
	}
	if err := v.Decode(&x); err != nil {
		return x, bad
	}
	return x, nil
}

func wantOf(x any) string {
	switch x.(type) {
	case int, int64:
		return "a whole number"
	case uint64:
		return "a non-negative whole number"
	case float64:
		return "a number"
	case bool:
		return "true or false"
	}
	return "text"
}

// Number reads a finite number (an int or float node; not quoted text).
func Number(v *yaml.Node) (float64, error) {
	bad := &Error{Msg: fmt.Sprintf("want a number, got %q", v.Value)}
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

// Ordered is what a range rule compares.
type Ordered interface {
	~int | ~int64 | ~uint64 | ~float64
}

// Want is a rule: ok(v) must hold, and valid says which values do.
func Want[T Ordered](ok func(T) bool, valid string) Rule[T] {
	return func(v T) error {
		if !ok(v) {
			return Invalid([]string{valid}, "%s is out of range", FormatNum(v))
		}
		return nil
	}
}

// Between accepts lo <= v <= hi.
func Between[T Ordered](lo, hi T) Rule[T] {
	return Want(func(v T) bool { return v >= lo && v <= hi }, FormatNum(lo)+" to "+FormatNum(hi))
}

// AtLeast accepts v >= lo.
func AtLeast[T Ordered](lo T) Rule[T] {
	return Want(func(v T) bool { return v >= lo }, FormatNum(lo)+" or more")
}

// Above accepts v > lo.
func Above[T Ordered](lo T) Rule[T] {
	return Want(func(v T) bool { return v > lo }, "more than "+FormatNum(lo))
}

// OneOf accepts the given words.
func OneOf(choices ...string) Rule[string] {
	return func(v string) error {
		for _, c := range choices {
			if v == c {
				return nil
			}
		}
		return Invalid(choices, "unknown value %q", v)
	}
}

// FormatNum writes a number in its shortest form that reads back the same.
func FormatNum[T Ordered](v T) string {
	switch x := any(v).(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// Date accepts a calendar date written YYYY-MM-DD (ISO 8601, the form
// schema.org's datePublished takes), or "" for not given. The date must
// exist: 2026-02-30 is refused.
func Date(v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil || len(v) != len(time.DateOnly) {
		return Invalid([]string{"YYYY-MM-DD, e.g. 2026-03-01"}, "%q is not a date", v)
	}
	return nil
}

// HTTPURL accepts an absolute http:// or https:// URL with a host, or ""
// for not given: a page a reader of the metadata can open, not a path on
// the machine that wrote it.
func HTTPURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || strings.ContainsAny(v, " \t\n") {
		return Invalid([]string{"an absolute http:// or https:// URL, e.g. https://example.org/data"}, "%q is not an absolute http(s) URL", v)
	}
	return nil
}
