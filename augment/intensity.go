package augment

import (
	"image"
	"math"
	"math/bits"
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
	if !(sigma > 0) { // also NaN: no noise, nothing drawn
		return
	}
	g := newCounterRand(seed)
	if m, ok := img.(*image.Gray16); ok {
		// On the big-endian bytes in place: modify's copy to a plane of
		// uint16 and back would cost as much as the noise.
		addGaussian16(m, float64(sigma*257), g)
		return
	}
	modify(img,
		func(p plane[uint8]) { addIntNoise(p, sigma, g) },
		func(plane[uint16]) {})
}

// counterRand is the per-pixel stream of Gaussian noise: draw i is a
// function of the seed and i alone (wyrand's mix of seed + i*gamma), so a
// kernel needs no state between pixels and any pixel's draw is known
// without the ones before it. One 64-bit draw is about a multiply; the
// stream passes PractRand well beyond what an image uses.
type counterRand struct{ base uint64 }

func newCounterRand(seed uint64) counterRand {
	// Spread the 53-bit sub-seed over 64 bits first (splitmix64's
	// finaliser), so that nearby seeds start far apart.
	z := seed + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return counterRand{base: z ^ z>>31}
}

func (c counterRand) at(i uint64) uint64 {
	s := c.base + i*0xa0761d6478bd642f
	hi, lo := bits.Mul64(s, s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intNormal draws integer Gaussian noise for 8-bit samples directly:
// round(sigma*Z) for a standard normal Z, by inverting its cumulative
// distribution at a 32-bit uniform. Rounding noise that is added to an
// integer sample commutes with the addition (floor(s + x + 1/2) =
// s + floor(x + 1/2)), so the result is that of adding real-valued noise and
// rounding, with every probability exact to 2^-32, for one table look-up per
// sample instead of a normal deviate, a multiply and a float conversion.
// Values beyond +-255 saturate any sample and are folded into +-255.
//
// It is about 13 KiB, built per image on the stack: no allocation.
type intNormal struct {
	lo int // the smallest value
	// thr[j] is the lowest uniform that draws lo+j, for j <= 2*(-lo);
	// thr[2*(-lo)+1] is 2^32.
	thr [2*255 + 2]uint64
	// guide[b] describes bin b of the uniforms (their top guideBits bits):
	// the index j drawn by the bin's lowest uniform in the low 16 bits, and
	// above bit 17 the threshold of j+1 when it lies in the bin (else one
	// past the bin), so one comparison finishes the draw. Bit 16 marks a
	// bin holding more thresholds (the tails), searched in thr instead.
	guide [1 << guideBits]uint64
	// sat maps a sample plus the index drawn to the noisy sample, clamped
	// to 0..255: one look-up instead of an addition and two comparisons.
	sat [satMask + 1]uint8
}

// guideBits sizes intNormal's guide table: 1024 bins, fine enough that
// below sigma 8 only bins beyond about 2.7 sigma (0.7% of the draws) hold
// two thresholds or more.
const guideBits = 10

const multiThr = 1 << 16

// satMask bounds the index of intNormal.sat: a sample (< 256) plus an index
// into thr (< 2*255+1).
const satMask = 1<<10 - 1

func (t *intNormal) init(sigma float64) {
	// Beyond 6.4 sigma the cumulative probability rounds to 0 at 2^-32.
	k := min(255, int(math.Ceil(float64(6.4*sigma)))+1)
	t.lo = -k
	// P(round(sigma*Z) < v) = P(Z < (v-1/2)/sigma) for v = -k+1..0, from
	// erfc so the tail keeps its precision; the upper half by symmetry,
	// which keeps the table exactly symmetric too.
	t.thr[0] = 0
	for v := -k + 1; v <= 0; v++ {
		cdf := 0.5 * math.Erfc(-float64(float64(v)-0.5)/float64(sigma*math.Sqrt2))
		t.thr[v+k] = uint64(math.Round(float64(cdf * (1 << 32))))
	}
	for v := 1; v <= k; v++ {
		t.thr[v+k] = 1<<32 - t.thr[1-v+k]
	}
	t.thr[2*k+1] = 1 << 32
	const width = 1 << (32 - guideBits)
	j := 0
	for b := range t.guide {
		lo := uint64(b) * width
		for lo >= t.thr[j+1] {
			j++
		}
		e := uint64(j)
		switch next := t.thr[j+1]; {
		case next >= lo+width: // the whole bin draws j
			e |= (lo + width) << 17
		case j+2 <= 2*k+1 && t.thr[j+2] < lo+width:
			e |= multiThr
		default:
			e |= next << 17
		}
		t.guide[b] = e
	}
	// sat[i] = clamp(i + lo); indices reach 255 + 2k.
	for i := range t.sat[:min(k, len(t.sat))] {
		t.sat[i] = 0
	}
	for i := k; i < len(t.sat); i++ {
		t.sat[i] = uint8(min(i-k, 255))
	}
}

// draw returns the noise value for the uniform u.
func (t *intNormal) draw(u uint32) int { return t.lo + t.index(u) }

// index returns the index into thr of the value drawn by u.
func (t *intNormal) index(u uint32) int {
	e := t.guide[u>>(32-guideBits)]
	j := int(e & 0xffff)
	if e&multiThr != 0 {
		for uint64(u) >= t.thr[j+1] {
			j++
		}
		return j
	}
	if uint64(u) >= e>>17 {
		j++
	}
	return j
}

// addIntNoise adds Gaussian noise of sigma to every colour sample of p:
// sample i of the plane (in raster order over colour samples, alpha
// skipped) takes half i%2 of draw i/2 of g.
func addIntNoise(p plane[uint8], sigma float64, g counterRand) {
	var t intNormal
	t.init(sigma)
	cc := p.colour()
	n := uint64(p.w * cc) // colour samples per row
	for y := 0; y < p.h; y++ {
		row := p.row(y)
		i := uint64(y) * n
		if cc == p.c {
			t.addRow(row, g, i)
			continue
		}
		var r uint64
		if i&1 == 1 {
			r = g.at(i >> 1)
		}
		for x := 0; x+cc <= len(row); x += p.c {
			for k, s := range row[x : x+cc] {
				if i&1 == 0 {
					r = g.at(i >> 1)
				}
				row[x+k] = t.sat[(int(s)+t.index(uint32(r>>(32*(i&1)))))&satMask]
				i++
			}
		}
	}
}

// addRow is addIntNoise for a row of colour samples only, the first being
// sample i: two samples per draw.
func (t *intNormal) addRow(row []uint8, g counterRand, i uint64) {
	if i&1 == 1 && len(row) > 0 {
		u := uint32(g.at(i>>1) >> 32)
		row[0] = t.sat[(int(row[0])+t.index(u))&satMask]
		row, i = row[1:], i+1
	}
	d := i >> 1
	for len(row) >= 2 {
		r := g.at(d)
		a := int(row[0]) + t.index(uint32(r))
		b := int(row[1]) + t.index(uint32(r>>32))
		row[0] = t.sat[a&satMask]
		row[1] = t.sat[b&satMask]
		row, d = row[2:], d+1
	}
	if len(row) == 1 {
		row[0] = t.sat[(int(row[0])+t.index(uint32(g.at(d))))&satMask]
	}
}

// addGaussian16 adds Gaussian noise to 16-bit samples, where the integer
// table would have tens of thousands of entries: the deviate comes from the
// quantile table at one 64-bit draw per sample (sample i, in raster order,
// takes draw i).
func addGaussian16(m *image.Gray16, sigma float64, g counterRand) {
	b := m.Rect
	w := b.Dx()
	q := normalQuantiles()
	for y := 0; y < b.Dy(); y++ {
		row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
		i := uint64(y * w)
		for x := 0; x+1 < len(row); x += 2 {
			s := float64(uint16(row[x])<<8 | uint16(row[x+1]))
			v := clampT[uint16](s+float64(sigma*q.normal(g.at(i)))+0.5, 65535)
			row[x], row[x+1] = uint8(v>>8), uint8(v)
			i++
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
