// Package generate wires the pipeline behind `augsplit generate` and
// `augsplit split`: scan sources, plan the split, make samples on worker
// goroutines, commit them in the planned order, then manifest and card.
package generate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/conf"
	"github.com/augsplit/augsplit/schema"
)

// Version is the tool version recorded in every dataset card and hashed
// into its fingerprint. Bump it whenever any output byte of any command
// changes. 0.2.0: an affine step that lists some of scale, translate and
// shear no longer draws (and records) the ones it does not list; and the
// reader changes of issue 11 that landed under 0.1.0 (EXIF orientation
// applied, alpha kept, orientation in the card) change bytes too.
// 0.3.0 (issue 12): 16-bit sources give 8-bit PNGs by default (--bit-depth);
// shards are balanced, several per split by default, named with 5 digits,
// listed in OUT/<format>/index.json; bit depth in the WebDataset .json
// members, and image/bit_depth, image/filename and image/key/sha256 in the
// TFRecord Examples.
// 0.4.0 (issue 14): Gaussian noise is drawn as exact integer noise from a
// counter-based stream (other pixels than 0.3.0's for the same seed), and
// --png-compression speed deflates with Huffman coding and runs instead of
// compress/flate's BestSpeed (other PNG bytes for the same pixels).
// 0.5.0 (issue 13): generate plans with package plan, whose memory does not
// grow with the variants: the write order is split-major (train, then val,
// then test), shuffled within each split by a keyed Feistel permutation
// instead of one global ChaCha8 shuffle, and a class split at variant level
// is cut by a keyed permutation of its items instead of a shuffled list, so
// manifests, shards and (at variant level) which variants go where change.
// Source-level assignments are 0.4.0's. per_source may go to 10^8.
const Version = "0.5.0"

// Config is the effective configuration of a generate run: flags over the
// config file over defaults. Fields tagged json are recorded in the card and
// fingerprint; the others (where to write, how many workers, how noisy) cannot
// change a single output byte and are deliberately left out.
type Config struct {
	In             string   `json:"in" yaml:"-"`
	Out            string   `json:"-" yaml:"-"`
	PerSource      int      `json:"per_source" yaml:"per_source"`
	Val            float64  `json:"val" yaml:"val"`
	Test           float64  `json:"test" yaml:"test"`
	Seed           uint64   `json:"seed" yaml:"seed"`
	Workers        int      `json:"-" yaml:"workers"` // 0: one per CPU (Normalize resolves it)
	Size           Size     `json:"size" yaml:"size"`
	Fit            string   `json:"fit,omitempty" yaml:"fit,omitempty"` // with Size: squash (default), pad or crop; "" without Size, so cards of runs without --size are unchanged
	Color          string   `json:"color" yaml:"color"`
	BitDepth       int      `json:"bit_depth" yaml:"bit_depth"` // of the written PNGs: 8 (16-bit sources mapped by Depth16To8) or 16 (as the source)
	PNGCompression string   `json:"png_compression" yaml:"png_compression"`
	ValOriginals   bool     `json:"val_originals" yaml:"val_originals"`
	SkipBad        bool     `json:"skip_bad" yaml:"skip_bad"`
	MaxPixels      int      `json:"max_pixels" yaml:"max_pixels"`
	FollowSymlinks bool     `json:"follow_symlinks" yaml:"follow_symlinks"`
	Formats        []string `json:"formats" yaml:"formats,flow"`
	Shards         int      `json:"shards" yaml:"shards"`         // shards per split; 0: by size, else writer's default rule
	ShardSize      int      `json:"shard_size" yaml:"shard_size"` // most samples per shard; 0: writer's default rule
	ShardBytes     int64    `json:"shard_bytes" yaml:"shard_bytes"`
	Force          bool     `json:"-" yaml:"-"`
	// Name, License and Description go into croissant.json and README.md
	// (package hub, which documents their defaults); omitted when empty
	// so the cards of runs without them keep their bytes.
	Name        string `json:"name,omitempty" yaml:"name,omitempty"`
	License     string `json:"license,omitempty" yaml:"license,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// URL, Creator and Date (YYYY-MM-DD) are croissant.json's url, creator
	// and datePublished; no defaults (hub.Meta says why), omitted when empty.
	URL      string            `json:"url,omitempty" yaml:"url,omitempty"`
	Creator  string            `json:"creator,omitempty" yaml:"creator,omitempty"`
	Date     string            `json:"date,omitempty" yaml:"date,omitempty"`
	Pipeline *augment.Pipeline `json:"-" yaml:"pipeline"`

	// Train holds the `train:` section of a config file untouched, for the
	// trainer; generate does not interpret it.
	Train *yaml.Node `json:"-" yaml:"-"`
}

// Defaults returns the configuration of the user's scenario: 300 variants per
// source, 80/20, seed 1, the default pipeline, one worker per CPU (Workers
// 0, resolved by Normalize, so that the defaults and --print-config read
// the same on every machine).
func Defaults() Config {
	return Config{
		PerSource: 300,
		Val:       0.2,
		Seed:      1,
		Workers:   0,
		Color:     "keep",
		// 8: what torchvision, Keras and WebDataset's decoders read right;
		// they clip a 16-bit PNG at 255.
		BitDepth: 8,
		// speed, not zlib's default: on noisy augmented images higher deflate
		// levels were measured 5-7x slower for files 2-3% larger.
		PNGCompression: "speed",
		MaxPixels:      defaultMaxPixels,
		Formats:        []string{schema.FormatFolder},
		Pipeline:       augment.DefaultPipeline(),
	}
}

// defaultMaxPixels bounds a decoded source (decompression bombs); 64 Mpx is
// 4x a 4096x4096 slide tile.
const defaultMaxPixels = 64 << 20

// Size is an optional target size for sources; zero means keep.
type Size struct{ W, H int }

// ParseSize reads "N" or "WxH".
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Size{}, nil
	}
	w, h, found := strings.Cut(strings.ToLower(s), "x")
	if !found {
		h = w
	}
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	if err1 != nil || err2 != nil || wi <= 0 || hi <= 0 || wi > 1<<15 || hi > 1<<15 {
		return Size{}, fmt.Errorf("size %q: want N or WxH with positive whole numbers up to 32768", s)
	}
	return Size{W: wi, H: hi}, nil
}

func (s Size) String() string {
	switch {
	case s.W == 0:
		return ""
	case s.W == s.H:
		return strconv.Itoa(s.W)
	default:
		return fmt.Sprintf("%dx%d", s.W, s.H)
	}
}

// MarshalJSON and MarshalYAML write the flag form ("64", "64x48", "").
func (s Size) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML writes the flag form.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// fields is the table of config keys: it decodes a file (each mistake as
// a *conf.Error with file, line and key) and checks values however they
// were set (Validate), so a range is written once.
func (c *Config) fields() []conf.Field {
	fraction := conf.Want(func(v float64) bool { return v >= 0 && v < 1 }, "0 to below 1")
	return []conf.Field{
		conf.Value("per_source", &c.PerSource, conf.Between(1, 100_000_000)),
		conf.Value("val", &c.Val, fraction),
		conf.Value("test", &c.Test, fraction),
		conf.Value("seed", &c.Seed),
		conf.Value("workers", &c.Workers),
		{Key: "size", Decode: c.decodeSize},
		conf.Value("fit", &c.Fit, func(v string) error {
			if v == "" { // not set: squash when there is a size
				return nil
			}
			return conf.OneOf(fitModes...)(v)
		}),
		conf.Value("color", &c.Color, conf.OneOf("keep", "gray", "grey", "rgb")),
		conf.Value("bit_depth", &c.BitDepth, conf.Want(func(v int) bool { return v == 8 || v == 16 }, "8 or 16")),
		conf.Value("png_compression", &c.PNGCompression, conf.OneOf("default", "speed", "best", "none")),
		conf.Value("val_originals", &c.ValOriginals),
		conf.Value("skip_bad", &c.SkipBad),
		conf.Value("max_pixels", &c.MaxPixels, conf.AtLeast(1)),
		conf.Value("follow_symlinks", &c.FollowSymlinks),
		conf.List("formats", &c.Formats, conf.OneOf(formatNames...)),
		conf.Value("shards", &c.Shards, conf.AtLeast(0)),
		conf.Value("shard_size", &c.ShardSize, conf.AtLeast(0)),
		conf.Value("shard_bytes", &c.ShardBytes, conf.AtLeast[int64](0)),
		conf.Value("name", &c.Name),
		conf.Value("license", &c.License),
		conf.Value("description", &c.Description),
		conf.Value("url", &c.URL, conf.HTTPURL),
		conf.Value("creator", &c.Creator),
		conf.Value("date", &c.Date, conf.Date),
		{Key: "pipeline", Decode: c.decodePipeline},
		{Key: "train", Decode: func(v *yaml.Node) error { c.Train = v; return nil }},
	}
}

// formatNames are the output forms, in the order they are written.
var formatNames = schema.Formats()

func (c *Config) decodeSize(v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode {
		return conf.Invalid([]string{"N", "WxH"}, "want a size")
	}
	s, err := ParseSize(v.Value)
	if err != nil {
		return conf.Invalid([]string{"N", "WxH"}, "%q is not a size", v.Value)
	}
	c.Size = s
	return nil
}

func (c *Config) decodePipeline(v *yaml.Node) error {
	p, err := augment.ParsePipeline(v)
	if err != nil {
		return err
	}
	c.Pipeline = p
	return nil
}

// ApplyFile reads a YAML config file's bytes over c. Unknown keys, wrong
// types and out-of-range values are a *conf.Error naming the file, line
// and key, and listing the valid choices.
func (c *Config) ApplyFile(name string, data []byte) error {
	root, err := conf.Parse(data)
	if err != nil || root == nil {
		return conf.InFile(name, err) // an empty file changes nothing
	}
	return conf.InFile(name, conf.Mapping(root, "", c.fields()))
}

// Normalize fills in what a zero value leaves open and spells settings one
// way, so the card records one form: workers below 1 mean one per CPU,
// "grey" is recorded as "gray", a size without a fit is squashed, formats
// are put in writing order and a nil pipeline is the default one. Run calls it; Validate does not.
func (c *Config) Normalize() {
	c.In = InputPath(c.In)
	c.Workers = min(c.Workers, MaxWorkers())
	if c.Workers < 1 {
		c.Workers = runtime.NumCPU()
	}
	if c.Color == "grey" {
		c.Color = "gray" // both spellings are in use; record one
	}
	if c.Fit == "" && c.Size.W > 0 {
		c.Fit = FitSquash
	}
	c.Formats = slices.Clone(c.Formats)
	sort.SliceStable(c.Formats, func(i, j int) bool { return formatRank(c.Formats[i]) < formatRank(c.Formats[j]) })
	if c.Pipeline == nil {
		c.Pipeline = augment.DefaultPipeline()
	}
}

// InputPath is how the card records --in, and so how it is fingerprinted:
// cleaned (a trailing slash, "./" and ".." spelled one way), and an
// absolute path made relative to the working folder, so that srcK, srcK/,
// ./srcK and /home/me/srcK (from /home/me) are one run and no card holds
// a machine's absolute path. "" stays "".
func InputPath(in string) string {
	if in == "" || strings.Contains(in, "://") {
		return in // a URL (s3://bucket/prefix) is recorded as given
	}
	in = filepath.Clean(in)
	if filepath.IsAbs(in) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, in); err == nil {
				in = rel
			}
		}
	}
	return in
}

// MaxWorkers bounds --workers: four per CPU, at most 256. Each worker holds
// a decoded source and its variant, so memory grows with them, and more
// than the CPUs can run buy nothing (issue 11: --workers 100000 took
// 2.7 GB).
func MaxWorkers() int { return min(4*runtime.NumCPU(), 256) }

// Validate checks the ranges that flags and files share, and how settings
// combine; errors name the setting and the valid values. It changes
// nothing.
func (c Config) Validate() error {
	var errs []string
	if err := conf.Check(c.fields()); err != nil {
		for _, e := range unjoin(err) {
			errs = append(errs, e.Error())
		}
	}
	if c.Val+c.Test >= 1 {
		errs = append(errs, fmt.Sprintf("val %v + test %v leave nothing to train on: keep their sum below 1", c.Val, c.Test))
	}
	if len(c.Formats) == 0 {
		errs = append(errs, "formats: want at least one (valid: folder, webdataset, tfrecord)")
	}
	if px := int64(c.Size.W) * int64(c.Size.H); c.MaxPixels > 0 && px > int64(c.MaxPixels) {
		errs = append(errs, fmt.Sprintf("size: --size %s makes %d pixels per sample, more than --max-pixels %d allows: choose a smaller --size or raise --max-pixels", c.Size, px, c.MaxPixels))
	}
	if c.Fit != "" && c.Size.W == 0 {
		errs = append(errs, fmt.Sprintf("fit: %s says how to reach a size, but no size is set (give --size N or WxH, or drop --fit)", c.Fit))
	}
	if c.Shards > 0 && (c.ShardSize > 0 || c.ShardBytes > 0) {
		errs = append(errs, fmt.Sprintf("shards: %d shards per split and a shard size or bytes limit exclude each other: give one", c.Shards))
	}
	seen := map[string]bool{}
	for _, f := range c.Formats {
		if seen[f] {
			errs = append(errs, fmt.Sprintf("formats: %q given twice", f))
		}
		seen[f] = true
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %s", strings.Join(errs, "; "))
	}
	return nil
}

// unjoin lists the errors of an errors.Join.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// formatRank orders formats as schema.Formats does; unknown ones (which
// Validate refuses) go last.
func formatRank(f string) int {
	if i := schema.FormatIndex(f); i >= 0 {
		return i
	}
	return len(formatNames)
}

// YAML renders the configuration as a config file that ApplyFile reads
// back to the same settings (for --print-config). Workers 0 is printed as
// "workers: 0  # 0: one per CPU": call YAML before Normalize resolves it, or
// set it back, for output that is the same on every machine.
func (c *Config) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	doc := struct {
		*Config `yaml:",inline"`
		Train   *yaml.Node `yaml:"train,omitempty"`
	}{c, c.Train}
	var root yaml.Node
	if err := root.Encode(doc); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k, v := root.Content[i], root.Content[i+1]; k.Value == "workers" && v.Value == "0" {
			v.LineComment = "0: one per CPU"
		}
	}
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render config: %w", err)
	}
	return buf.Bytes(), nil
}

// effectiveJSON is the configuration recorded in the card: everything that
// decides the output bytes, in a fixed key order.
func (c *Config) effectiveJSON() (json.RawMessage, error) {
	// The pipeline's canonical form is its YAML; go through it so the card
	// records exactly what --print-config prints.
	y, err := yaml.Marshal(c.Pipeline)
	if err != nil {
		return nil, fmt.Errorf("record pipeline: %w", err)
	}
	var pipe any
	if err := yaml.Unmarshal(y, &pipe); err != nil {
		return nil, fmt.Errorf("record pipeline: %w", err)
	}
	pj, err := json.Marshal(pipe)
	if err != nil {
		return nil, fmt.Errorf("record pipeline: %w", err)
	}
	type rec struct {
		*Config
		Depth16To8 string          `json:"depth_16_to_8,omitempty"` // how 16-bit values became 8-bit ones
		Pipeline   json.RawMessage `json:"pipeline"`
	}
	r := rec{Config: c, Pipeline: pj}
	if c.BitDepth == 8 {
		r.Depth16To8 = Depth16To8
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("record config: %w", err)
	}
	return b, nil
}

// identityWarning is the warning for a pipeline none of whose steps can
// apply (no steps, as `pipeline: []` gives, or every p 0) with more than
// one variant per source: every variant is then the same image as its
// source, so the dataset is copies, which a config typo should not give
// without a word. "" otherwise.
func (c Config) identityWarning() string {
	if c.Pipeline == nil || c.PerSource < 2 {
		return ""
	}
	for _, st := range c.Pipeline.Steps {
		if st.P > 0 {
			return ""
		}
	}
	return fmt.Sprintf("the pipeline has no step that can apply (none, or every p is 0): each of the %d variants per source is identical to its source (after --size, --color and --bit-depth), so the dataset holds %d copies of every image; add transforms to the pipeline, or give --per-source 1 (or use augsplit split) for one copy",
		c.PerSource, c.PerSource)
}
