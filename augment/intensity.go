package augment

import (
	"image"
	"math"
	"math/rand/v2"
	"sync"
)

// scalarOp describes a transform that draws one value from a Range (noise
// also a seed for its per-pixel stream) and renders with it: every transform
// in this file. Each one's op() gives its key, bounds and kernel, and its
// Apply, ApplyInPlace, Replay and fields forward to op(), so that all of them
// draw, record, replay and configure alike: the record is {key: value}, plus
// "seed" when seeded, and the config is the range under the same key.
type scalarOp struct {
	key    string  // YAML key and recorded parameter
	rng    *Range  // the transform's field that the value is drawn from
	lo, hi float64 // the bounds of a range a config may set
	unit   string  // what the value means, for `augsplit transforms`
	seeded bool    // also draws a sub-seed, recorded as "seed"
	// check, when set, tells replay what is wrong with a recorded value,
	// or "" when nothing.
	check func(v float64) string
	// Exactly one of these renders: modify changes an image the caller owns
	// in place (seed is 0 unless seeded), so the pipeline skips a copy;
	// render makes a new image, for kernels that read neighbours.
	modify func(img image.Image, v float64, seed uint64)
	render func(src image.Image, v float64) image.Image
}

func (o scalarOp) draw(r *rand.Rand) (v float64, seed uint64, rec map[string]any) {
	v = o.rng.draw(r)
	if !o.seeded {
		return v, 0, map[string]any{o.key: v}
	}
	seed = subSeed(r)
	return v, seed, map[string]any{o.key: v, "seed": seed}
}

func (o scalarOp) apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	if o.render != nil {
		v, _, rec := o.draw(r)
		return o.render(src, v), rec
	}
	img := clone(src)
	return img, o.applyInPlace(img, r)
}

func (o scalarOp) applyInPlace(img image.Image, r *rand.Rand) map[string]any {
	v, seed, rec := o.draw(r)
	o.modify(img, v, seed)
	return rec
}

func (o scalarOp) replay(src image.Image, p params) (image.Image, error) {
	v, err := p.num(o.key)
	if err != nil {
		return nil, err
	}
	if o.check != nil {
		if msg := o.check(v); msg != "" {
			return nil, paramError(o.key, msg)
		}
	}
	var seed uint64
	if o.seeded {
		if seed, err = p.seed(); err != nil {
			return nil, err
		}
	}
	if o.render != nil {
		return o.render(src, v), nil
	}
	img := clone(src)
	o.modify(img, v, seed)
	return img, nil
}

func (o scalarOp) fields() []field {
	return []field{{key: o.key, kind: kindRange, lo: o.lo, hi: o.hi, rng: o.rng, unit: o.unit}}
}

// positive is the check of a value that must be above zero.
func positive(v float64) string {
	if v > 0 {
		return ""
	}
	return "must be positive"
}

// GaussianNoise adds zero-mean Gaussian noise whose standard deviation is
// drawn from Sigma, in 8-bit units (x257 for 16-bit images), to every colour
// sample independently.
type GaussianNoise struct {
	Sigma Range
}

func (*GaussianNoise) Name() string { return "gaussian_noise" }

func (*GaussianNoise) about() string { return "add zero-mean Gaussian noise to every colour sample" }

func (t *GaussianNoise) op() scalarOp {
	return scalarOp{key: "sigma", rng: &t.Sigma, lo: 0, hi: 255, seeded: true, unit: "8-bit levels (x257 for 16-bit)", modify: gaussianNoise}
}

func (t *GaussianNoise) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	return t.op().apply(src, r)
}

func (t *GaussianNoise) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	return t.op().applyInPlace(img, r)
}

func (t *GaussianNoise) Replay(src image.Image, m map[string]any) (image.Image, error) {
	return t.op().replay(src, params(m))
}

func (t *GaussianNoise) fields() []field { return t.op().fields() }

func gaussianNoise(img image.Image, sigma float64, seed uint64) {
	modify(img,
		func(p plane[uint8]) { addGaussian(p, sigma, newPCG(seed)) },
		func(p plane[uint16]) { addGaussian(p, float64(sigma*257), newPCG(seed)) })
}

func addGaussian[T pixel](p plane[T], sigma float64, pcg *rand.PCG) {
	mx := float64(maxval[T]())
	cc := p.colour()
	q := normalQuantiles()
	for y := 0; y < p.h; y++ {
		row := p.row(y)
		if cc == p.c {
			// q.normal by hand: it is too big for the inliner and this loop
			// is the default pipeline's second-largest cost.
			for i, s := range row {
				u := pcg.Uint64()
				var z float64
				if j := u >> (64 - quantileBits); j-1 < 1<<quantileBits-2 {
					f := float64(u<<quantileBits>>quantileBits) / (1 << (64 - quantileBits))
					a := q[j]
					z = a + float64((q[j+1]-a)*f)
				} else {
					z = tailQuantile(u)
				}
				row[i] = clampT[T](float64(s)+float64(sigma*z)+0.5, mx)
			}
			continue
		}
		for i := 0; i < len(row); i += p.c {
			for k := 0; k < cc; k++ {
				row[i+k] = clampT[T](float64(row[i+k])+float64(sigma*q.normal(pcg.Uint64()))+0.5, mx)
			}
		}
	}
}

// clampT truncates v (already offset by one half, so this rounds) into
// [0, mx].
func clampT[T pixel](v, mx float64) T {
	switch {
	case v < 0:
		return 0
	case v >= mx:
		return T(mx)
	}
	return T(v)
}

// quantileBits sets the resolution of the standard normal quantile table.
// Linear interpolation between 4097 knots is within 1e-3 sigma of the exact
// quantile (far below one grey level); the two outermost bins, where the
// quantile bends sharply, are computed exactly.
const quantileBits = 12

type quantileTable [1<<quantileBits + 1]float64

var normalTable = sync.OnceValue(func() *quantileTable {
	var q quantileTable
	for i := 1; i < len(q)-1; i++ {
		q[i] = normalQuantile(float64(i) / (1 << quantileBits))
	}
	return &q
})

func normalQuantiles() *quantileTable { return normalTable() }

func normalQuantile(u float64) float64 {
	return math.Sqrt2 * math.Erfinv(float64(2*u)-1)
}

// normal maps a uniform 64-bit draw to a standard normal deviate by inverse
// transform: one draw per deviate and no rejection loop, several times
// faster than rand.NormFloat64 through an interface.
func (q *quantileTable) normal(u uint64) float64 {
	i := u >> (64 - quantileBits)
	if i-1 >= 1<<quantileBits-2 { // the first or last bin
		return tailQuantile(u)
	}
	f := float64(u<<quantileBits>>quantileBits) / (1 << (64 - quantileBits))
	a := q[i]
	return a + float64((q[i+1]-a)*f)
}

// tailQuantile stays out of line so that normal inlines into the noise loop.
//
//go:noinline
func tailQuantile(u uint64) float64 {
	return normalQuantile((float64(u>>12) + 0.5) / (1 << 52))
}

// SaltPepper sets a fraction of pixels drawn from Amount to black or white
// (equally likely); an NRGBA pixel changes its three colours together.
type SaltPepper struct {
	Amount Range
}

func (*SaltPepper) Name() string { return "salt_pepper" }

func (*SaltPepper) about() string { return "set a fraction of pixels to black or white" }

func (t *SaltPepper) op() scalarOp {
	return scalarOp{key: "amount", rng: &t.Amount, unit: "fraction of pixels", lo: 0, hi: 1, seeded: true, modify: saltPepper}
}

func (t *SaltPepper) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	return t.op().apply(src, r)
}

func (t *SaltPepper) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	return t.op().applyInPlace(img, r)
}

func (t *SaltPepper) Replay(src image.Image, m map[string]any) (image.Image, error) {
	return t.op().replay(src, params(m))
}

func (t *SaltPepper) fields() []field { return t.op().fields() }

func saltPepper(img image.Image, amount float64, seed uint64) {
	modify(img,
		func(p plane[uint8]) { addSaltPepper(p, amount, newPCG(seed)) },
		func(p plane[uint16]) { addSaltPepper(p, amount, newPCG(seed)) })
}

func addSaltPepper[T pixel](p plane[T], amount float64, rng *rand.PCG) {
	// One 64-bit draw per pixel: the top 53 bits decide whether it is hit,
	// the lowest whether it turns white.
	limit := uint64(float64(min(max(amount, 0), 1) * (1 << 53)))
	mx := T(maxval[T]())
	cc := p.colour()
	for y := 0; y < p.h; y++ {
		row := p.row(y)
		for i := 0; i < len(row); i += p.c {
			u := rng.Uint64()
			if u>>11 >= limit {
				continue
			}
			v := T(0)
			if u&1 == 1 {
				v = mx
			}
			for k := 0; k < cc; k++ {
				row[i+k] = v
			}
		}
	}
}

// ShotNoise replaces each colour sample x (as a fraction of full scale) by
// Poisson(x/s)*s with s drawn from Scale: s is the reciprocal of the photon
// count at full intensity, so larger is noisier (Albumentations' meaning).
type ShotNoise struct {
	Scale Range
}

func (*ShotNoise) Name() string { return "shot_noise" }

func (*ShotNoise) about() string {
	return "Poisson (photon) noise: each sample x becomes Poisson(x/scale)*scale"
}

func (t *ShotNoise) op() scalarOp {
	return scalarOp{key: "scale", rng: &t.Scale, lo: 1e-6, unit: "1/photons at full scale (larger is noisier)", hi: 10, seeded: true, check: positive, modify: shotNoise}
}

func (t *ShotNoise) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	return t.op().apply(src, r)
}

func (t *ShotNoise) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	return t.op().applyInPlace(img, r)
}

func (t *ShotNoise) Replay(src image.Image, m map[string]any) (image.Image, error) {
	return t.op().replay(src, params(m))
}

func (t *ShotNoise) fields() []field { return t.op().fields() }

func shotNoise(img image.Image, scale float64, seed uint64) {
	if !(scale > 0) {
		return
	}
	modify(img,
		func(p plane[uint8]) { addShot(p, scale, newPCG(seed)) },
		func(p plane[uint16]) { addShot(p, scale, newPCG(seed)) })
}

// poissonExact is the mean below which Poisson deviates are drawn exactly
// (inverse transform); above it the normal approximation is within a
// fraction of a count.
const poissonExact = 30

func addShot[T pixel](p plane[T], scale float64, pcg *rand.PCG) {
	mx := maxval[T]()
	fm := float64(mx)
	// Samples per photon: a photon count k renders as k*step.
	step := float64(scale * fm)
	// For 8-bit, the Poisson CDF of each sample value is built on first use
	// and then searched; 16-bit has too many values to cache and sums the
	// same terms per pixel.
	var cdfs [][]float64
	if mx <= 255 {
		cdfs = make([][]float64, mx+1)
	}
	q := normalQuantiles()
	cc := p.colour()
	for y := 0; y < p.h; y++ {
		row := p.row(y)
		for i := 0; i < len(row); i += p.c {
			for k := 0; k < cc; k++ {
				s := row[i+k]
				lam := float64(s) / step
				var n float64
				switch {
				case lam >= poissonExact:
					n = math.Floor(lam + float64(math.Sqrt(lam)*q.normal(pcg.Uint64())) + 0.5)
				case cdfs != nil:
					t := cdfs[s]
					if t == nil {
						t = poissonCDF(lam)
						cdfs[s] = t
					}
					u := uniform(pcg.Uint64())
					j := 0
					for j < len(t)-1 && u > t[j] {
						j++
					}
					n = float64(j)
				default:
					n = poissonSmall(lam, uniform(pcg.Uint64()))
				}
				v := float64(n*step) + 0.5
				switch {
				case v < 0:
					row[i+k] = 0
				case v >= fm:
					row[i+k] = T(mx)
				default:
					row[i+k] = T(v)
				}
			}
		}
	}
}

// poissonCap bounds the count drawn exactly, far in the tail for any mean
// below poissonExact.
const poissonCap = 4 * poissonExact

// poissonCDF lists P(X <= k) for k = 0, 1, ... until it reaches 1 or
// poissonCap: the same sums poissonSmall makes, so both give the same k for
// the same uniform.
func poissonCDF(lam float64) []float64 {
	term := math.Exp(-lam)
	t := make([]float64, 1, min(int(lam+8*math.Sqrt(lam))+16, poissonCap+1))
	t[0] = term
	for k := 1; k <= poissonCap && t[k-1] < 1; k++ {
		term = float64(term*lam) / float64(k)
		t = append(t, t[k-1]+term)
	}
	return t
}

func uniform(u uint64) float64 { return float64(u>>11) / (1 << 53) }

// poissonSmall inverts the Poisson CDF at u by summing its terms, one
// uniform per deviate.
func poissonSmall(lam, u float64) float64 {
	term := math.Exp(-lam)
	cdf := term
	k := 0
	for u > cdf && cdf < 1 && k < poissonCap {
		k++
		term = float64(term*lam) / float64(k)
		cdf += term
	}
	return float64(k)
}

// lutOp maps every colour sample through a table built once per image: 256
// entries for 8-bit, 65536 for 16-bit.
func lutOp(img image.Image, f func(v, mx float64) float64) {
	modify(img, func(p plane[uint8]) { applyLUT(p, buildLUT[uint8](f)) }, func(p plane[uint16]) { applyLUT(p, buildLUT[uint16](f)) })
}

func buildLUT[T pixel](f func(v, mx float64) float64) []T {
	mx := maxval[T]()
	lut := make([]T, mx+1)
	fm := float64(mx)
	for i := range lut {
		v := f(float64(i), fm) + 0.5
		switch {
		case !(v >= 0): // also NaN
			lut[i] = 0
		case v >= fm:
			lut[i] = T(mx)
		default:
			lut[i] = T(v)
		}
	}
	return lut
}

func applyLUT[T pixel](p plane[T], lut []T) {
	cc := p.colour()
	for y := 0; y < p.h; y++ {
		row := p.row(y)
		if cc == p.c {
			for i, v := range row {
				row[i] = lut[v]
			}
			continue
		}
		for i := 0; i < len(row); i += p.c {
			for k := 0; k < cc; k++ {
				row[i+k] = lut[row[i+k]]
			}
		}
	}
}

// Brightness multiplies every colour sample by a gain drawn from Factor.
type Brightness struct {
	Factor Range
}

func (*Brightness) Name() string { return "brightness" }

func (*Brightness) about() string { return "multiply every colour sample by a gain" }

func (t *Brightness) op() scalarOp {
	return scalarOp{key: "factor", rng: &t.Factor, lo: 0, hi: 10, modify: brightness, unit: "gain"}
}

func (t *Brightness) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	return t.op().apply(src, r)
}

func (t *Brightness) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	return t.op().applyInPlace(img, r)
}

func (t *Brightness) Replay(src image.Image, m map[string]any) (image.Image, error) {
	return t.op().replay(src, params(m))
}

func (t *Brightness) fields() []field { return t.op().fields() }

func brightness(img image.Image, f float64, _ uint64) {
	lutOp(img, func(v, _ float64) float64 { return float64(v * f) })
}

// Contrast scales every colour sample's distance from the image mean by a
// factor drawn from Factor.
type Contrast struct {
	Factor Range
}

func (*Contrast) Name() string { return "contrast" }

func (*Contrast) about() string { return "scale every sample's distance from the image mean" }

func (t *Contrast) op() scalarOp {
	return scalarOp{key: "factor", rng: &t.Factor, lo: 0, hi: 10, modify: contrast, unit: "factor about the image mean"}
}

func (t *Contrast) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	return t.op().apply(src, r)
}

func (t *Contrast) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	return t.op().applyInPlace(img, r)
}

func (t *Contrast) Replay(src image.Image, m map[string]any) (image.Image, error) {
	return t.op().replay(src, params(m))
}

func (t *Contrast) fields() []field { return t.op().fields() }

func contrast(img image.Image, f float64, _ uint64) {
	var mean float64
	modify(img, func(p plane[uint8]) { mean = meanOf(p) }, func(p plane[uint16]) { mean = meanOf(p) })
	lutOp(img, func(v, _ float64) float64 { return mean + float64((v-mean)*f) })
}

// meanOf sums in integers, so the mean is exact before one division.
func meanOf[T pixel](p plane[T]) float64 {
	var sum uint64
	cc := p.colour()
	for y := 0; y < p.h; y++ {
		row := p.row(y)
		if cc == p.c {
			for _, v := range row {
				sum += uint64(v)
			}
			continue
		}
		for i := 0; i < len(row); i += p.c {
			for k := 0; k < cc; k++ {
				sum += uint64(row[i+k])
			}
		}
	}
	n := uint64(p.w * p.h * cc)
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// Gamma maps every colour sample x (as a fraction of full scale) to x^g with
// g drawn from Gamma.
type Gamma struct {
	Gamma Range
}

func (*Gamma) Name() string { return "gamma" }

func (*Gamma) about() string { return "map x (fraction of full scale) to x^gamma" }

func (t *Gamma) op() scalarOp {
	return scalarOp{key: "gamma", rng: &t.Gamma, unit: "exponent", lo: 0.01, hi: 10, check: positive, modify: gamma}
}

func (t *Gamma) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	return t.op().apply(src, r)
}

func (t *Gamma) ApplyInPlace(img image.Image, r *rand.Rand) map[string]any {
	return t.op().applyInPlace(img, r)
}

func (t *Gamma) Replay(src image.Image, m map[string]any) (image.Image, error) {
	return t.op().replay(src, params(m))
}

func (t *Gamma) fields() []field { return t.op().fields() }

func gamma(img image.Image, g float64, _ uint64) {
	lutOp(img, func(v, mx float64) float64 { return float64(mx * math.Pow(v/mx, g)) })
}

// GaussianBlur convolves with a Gaussian whose sigma (pixels) is drawn from
// Sigma; separable, radius ceil(3 sigma), reflect101 at the edges.
type GaussianBlur struct {
	Sigma Range
}

func (*GaussianBlur) Name() string { return "gaussian_blur" }

func (*GaussianBlur) about() string { return "Gaussian blur (separable, reflect101 edges)" }

func (t *GaussianBlur) op() scalarOp {
	return scalarOp{key: "sigma", rng: &t.Sigma, lo: 0, hi: maxBlurSigma, unit: "pixels", check: blurSigma, render: blurImage}
}

func (t *GaussianBlur) Apply(src image.Image, r *rand.Rand) (image.Image, map[string]any) {
	return t.op().apply(src, r)
}

func (t *GaussianBlur) Replay(src image.Image, m map[string]any) (image.Image, error) {
	return t.op().replay(src, params(m))
}

func (t *GaussianBlur) fields() []field { return t.op().fields() }

const (
	kBits        = 14
	maxBlurSigma = 50
)

// blurSigma is GaussianBlur's check of a recorded sigma.
func blurSigma(s float64) string {
	if s < 0 || s > maxBlurSigma {
		return "out of range"
	}
	return ""
}

// gaussKernel returns integer taps summing to exactly 1<<kBits, so the
// convolution itself is exact integer arithmetic.
func gaussKernel(sigma float64) []int {
	if !(sigma > 0) {
		return []int{1 << kBits}
	}
	rad := max(int(math.Ceil(3*sigma)), 1)
	f := make([]float64, 2*rad+1)
	var sum float64
	for i := range f {
		d := float64(i - rad)
		f[i] = math.Exp(-float64(d*d) / float64(2*float64(sigma*sigma)))
		sum += f[i]
	}
	k := make([]int, len(f))
	total := 0
	for i := range f {
		k[i] = int(float64(f[i]/sum*(1<<kBits)) + 0.5)
		total += k[i]
	}
	k[rad] += 1<<kBits - total
	return k
}

func blurImage(src image.Image, sigma float64) image.Image {
	src = normalize(src)
	k := gaussKernel(sigma)
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	return render(src, w, h,
		func(d, s plane[uint8]) { blurPlane(d, s, k) },
		func(d, s plane[uint16]) { blurPlane(d, s, k) })
}

// blurPlane convolves rows into an int32 buffer that keeps the kernel's
// fraction bits, then columns from it, rounding once at the end.
func blurPlane[T pixel](dst, src plane[T], k []int) {
	rad := len(k) / 2
	c, w, h := src.c, src.w, src.h
	n := w * c
	tmp := make([]int32, n*h)
	// Padded row: rad pixels of reflect101 either side.
	pad := make([]int32, (w+2*rad)*c)
	k32 := make([]int32, len(k))
	for i, v := range k {
		k32[i] = int32(v)
	}
	for y := 0; y < h; y++ {
		row := src.row(y)
		for x := -rad; x < w+rad; x++ {
			sx := BorderReflect101.index(x, w)
			for ch := 0; ch < c; ch++ {
				pad[(x+rad)*c+ch] = int32(row[sx*c+ch])
			}
		}
		out := tmp[y*n : (y+1)*n]
		if c == 1 {
			for i := range out {
				s := pad[i : i+len(k32)]
				var acc int32 // at most 65535<<kBits: fits
				for j, kv := range k32 {
					acc += kv * s[j]
				}
				out[i] = acc
			}
			continue
		}
		for i := range out {
			var acc int32
			for j, kv := range k32 {
				acc += kv * pad[i+j*c]
			}
			out[i] = acc
		}
	}
	acc := make([]int64, n)
	for y := 0; y < h; y++ {
		clear(acc)
		for j, kv := range k {
			r := BorderReflect101.index(y-rad+j, h) * n
			kv := int64(kv)
			for i, v := range tmp[r : r+n] {
				acc[i] += kv * int64(v)
			}
		}
		out := dst.row(y)
		for i, v := range acc {
			out[i] = T((v + 1<<(2*kBits-1)) >> (2 * kBits))
		}
	}
}
