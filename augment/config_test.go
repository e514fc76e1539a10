package augment

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/augsplit/augsplit/conf"
)

func TestParsePipelineYAML(t *testing.T) {
	got, err := ParsePipelineYAML([]byte(`
- {name: rotate, p: 1, degrees: [0, 360], border: reflect101}
- {name: hflip, p: 0.5}
- name: affine
  scale: [0.9, 1.1]
  shear: 5            # a single number means exactly that value
  border: constant
  value: 20
- {name: elastic, grid: 4, sigma: [1, 3], p: 0.25}
- {name: gaussian_noise, sigma: [0, 8]}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Pipeline{Steps: []Step{
		{T: &Rotate{Degrees: Range{0, 360}, Border: BorderReflect101}, P: 1},
		{T: &HFlip{}, P: 0.5},
		// scale and shear listed: translate, not asked for, is off.
		{T: &Affine{Scale: Range{0.9, 1.1}, Shear: Range{5, 5}, Border: BorderConstant, Value: 20}, P: 1},
		{T: &Elastic{Grid: 4, Sigma: Range{1, 3}}, P: 0.25},
		{T: &GaussianNoise{Sigma: Range{0, 8}}, P: 1},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %s\nwant %s", dump(t, got), dump(t, want))
	}
}

func dump(t *testing.T, p *Pipeline) string {
	t.Helper()
	b, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMarshalRoundTrip(t *testing.T) {
	every := &Pipeline{}
	for i, tr := range allTransforms() {
		every.Steps = append(every.Steps, Step{T: tr, P: float64(i) / float64(len(allTransforms())-1)})
	}
	tests := map[string]*Pipeline{
		"default": DefaultPipeline(),
		"every":   every,
		"empty":   {Steps: []Step{}},
		"constant border": {Steps: []Step{
			{T: &Rotate{Degrees: Range{-12.5, 1e-7}, Border: BorderConstant, Value: 255}, P: 0.3333333333333333},
		}},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			text := dump(t, p)
			got, err := ParsePipelineYAML([]byte(text))
			if err != nil {
				t.Fatalf("parse of\n%s: %v", text, err)
			}
			if !reflect.DeepEqual(got, p) {
				t.Errorf("round trip changed the pipeline:\n%s\ngot back\n%s", text, dump(t, got))
			}
		})
	}
}

func TestMarshalDefaultText(t *testing.T) {
	got := dump(t, DefaultPipeline())
	want := `- {name: rotate, p: 1, degrees: [0, 360], border: reflect101, value: 0}
- {name: hflip, p: 0.5}
- {name: vflip, p: 0.5}
- {name: gaussian_noise, p: 1, sigma: [0, 8]}
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// customTransform embeds a built-in but is a transform of its own.
type customTransform struct{ *HFlip }

func (customTransform) Name() string { return "custom" }

// Apply overrides the embedded flip: it returns a copy unchanged.
func (customTransform) Apply(src image.Image, _ *rand.Rand) (image.Image, map[string]any) {
	return clone(src), map[string]any{"custom": true}
}

// ApplyInPlace overrides the embedded flip's too, as InPlacer asks of a
// type that embeds a transform and overrides Apply.
func (customTransform) ApplyInPlace(image.Image, *rand.Rand) map[string]any {
	return map[string]any{"custom": true}
}

// TestForeignTransformInPipeline: a type embedding a built-in runs its own
// Apply and ApplyInPlace, not the built-in's.
func TestForeignTransformInPipeline(t *testing.T) {
	src := synthetic(8)
	p := &Pipeline{Steps: []Step{{T: customTransform{&HFlip{}}, P: 1}}}
	got, applied := p.Apply(src, NewRand(1, "c", 1))
	if !bytes.Equal(pixBytes(got), src.Pix) || len(applied) != 1 || applied[0].Params["custom"] != true {
		t.Errorf("pipeline ran the embedded flip instead of the custom transform: %v", applied)
	}
}

// shared returns the same image every time, as a transform serving a cached
// picture might: the pipeline must not overwrite it.
type shared struct{ img *image.Gray }

func (shared) Name() string { return "shared" }
func (s shared) Apply(image.Image, *rand.Rand) (image.Image, map[string]any) {
	return s.img, map[string]any{}
}

// countingFlip is a foreign InPlacer that counts which path ran.
type countingFlip struct{ apply, inPlace *int }

func (countingFlip) Name() string { return "counting_flip" }
func (c countingFlip) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	*c.apply++
	return (&HFlip{}).Apply(src, r)
}
func (c countingFlip) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	*c.inPlace++
	return (&HFlip{}).ApplyInPlace(img, r)
}

// TestInPlacerOwnership: a foreign InPlacer is run in place, on a copy of
// anything the pipeline does not own, so neither the caller's image nor a
// foreign transform's (possibly shared) result is changed.
func TestInPlacerOwnership(t *testing.T) {
	var apply, inPlace int
	flip := countingFlip{&apply, &inPlace}
	src := synthetic(8)
	orig := bytes.Clone(src.Pix)
	want, _ := (&HFlip{}).Apply(src, nil)
	got, _ := (&Pipeline{Steps: []Step{{T: flip, P: 1}}}).Apply(src, NewRand(1, "c", 1))
	if !bytes.Equal(pixBytes(got), pixBytes(want)) || apply != 0 || inPlace != 1 {
		t.Errorf("flip: Apply ran %d times, ApplyInPlace %d, pixels equal %v; want the in-place path once",
			apply, inPlace, bytes.Equal(pixBytes(got), pixBytes(want)))
	}
	if !bytes.Equal(src.Pix, orig) {
		t.Error("the caller's image was changed in place")
	}
	cached := synthetic(8)
	keep := bytes.Clone(cached.Pix)
	for _, second := range []Transform{flip, &VFlip{}, &GaussianNoise{Sigma: Range{8, 8}}} {
		p := &Pipeline{Steps: []Step{{T: shared{cached}, P: 1}, {T: second, P: 1}}}
		got, _ := p.Apply(src, NewRand(1, "c", 2))
		if !bytes.Equal(cached.Pix, keep) {
			t.Fatalf("%s changed a foreign transform's shared result in place", second.Name())
		}
		if bytes.Equal(pixBytes(got), keep) {
			t.Errorf("%s did nothing", second.Name())
		}
	}
}

func TestMarshalForeignTransform(t *testing.T) {
	p := &Pipeline{Steps: []Step{{T: customTransform{&HFlip{}}, P: 1}}}
	if _, err := yaml.Marshal(p); err == nil || !strings.Contains(err.Error(), "custom") {
		t.Errorf("got %v, want an error naming the transform", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		line  int
		key   string
		words []string // each must appear in the message
	}{
		{"unknown transform", "- {name: rotate}\n- {name: rotat, p: 1}\n", 2, "name",
			[]string{`unknown transform "rotat" (valid: `, "rotate", "gaussian_noise", "random_resized_crop"}},
		{"missing name", "- {p: 1}\n", 1, "name", []string{"missing", "hflip"}},
		{"unknown key", "- name: rotate\n  degress: [0, 90]\n", 2, "degress",
			[]string{"unknown key for rotate (valid: name, p, degrees, border, value)"}},
		{"key of another transform", "- {name: hflip, sigma: 1}\n", 1, "sigma", []string{"unknown key for hflip (valid: name, p)"}},
		{"p above 1", "- {name: hflip}\n-\n  name: vflip\n  p: 1.5\n", 4, "p", []string{"1.5 is out of range (valid: 0 to 1)"}},
		{"p negative", "- {name: hflip, p: -0.1}\n", 1, "p", []string{"-0.1", "0 to 1"}},
		{"p not a number", "- {name: hflip, p: often}\n", 1, "p", []string{"often", "number"}},
		{"p nan", "- {name: hflip, p: .nan}\n", 1, "p", []string{"finite"}},
		{"negative sigma", "- {name: gaussian_noise, sigma: [-1, 8]}\n", 1, "sigma", []string{"-1", "0 to 255"}},
		{"min above max", "- {name: rotate, degrees: [90, 10]}\n", 1, "degrees", []string{"min 90", "max 10"}},
		{"range of three", "- {name: rotate, degrees: [1, 2, 3]}\n", 1, "degrees", []string{"[min, max]"}},
		{"unknown border", "- {name: rotate, border: mirror}\n", 1, "border",
			[]string{`"mirror"`, "reflect101, reflect, replicate, wrap, constant"}},
		{"grid not whole", "- {name: elastic, grid: 2.5}\n", 1, "grid", []string{"whole"}},
		{"grid too small", "- {name: elastic, grid: 1}\n", 1, "grid", []string{"2 to 64"}},
		{"value too big", "- {name: rotate, border: constant, value: 300}\n", 1, "value", []string{"300", "0 to 255"}},
		{"key twice", "- {name: rotate, p: 1, p: 0.5}\n", 1, "p", []string{"twice"}},
		{"step not a mapping", "- rotate\n", 1, "", []string{"mapping"}},
		{"not a list", "name: rotate\n", 1, "", []string{"list of transforms"}},
		{"malformed", "- {name: rotate\n- {name: hflip}\n", 1, "", []string{"not valid YAML"}},
		{"bad indentation", "- name: rotate\n   p: 1\n  degrees: 3\n", 2, "", []string{"not valid YAML"}},
		{"empty", "", 0, "", []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePipelineYAML([]byte(tt.yaml))
			var ce *conf.Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want *conf.Error", err, err)
			}
			if ce.Line != tt.line || ce.Key != tt.key {
				t.Errorf("got line %d key %q, want line %d key %q (%v)", ce.Line, ce.Key, tt.line, tt.key, err)
			}
			msg := err.Error()
			for _, w := range tt.words {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			// One format for every config mistake: LINE: key: problem.
			prefix := ""
			if tt.line > 0 {
				prefix = fmt.Sprintf("line %d: ", tt.line)
			}
			if tt.key != "" {
				prefix += tt.key + ": "
			}
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("message %q does not start with %q", msg, prefix)
			}
		})
	}
}

// TestUnmarshalInStruct: a Pipeline inside a larger config, as the command
// reads it, keeps the typed error.
func TestUnmarshalInStruct(t *testing.T) {
	var cfg struct {
		Seed     int       `yaml:"seed"`
		Pipeline *Pipeline `yaml:"pipeline"`
	}
	err := yaml.Unmarshal([]byte("seed: 1\npipeline:\n  - {name: hflip}\n"), &cfg)
	if err != nil || len(cfg.Pipeline.Steps) != 1 || cfg.Pipeline.Steps[0].T.Name() != "hflip" {
		t.Fatalf("got %+v, %v", cfg.Pipeline, err)
	}
	err = yaml.Unmarshal([]byte("seed: 1\npipeline:\n  - {name: hflip}\n  - {name: twirl}\n"), &cfg)
	var ce *conf.Error
	if !errors.As(err, &ce) || ce.Line != 4 {
		t.Errorf("got %v, want a *conf.Error on line 4", err)
	}
}

func TestParseBorder(t *testing.T) {
	for i, n := range borderNames {
		b, err := ParseBorder(n)
		if err != nil || b != Border(i) || b.String() != n {
			t.Errorf("ParseBorder(%q) = %v, %v", n, b, err)
		}
	}
	if _, err := ParseBorder("REFLECT"); err == nil {
		t.Error("ParseBorder accepted a wrong-case name")
	}
}

func FuzzParsePipeline(f *testing.F) {
	f.Add([]byte("- {name: rotate, p: 1, degrees: [0, 360], border: reflect101, value: 0}\n"))
	f.Add([]byte(dumpPipeline(DefaultPipeline())))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePipelineYAML(data)
		if err != nil {
			var ce *conf.Error
			if !errors.As(err, &ce) || err.Error() == "" {
				t.Fatalf("error %v (%T) is not a described *conf.Error", err, err)
			}
			return
		}
		// Whatever parses must print and read back to the same pipeline.
		text := dumpPipeline(p)
		q, err := ParsePipelineYAML([]byte(text))
		if err != nil {
			t.Fatalf("printed config does not parse: %v\n%s", err, text)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the pipeline:\n%s", text)
		}
	})
}

func dumpPipeline(p *Pipeline) string {
	b, err := yaml.Marshal(p)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestDefaultsDocumented keeps the package doc's table of defaults true.
func TestDefaultsDocumented(t *testing.T) {
	src, err := os.ReadFile("augment.go")
	if err != nil {
		t.Fatal(err)
	}
	var doc []string
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "//\t- "); ok {
			doc = append(doc, "- "+rest)
		}
	}
	p := &Pipeline{}
	for _, line := range doc {
		name := strings.TrimSuffix(strings.Fields(line)[2], ",")
		p.Steps = append(p.Steps, Step{T: builtins[name](), P: 1})
	}
	if got, want := dump(t, p), strings.Join(doc, "\n")+"\n"; got != want {
		t.Errorf("defaults print as\n%s\nbut the package doc says\n%s", got, want)
	}
	if len(doc) != len(builtins) {
		t.Errorf("package doc lists %d transforms, there are %d built-ins", len(doc), len(builtins))
	}
}
