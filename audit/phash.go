package audit

import (
	"image"
	"math"
	"math/bits"
	"slices"
)

// thumbSide is the side of the grey thumbnail the perceptual hash is taken
// from, and hashSide the side of the low-frequency DCT block kept: the
// classic 32x32 -> 8x8 pHash, 64 bits.
const (
	thumbSide = 32
	hashSide  = 8
)

// symmetries is the number of elements of D4: four rotations by 90 degrees,
// each with or without a mirror.
const symmetries = 8

// phash holds the 64-bit DCT hash of an image under each of the eight D4
// symmetries; hashes[0] is the image as it is.
//
// Why all eight rather than one canonical minimum: the minimum over the
// symmetries is not stable under noise (a single flipped bit can make a
// different symmetry the minimum, and the two canonical hashes of an image
// and its noisy copy then differ in ~32 bits). Comparing one image's
// identity hash with all eight of the other's finds the closest symmetry
// every time.
type phash [symmetries]uint64

// dctCos[u][x] = cos(pi*(2x+1)*u / (2*thumbSide)): the DCT-II basis; the
// orthonormal scale factors are left out because the hash only compares
// coefficients with their median.
var dctCos = func() (c [hashSide][thumbSide]float64) {
	for u := range hashSide {
		for x := range thumbSide {
			c[u][x] = math.Cos(math.Pi * float64(2*x+1) * float64(u) / (2 * thumbSide))
		}
	}
	return c
}()

// hashImage computes the perceptual hash of img under the eight symmetries.
func hashImage(img image.Image) phash {
	return hashThumb(thumbnail(img))
}

// hashThumb hashes a thumbSide x thumbSide grey thumbnail (row major).
//
// The eight symmetric versions are not rendered: for the DCT-II a mirror
// x -> N-1-x multiplies the coefficient of horizontal frequency u by
// (-1)^u, and a transpose swaps the two frequency indices, so every D4
// image's coefficients are a signed permutation of the original ones.
func hashThumb(t []float64) phash {
	// c[v][u]: v vertical, u horizontal frequency.
	var rows [thumbSide][hashSide]float64
	for y := range thumbSide {
		line := t[y*thumbSide : (y+1)*thumbSide]
		for u := range hashSide {
			var s float64
			for x, p := range line {
				s += p * dctCos[u][x]
			}
			rows[y][u] = s
		}
	}
	var c [hashSide][hashSide]float64
	for v := range hashSide {
		for u := range hashSide {
			var s float64
			for y := range thumbSide {
				s += rows[y][u] * dctCos[v][y]
			}
			c[v][u] = s
		}
	}

	var h phash
	var d [hashSide * hashSide]float64
	for s := range symmetries {
		mirrorX, mirrorY, transpose := s&1 != 0, s&2 != 0, s&4 != 0
		for v := range hashSide {
			for u := range hashSide {
				x := c[v][u]
				if transpose {
					x = c[u][v]
				}
				if mirrorX && u%2 == 1 {
					x = -x
				}
				if mirrorY && v%2 == 1 {
					x = -x
				}
				d[v*hashSide+u] = x
			}
		}
		h[s] = threshold(d[:])
	}
	return h
}

// threshold sets bit k when coefficient k is above the median of the AC
// coefficients. The DC term is left out of the median because it dwarfs
// the rest and carries brightness, not structure.
func threshold(d []float64) uint64 {
	ac := slices.Clone(d[1:])
	slices.Sort(ac)
	med := ac[len(ac)/2] // 63 AC terms: the middle one
	var h uint64
	for k, x := range d {
		if x > med {
			h |= 1 << k
		}
	}
	return h
}

// distance is the Hamming distance between a and b up to a D4 symmetry:
// the smallest over the eight symmetries of either image. It is symmetric
// in a and b.
func distance(a, b *phash) int {
	best := 64
	for s := range symmetries {
		best = min(best, bits.OnesCount64(a[s]^b[0]), bits.OnesCount64(a[0]^b[s]))
	}
	return best
}

// thumbnail reduces img to a thumbSide x thumbSide grey image by exact area
// averaging. Area weights are symmetric under mirrors and transposes, so
// the thumbnail of a flipped or rotated image is the flipped or rotated
// thumbnail (up to float rounding): the property the hash relies on.
func thumbnail(img image.Image) []float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return make([]float64, thumbSide*thumbSide)
	}
	xw := areaWeights(w, thumbSide)
	// Reduce each row to thumbSide columns first, so the grey image is
	// never held whole in floats.
	rows := make([]float64, h*thumbSide)
	line := make([]float64, w)
	for y := range h {
		greyRow(img, b.Min.Y+y, line)
		resample(line, xw, rows[y*thumbSide:(y+1)*thumbSide])
	}
	yw := areaWeights(h, thumbSide)
	out := make([]float64, thumbSide*thumbSide)
	col := make([]float64, h)
	res := make([]float64, thumbSide)
	for x := range thumbSide {
		for y := range h {
			col[y] = rows[y*thumbSide+x]
		}
		resample(col, yw, res)
		for y, v := range res {
			out[y*thumbSide+x] = v
		}
	}
	return out
}

// tap is one source sample's weight in an output cell.
type tap struct {
	i int
	w float64
}

// areaWeights returns, for each of m output cells over n input samples, the
// input samples it covers and by how much (weights of a cell sum to 1).
func areaWeights(n, m int) [][]tap {
	ws := make([][]tap, m)
	scale := float64(n) / float64(m)
	for k := range m {
		a, b := float64(k)*scale, float64(k+1)*scale
		for i := int(math.Floor(a)); i < n && float64(i) < b; i++ {
			o := math.Min(b, float64(i+1)) - math.Max(a, float64(i))
			if o > 0 {
				ws[k] = append(ws[k], tap{i, o / scale})
			}
		}
	}
	return ws
}

func resample(src []float64, ws [][]tap, dst []float64) {
	for k, taps := range ws {
		var s float64
		for _, t := range taps {
			s += src[t.i] * t.w
		}
		dst[k] = s
	}
}

// greyRow writes row y of img as luminance in [0, 255] into line.
func greyRow(img image.Image, y int, line []float64) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		off := m.PixOffset(b.Min.X, y)
		for x := range line {
			line[x] = float64(m.Pix[off+x])
		}
	case *image.Gray16:
		off := m.PixOffset(b.Min.X, y)
		for x := range line {
			line[x] = float64(uint16(m.Pix[off+2*x])<<8|uint16(m.Pix[off+2*x+1])) / 257
		}
	case *image.NRGBA:
		// Alpha is ignored: a transparent pixel keeps its colour for
		// similarity purposes.
		off := m.PixOffset(b.Min.X, y)
		for x := range line {
			p := m.Pix[off+4*x : off+4*x+3]
			line[x] = 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		}
	default:
		for x := range line {
			r, g, bb, _ := img.At(b.Min.X+x, y).RGBA()
			line[x] = (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bb)) / 257
		}
	}
}
