// Package generate wires the pipeline behind `augsplit generate` and
// `augsplit split`: scan sources, plan the split, make samples on worker
// goroutines, commit them in the planned order, then manifest and card.
package generate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/augsplit/augsplit/augment"
	"github.com/augsplit/augsplit/internal/pngenc"
)

// Version is the tool version recorded in every dataset card.
const Version = "0.1.0"

// Config is the effective configuration of a generate run: flags over the
// config file over defaults. Fields tagged json are recorded in the card and
// fingerprint; the others (where to write, how many workers, how noisy) cannot
// change a single output byte and are deliberately left out.
type Config struct {
	In             string            `json:"in" yaml:"-"`
	Out            string            `json:"-" yaml:"-"`
	PerSource      int               `json:"per_source" yaml:"per_source"`
	Val            float64           `json:"val" yaml:"val"`
	Test           float64           `json:"test" yaml:"test"`
	Seed           uint64            `json:"seed" yaml:"seed"`
	Workers        int               `json:"-" yaml:"workers,omitempty"`
	Size           Size              `json:"size" yaml:"size"`
	Color          string            `json:"color" yaml:"color"`
	PNGCompression string            `json:"png_compression" yaml:"png_compression"`
	ValOriginals   bool              `json:"val_originals" yaml:"val_originals"`
	SkipBad        bool              `json:"skip_bad" yaml:"skip_bad"`
	MaxPixels      int               `json:"max_pixels" yaml:"max_pixels"`
	FollowSymlinks bool              `json:"follow_symlinks" yaml:"follow_symlinks"`
	Formats        []string          `json:"formats" yaml:"formats,flow"`
	ShardSize      int               `json:"shard_size" yaml:"shard_size"`
	ShardBytes     int64             `json:"shard_bytes" yaml:"shard_bytes"`
	Force          bool              `json:"-" yaml:"-"`
	Pipeline       *augment.Pipeline `json:"-" yaml:"pipeline"`

	// Train holds the `train:` section of a config file untouched, for the
	// trainer; generate does not interpret it.
	Train *yaml.Node `json:"-" yaml:"-"`
}

// Defaults returns the configuration of the user's scenario: 300 variants per
// source, 80/20, seed 1, the default pipeline, one worker per CPU.
func Defaults() Config {
	return Config{
		PerSource: 300,
		Val:       0.2,
		Seed:      1,
		Workers:   runtime.NumCPU(),
		Color:     "keep",
		// speed, not zlib's default: on noisy augmented images higher deflate
		// levels were measured 5-7x slower for files 2-3% larger.
		PNGCompression: "speed",
		MaxPixels:      defaultMaxPixels,
		Formats:        []string{"folder"},
		ShardSize:      1000,
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

// ConfigError is a mistake in a config file: it names the key and line.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// fileKeys are the top-level keys a config file may hold.
var fileKeys = []string{
	"per_source", "val", "test", "seed", "workers", "size", "color", "png_compression",
	"val_originals", "skip_bad", "max_pixels", "follow_symlinks", "formats",
	"shard_size", "shard_bytes", "pipeline", "train",
}

// ApplyFile reads a YAML config file's bytes over c. Unknown keys, wrong
// types and out-of-range values are *ConfigError naming the key and line.
func (c *Config) ApplyFile(name string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return &ConfigError{File: name, Msg: fmt.Sprintf("not valid YAML: %v", err)}
	}
	if len(doc.Content) == 0 {
		return nil // an empty file changes nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return &ConfigError{File: name, Line: root.Line, Msg: "want a mapping of keys such as per_source, val, pipeline"}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		bad := func(msg string, args ...any) error {
			return &ConfigError{File: name, Line: k.Line, Key: k.Value, Msg: fmt.Sprintf(msg, args...)}
		}
		if first, dup := seen[k.Value]; dup {
			return bad("given twice (first on line %d): keep one", first)
		}
		seen[k.Value] = k.Line
		decode := func(dst any, what string) error {
			if err := v.Decode(dst); err != nil {
				return bad("want %s, got %q", what, v.Value)
			}
			return nil
		}
		var err error
		switch k.Value {
		case "per_source":
			err = decode(&c.PerSource, "a whole number")
		case "val":
			err = decode(&c.Val, "a fraction such as 0.2")
		case "test":
			err = decode(&c.Test, "a fraction such as 0.1")
		case "seed":
			err = decode(&c.Seed, "a non-negative whole number")
		case "workers":
			err = decode(&c.Workers, "a whole number")
		case "size":
			var s string
			if err = decode(&s, "N or WxH"); err == nil {
				if c.Size, err = ParseSize(s); err != nil {
					err = bad("%v", err)
				}
			}
		case "color":
			err = decode(&c.Color, "keep, gray or rgb")
		case "png_compression":
			err = decode(&c.PNGCompression, "default, speed, best or none")
		case "val_originals":
			err = decode(&c.ValOriginals, "true or false")
		case "skip_bad":
			err = decode(&c.SkipBad, "true or false")
		case "follow_symlinks":
			err = decode(&c.FollowSymlinks, "true or false")
		case "max_pixels":
			err = decode(&c.MaxPixels, "a whole number of pixels")
		case "formats":
			var f []string
			if err = decode(&f, "a list such as [folder, webdataset, tfrecord]"); err == nil {
				c.Formats = f
			}
		case "shard_size":
			err = decode(&c.ShardSize, "a whole number of samples")
		case "shard_bytes":
			err = decode(&c.ShardBytes, "a whole number of bytes")
		case "pipeline":
			p, perr := augment.ParsePipeline(v)
			if perr != nil {
				return fmt.Errorf("%s: %w", name, perr)
			}
			c.Pipeline = p
		case "train":
			c.Train = v
		default:
			return bad("unknown key; valid keys: %s", strings.Join(fileKeys, ", "))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate checks ranges that flags and files share; errors name the setting
// and the allowed values.
func (c *Config) Validate() error {
	var errs []string
	if c.PerSource < 1 || c.PerSource > 1_000_000 {
		errs = append(errs, fmt.Sprintf("per_source %d: want 1 to 1000000", c.PerSource))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"val", c.Val}, {"test", c.Test}} {
		if math.IsNaN(f.v) || f.v < 0 || f.v >= 1 {
			errs = append(errs, fmt.Sprintf("%s %v: want a fraction from 0 to below 1", f.name, f.v))
		}
	}
	if c.Val+c.Test >= 1 {
		errs = append(errs, fmt.Sprintf("val %v + test %v leave nothing to train on: keep their sum below 1", c.Val, c.Test))
	}
	if c.Workers < 1 {
		c.Workers = runtime.NumCPU()
	}
	if c.Color == "grey" {
		c.Color = "gray" // both spellings are in use; record one
	}
	if !oneOf(c.Color, "keep", "gray", "rgb") {
		errs = append(errs, fmt.Sprintf("color %q: want keep, gray or rgb", c.Color))
	}
	if _, err := pngenc.ParseLevel(c.PNGCompression); err != nil {
		errs = append(errs, fmt.Sprintf("png_compression %q: want default, speed, best or none", c.PNGCompression))
	}
	if c.MaxPixels < 1 {
		errs = append(errs, fmt.Sprintf("max_pixels %d: want a positive number", c.MaxPixels))
	}
	if len(c.Formats) == 0 {
		errs = append(errs, "formats: want at least one of folder, webdataset, tfrecord")
	}
	seen := map[string]bool{}
	for _, f := range c.Formats {
		if !oneOf(f, "folder", "webdataset", "tfrecord") {
			errs = append(errs, fmt.Sprintf("format %q: want folder, webdataset or tfrecord", f))
		}
		if seen[f] {
			errs = append(errs, fmt.Sprintf("format %q given twice", f))
		}
		seen[f] = true
	}
	sort.Slice(c.Formats, func(i, j int) bool { return formatRank(c.Formats[i]) < formatRank(c.Formats[j]) })
	if c.ShardSize < 1 {
		errs = append(errs, fmt.Sprintf("shard_size %d: want at least 1", c.ShardSize))
	}
	if c.ShardBytes < 0 {
		errs = append(errs, fmt.Sprintf("shard_bytes %d: want 0 (no limit) or more", c.ShardBytes))
	}
	if c.Pipeline == nil {
		c.Pipeline = augment.DefaultPipeline()
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %s", strings.Join(errs, "; "))
	}
	return nil
}

func formatRank(f string) int {
	switch f {
	case "folder":
		return 0
	case "webdataset":
		return 1
	}
	return 2
}

func oneOf(s string, choices ...string) bool {
	for _, c := range choices {
		if s == c {
			return true
		}
	}
	return false
}

// YAML renders the effective configuration as a config file that
// ApplyFile reads back to the same settings (for --print-config).
func (c *Config) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	doc := struct {
		*Config `yaml:",inline"`
		Train   *yaml.Node `yaml:"train,omitempty"`
	}{c, c.Train}
	if err := enc.Encode(doc); err != nil {
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
		Pipeline json.RawMessage `json:"pipeline"`
	}
	b, err := json.Marshal(rec{c, pj})
	if err != nil {
		return nil, fmt.Errorf("record config: %w", err)
	}
	return b, nil
}
