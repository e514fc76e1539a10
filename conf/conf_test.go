package conf

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{File: "c.yaml", Line: 3, Key: "val", Msg: "1.5 is out of range", Valid: []string{"0 to below 1"}},
			"c.yaml:3: val: 1.5 is out of range (valid: 0 to below 1)"},
		{Error{File: "c.yaml", Key: "seed", Msg: "want a number"}, "c.yaml: seed: want a number"},
		{Error{Line: 2, Msg: "not valid YAML: x"}, "line 2: not valid YAML: x"},
		{Error{Key: "batch", Msg: "1 is out of range", Valid: []string{"2 or more"}}, "batch: 1 is out of range (valid: 2 or more)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

type sample struct {
	N     int
	F     float64
	U     uint64
	B     bool
	Color string
	List  []string
}

func (s *sample) fields() []Field {
	return []Field{
		Value("n", &s.N, Between(1, 10)),
		Value("f", &s.F, Want(func(v float64) bool { return v >= 0 && v < 1 }, "0 to below 1")),
		Value("u", &s.U),
		Value("b", &s.B),
		Value("color", &s.Color, OneOf("red", "blue")),
		List("list", &s.List, OneOf("a", "b")),
	}
}

func decode(t *testing.T, src string) (*sample, error) {
	t.Helper()
	s := &sample{N: 5}
	n, err := Parse([]byte(src))
	if err != nil {
		return s, InFile("s.yaml", err)
	}
	if n == nil {
		return s, nil
	}
	return s, InFile("s.yaml", Mapping(n, "", s.fields()))
}

func TestMapping(t *testing.T) {
	s, err := decode(t, "n: 3\nf: 0.5\nu: 7\nb: true\ncolor: blue\nlist: [a, b]\n")
	if err != nil || s.N != 3 || s.F != 0.5 || s.U != 7 || !s.B || s.Color != "blue" || strings.Join(s.List, ",") != "a,b" {
		t.Fatalf("got %+v, %v", s, err)
	}
	if s, err := decode(t, ""); err != nil || s.N != 5 {
		t.Errorf("empty file: %+v, %v", s, err)
	}
	if s, err := decode(t, "list: a\n"); err != nil || strings.Join(s.List, ",") != "a" {
		t.Errorf("one item as a list: %+v, %v", s, err)
	}
	for _, tc := range []struct{ src, want string }{
		{"n: 0\n", "s.yaml:1: n: 0 is out of range (valid: 1 to 10)"},
		{"f: 1.5\n", "s.yaml:1: f: 1.5 is out of range (valid: 0 to below 1)"},
		{"f: .nan\n", `s.yaml:1: f: want a finite number, got ".nan"`},
		{"f: '0.5'\n", `s.yaml:1: f: want a number, got "0.5"`},
		{"n: 2.5\n", `s.yaml:1: n: want a whole number, got "2.5"`},
		{"u: -1\n", `s.yaml:1: u: want a non-negative whole number, got "-1"`},
		{"b: maybe\n", `s.yaml:1: b: want true or false, got "maybe"`},
		{"n:\n", "s.yaml:1: n: want a whole number"},
		{"n: [1]\n", "s.yaml:1: n: want a whole number"},
		{"color: green\n", `s.yaml:1: color: unknown value "green" (valid: red, blue)`},
		{"list:\n  - a\n  - c\n", `s.yaml:3: list: unknown value "c" (valid: a, b)`},
		{"n: 1\nm: 2\n", "s.yaml:2: m: unknown key (valid: n, f, u, b, color, list)"},
		{"n: 1\nn: 2\n", "s.yaml:2: n: given twice (first on line 1): keep one"},
		{"- n\n", "s.yaml:1: want a mapping of keys (valid: n, f, u, b, color, list)"},
		{"n: [\n", "s.yaml:1: not valid YAML: "},
		{"{[1]: 2}\n", "s.yaml:1: keys must be plain names"},
	} {
		_, err := decode(t, tc.src)
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v (%T), want a *Error starting %q", tc.src, err, err, tc.want)
		}
	}
}

// TestCheck: the same rules check values set another way (flags), naming
// every key at fault, without a file or line.
func TestCheck(t *testing.T) {
	s := &sample{N: 11, F: 0.5, Color: "red", List: []string{"a", "z"}}
	err := Check(s.fields())
	if err == nil {
		t.Fatal("no error")
	}
	want := "n: 11 is out of range (valid: 1 to 10)\nlist: unknown value \"z\" (valid: a, b)"
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	s = &sample{N: 1, Color: "red"}
	if err := Check(s.fields()); err != nil {
		t.Errorf("valid sample: %v", err)
	}
}

// TestNestedError: a decoder that returns an *Error with its own line and
// key (as the pipeline does) keeps them; the file is added.
func TestNestedError(t *testing.T) {
	inner := Field{Key: "pipeline", Decode: func(v *yaml.Node) error {
		return &Error{Line: 4, Key: "name", Msg: `unknown transform "twirl"`, Valid: []string{"hflip"}}
	}}
	n, err := Parse([]byte("seed: 1\npipeline:\n  - {name: hflip}\n  - {name: twirl}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = InFile("g.yaml", Mapping(n, "", []Field{inner, {Key: "seed", Decode: func(*yaml.Node) error { return nil }}}))
	if want := `g.yaml:4: name: unknown transform "twirl" (valid: hflip)`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	plain := Field{Key: "x", Decode: func(*yaml.Node) error { return errors.New("broken") }}
	n, _ = Parse([]byte("x: 1\n"))
	if err := Mapping(n, "thing", []Field{plain}); err == nil || err.Error() != "line 1: x: broken" {
		t.Errorf("plain error: got %v", err)
	}
	if err := Mapping(n, "rotate", nil); err == nil || !strings.Contains(err.Error(), "unknown key for rotate") {
		t.Errorf("unknown key with of: got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("n: 3\nlist: [a]\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if n == nil {
			return
		}
		s := &sample{}
		if err := Mapping(n, "", s.fields()); err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line == 0 && e.Key == "" && !strings.Contains(e.Msg, "mapping") {
				t.Fatalf("error without a place: %v", err)
			}
		}
	})
}

func TestDateAndURL(t *testing.T) {
	for _, tc := range []struct {
		rule Rule[string]
		v    string
		ok   bool
	}{
		{Date, "", true},
		{Date, "2026-03-01", true},
		{Date, "2024-02-29", true},
		{Date, "2026-02-30", false},
		{Date, "2026-3-1", false},
		{Date, "01.03.2026", false},
		{Date, "2026-03-01T10:00:00Z", false},
		{HTTPURL, "", true},
		{HTTPURL, "https://example.org/data", true},
		{HTTPURL, "http://example.org", true},
		{HTTPURL, "example.org/data", false},
		{HTTPURL, "/data/out", false},
		{HTTPURL, "ftp://example.org/data", false},
		{HTTPURL, "https://", false},
		{HTTPURL, "https://user:pw@example.org/", false},
		{HTTPURL, "https://example.org/a b", false},
	} {
		err := tc.rule(tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok %v", tc.v, err, tc.ok)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Valid) == 0 || !strings.Contains(e.Msg, tc.v) {
				t.Errorf("%q: error %#v does not name the value and the valid form", tc.v, err)
			}
		}
	}
	// Through a file: the config error format with line and key.
	var d string
	n, _ := Parse([]byte("date: 2026-13-01\n"))
	err := InFile("c.yaml", Mapping(n, "", []Field{Value("date", &d, Date)}))
	if want := `c.yaml:1: date: "2026-13-01" is not a date (valid: YYYY-MM-DD, e.g. 2026-03-01)`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
