// Package augment makes random variants of grey (8- and 16-bit) and RGB
// images: geometric transforms (rotate, flips, D4 symmetries, affine,
// elastic, random resized crop), noise (Gaussian, salt-and-pepper, shot) and
// intensity changes (brightness, contrast, gamma, blur), chained in a
// Pipeline with a probability per step.
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
//
// Pipeline.MarshalYAML prints every key, so a printed config documents the
// effective settings and reads back to the same pipeline.
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

// inPlacer is implemented by transforms that can overwrite an image the
// pipeline owns, saving an allocation and a copy per step.
type inPlacer interface {
	applyInPlace(img image.Image, r *rand.Rand) map[string]any
}

// builtin reports whether t is exactly one of this package's transforms,
// whose Apply always returns a new image; a foreign type that embeds one
// must not get the in-place shortcut meant for the original.
func builtin(t Transform) bool {
	switch t.(type) {
	case *Rotate, *HFlip, *VFlip, *Rot90, *Affine, *Elastic, *RandomResizedCrop,
		*GaussianNoise, *SaltPepper, *ShotNoise, *Brightness, *Contrast, *Gamma, *GaussianBlur:
		return true
	}
	return false
}

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
		ip, ok := s.T.(inPlacer)
		if ok && builtin(s.T) {
			if !owned || !atOrigin(cur) {
				cur, owned = clone(cur), true
			}
			params = ip.applyInPlace(cur, r)
		} else {
			var out image.Image
			out, params = s.T.Apply(cur, r)
			cur = normalize(out)
			owned = builtin(s.T) || cur != out
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
