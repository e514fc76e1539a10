// Package augment makes random variants of grey (8- and 16-bit) and RGB
// images: geometric transforms (rotate, flips, D4 symmetries, affine,
// elastic, perspective, random resized crop), noise (Gaussian,
// salt-and-pepper, shot), intensity and colour changes (brightness,
// contrast, gamma, blur, colour jitter) and cutout (coarse dropout),
// chained in a Pipeline with a probability per step.
//
// Every random choice comes from the *rand.Rand handed in, normally one made
// by NewRand for a single sample, so a sample's pixels depend only on (seed,
// source, variant, pipeline) and never on which goroutine made it. Each
// transform reports the parameters it applied; they are enough to replay it
// (see Replay).
//
// # YAML form
//
// A pipeline is a list of steps; each names a transform, its probability p
// (default 1) and its settings (defaults below). A range is [min, max] or a
// single number; border is reflect101, reflect, replicate, wrap or constant,
// and value is the constant in 8-bit units:
//
//	# every transform with its default settings
//	- {name: rotate, p: 1, degrees: [0, 360], border: reflect101, value: 0}
//	- {name: hflip, p: 1}
//	- {name: vflip, p: 1}
//	- {name: rot90, p: 1}
//	- {name: affine, p: 1, scale: [0.9, 1.1], translate: [-0.05, 0.05], shear: [-10, 10], border: reflect101, value: 0}
//	- {name: elastic, p: 1, grid: 3, sigma: [0, 10], border: reflect101, value: 0}
//	- {name: gaussian_noise, p: 1, sigma: [0, 8]}
//	- {name: salt_pepper, p: 1, amount: [0, 0.01]}
//	- {name: shot_noise, p: 1, scale: [0.005, 0.05]}
//	- {name: brightness, p: 1, factor: [0.8, 1.2]}
//	- {name: contrast, p: 1, factor: [0.8, 1.2]}
//	- {name: gamma, p: 1, gamma: [0.8, 1.2]}
//	- {name: gaussian_blur, p: 1, sigma: [0.5, 1.5]}
//	- {name: random_resized_crop, p: 1, scale: [0.5, 1], ratio: [0.75, 1.3333]}
//	- {name: color_jitter, p: 1, brightness: [0.8, 1.2], contrast: [0.8, 1.2], saturation: [0.8, 1.2], hue: [-10, 10]}
//	- {name: coarse_dropout, p: 1, holes: [1, 8], size: [0.05, 0.2], value: 0}
//	- {name: perspective, p: 1, scale: [0.05, 0.1]}
//
// Affine and color_jitter have parts (scale, translate, shear; brightness,
// contrast, saturation, hue): a step that lists some parts gets only those,
// the others are off; a step that lists none gets every default above.
// Describe lists every key with its default, valid values and unit (what
// `augsplit transforms` prints).
//
// Pipeline.MarshalYAML prints every key, so a printed config documents the
// effective settings and reads back to the same pipeline.
//
// # Your own transforms
//
// A Transform with a Replay method (a Replayer) registered with Register is
// named in YAML, printed, recorded and replayed like the built-ins, which
// are registered the same way; Names lists them all. Implement InPlacer too
// to let the pipeline render it over an image it owns. A pipeline shares
// one transform value between the goroutines that use it, so Apply must be
// safe for concurrent use.
//
// # Determinism
//
// Pixels depend only on the random stream, the parameters and the input.
// Fixed-point bilinear weights and integer convolution keep the arithmetic
// exact; float expressions that a CPU could fuse into multiply-add carry
// explicit float64 conversions. Values from the math package (sin, tan, exp,
// pow, erfinv) are the remaining cross-architecture caveat: a last-bit
// difference there could move a pixel by one level in rare cases.
//
// The package knows nothing of files, splits or output formats.
package augment

import (
	"crypto/sha256"
	"encoding/binary"
	"image"
	"math"
	"math/rand/v2"
)

// Transform is one augmentation. Apply draws its parameters from r, renders
// a new image of src's concrete type with bounds at (0,0) (*image.Gray,
// *image.Gray16 and *image.NRGBA; other types are converted to the closest of
// these first), and returns the parameters it used. Apply never modifies src.
// The built-in transforms are safe for concurrent use.
type Transform interface {
	Name() string
	Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any)
}

// Step is a transform applied with probability P.
type Step struct {
	T Transform
	P float64
}

// Pipeline is an ordered list of steps. It is safe for concurrent use as long
// as nobody changes Steps meanwhile.
type Pipeline struct {
	Steps []Step
}

// Applied records one transform a sample got, for the manifest and replay.
type Applied struct {
	Name   string         `json:"name"`
	Params map[string]any `json:"params"`
}

// InPlacer is implemented by a Transform that can render over an image it
// is handed. The pipeline calls ApplyInPlace instead of Apply when it owns
// the current image (a copy it made, or a built-in's result), saving an
// allocation and a copy per step. ApplyInPlace must draw the same numbers
// from r, leave img as Apply would have rendered it, and return the same
// parameters. img is *image.Gray, *image.Gray16 or *image.NRGBA; the
// built-ins panic on any other type.
//
// As with io.WriterTo, the method is promoted through embedding: a type
// that embeds a transform and overrides Apply must override ApplyInPlace
// too, or the pipeline runs the embedded one.
type InPlacer interface {
	ApplyInPlace(img image.Image, r *rand.Rand) map[string]any
}

// freshResult marks the built-in transforms, whose Apply always returns a
// new image: the pipeline may then overwrite it without a copy. A foreign
// transform's result is copied before a later step changes it in place,
// since it might be shared (a cached image, a view of src).
type freshResult interface{ freshResult() }

func (*Rotate) freshResult()            {}
func (*HFlip) freshResult()             {}
func (*VFlip) freshResult()             {}
func (*Rot90) freshResult()             {}
func (*Affine) freshResult()            {}
func (*Elastic) freshResult()           {}
func (*RandomResizedCrop) freshResult() {}
func (*GaussianNoise) freshResult()     {}
func (*SaltPepper) freshResult()        {}
func (*ShotNoise) freshResult()         {}
func (*Brightness) freshResult()        {}
func (*Contrast) freshResult()          {}
func (*Gamma) freshResult()             {}
func (*GaussianBlur) freshResult()      {}
func (*ColorJitter) freshResult()       {}
func (*CoarseDropout) freshResult()     {}
func (*Perspective) freshResult()       {}

// Apply runs the steps in order. It draws one coin r.Float64() < P for every
// step, applied or not, so that the stream a step sees does not depend on
// whether an earlier coin came up. The result has bounds at (0,0); when no
// step applies and src is already a supported type at (0,0), it is src itself.
func (p *Pipeline) Apply(src image.Image, r *rand.Rand) (image.Image, []Applied) {
	cur := normalize(src)
	owned := cur != src
	applied := make([]Applied, 0, len(p.Steps))
	for _, s := range p.Steps {
		if !(r.Float64() < s.P) {
			continue
		}
		var params map[string]any
		if ip, ok := s.T.(InPlacer); ok {
			if !owned || !atOrigin(cur) {
				cur, owned = clone(cur), true
			}
			params = ip.ApplyInPlace(cur, r)
		} else {
			in := cur
			var out image.Image
			out, params = s.T.Apply(in, r)
			cur = normalize(out)
			if _, fresh := s.T.(freshResult); fresh && out != in {
				owned = true
			} else {
				owned = cur != out // normalize made a copy
			}
		}
		applied = append(applied, Applied{Name: s.T.Name(), Params: params})
	}
	if !atOrigin(cur) {
		cur = clone(cur)
	}
	return cur, applied
}

// NewRand returns the random source for one sample: ChaCha8 keyed by the
// SHA-256 of (seed, source checksum, variant). Every sample gets its own, so
// output does not depend on the number of workers or the order they run in.
func NewRand(seed uint64, sourceSHA256 string, variant int) *rand.Rand {
	h := sha256.New()
	var b [8]byte
	h.Write([]byte("augsplit/augment/v1\x00"))
	binary.BigEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], uint64(len(sourceSHA256)))
	h.Write(b[:])
	h.Write([]byte(sourceSHA256))
	binary.BigEndian.PutUint64(b[:], uint64(int64(variant)))
	h.Write(b[:])
	var key [32]byte
	h.Sum(key[:0])
	return rand.New(rand.NewChaCha8(key))
}

// DefaultPipeline is the user's scenario: any rotation with reflect101
// borders, horizontal and vertical flips at one half, and Gaussian noise.
func DefaultPipeline() *Pipeline {
	return &Pipeline{Steps: []Step{
		{T: &Rotate{Degrees: Range{0, 360}, Border: BorderReflect101}, P: 1},
		{T: &HFlip{}, P: 0.5},
		{T: &VFlip{}, P: 0.5},
		{T: &GaussianNoise{Sigma: Range{0, 8}}, P: 1},
	}}
}

// Range is an inclusive interval a parameter is drawn from uniformly.
type Range struct{ Min, Max float64 }

// draw returns a uniform value in the range, rounded for readable records;
// the rounded value is the one rendered, so the record replays exactly.
func (g Range) draw(r *rand.Rand) float64 {
	return round4(float64((g.Max-g.Min)*r.Float64()) + g.Min)
}

func round4(v float64) float64 {
	return math.Round(v*1e4) / 1e4
}

// subSeed draws the seed of a per-transform noise stream. It has 53 bits so
// that it survives a round trip through JSON numbers (float64) intact.
func subSeed(r *rand.Rand) uint64 { return r.Uint64() >> 11 }

// newPCG is the fast generator for per-pixel draws, seeded from subSeed;
// kernels call its Uint64 directly rather than through rand.Rand's
// interface.
func newPCG(seed uint64) *rand.PCG {
	return rand.NewPCG(seed, 0x61756773706c6974) // "augsplit"
}

// noiseRand wraps newPCG for the kernels that need rand.Rand's helpers.
func noiseRand(seed uint64) *rand.Rand { return rand.New(newPCG(seed)) }
