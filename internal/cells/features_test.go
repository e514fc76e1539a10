package cells

import (
	"image"
	"math"
)

// features are simple measurements that do not change when an image is
// rotated or flipped: the properties the classes are meant to differ in.
type features struct {
	area       float64 // specimen area (holes filled) as a fraction of the image
	components int     // separate bright bodies of at least minBlob pixels
	elongation float64 // sqrt of the ratio of the second-moment eigenvalues
	hollow     float64 // fraction of the specimen darker than the cytoplasm (nuclei, vacuoles)
	roughness  float64 // perimeter^2 / (4 pi area): 1 for a disc, large for spikes
	brightness float64 // mean grey level over the specimen
	brightFrac float64 // fraction of the specimen brighter than any cytoplasm
	centreFill float64 // fraction of the disc of radius 6 around the centroid inside the specimen
}

const (
	bodyThreshold   = 90  // above the brightest background, below the dimmest cytoplasm
	brightThreshold = 200 // above nearly all cytoplasm: bright nuclei and fragments
	minBlob         = 12
)

// vector is the feature list used for distances. Counts, roughness and
// aspect are taken on a log scale and the area as an equivalent radius, so
// that the extreme classes (fourteen fragments, the giant) do not stretch
// the scale until the ordinary ones look alike.
func (f features) vector() []float64 {
	return []float64{math.Sqrt(f.area), math.Log(1 + float64(f.components)), math.Log(f.elongation),
		f.hollow, math.Log(f.roughness), f.brightness, f.brightFrac, f.centreFill}
}

func measure(img *image.Gray) features {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	at := func(x, y int) uint8 { return img.Pix[y*img.Stride+x] }
	body := make([]bool, w*h)
	for y := range h {
		for x := range w {
			body[y*w+x] = at(x, y) > bodyThreshold
		}
	}
	var f features
	f.components = countComponents(body, w, h)
	filled := fillHoles(body, w, h)

	var n, sx, sy, sum, bright, holes float64
	for y := range h {
		for x := range w {
			if !filled[y*w+x] {
				continue
			}
			n++
			sx += float64(x)
			sy += float64(y)
			v := at(x, y)
			sum += float64(v)
			if v > brightThreshold {
				bright++
			}
			if !body[y*w+x] {
				holes++
			}
		}
	}
	if n == 0 {
		return f
	}
	mx, my := sx/n, sy/n
	var cxx, cyy, cxy, perim, near, nearIn float64
	for y := range h {
		for x := range w {
			dx, dy := float64(x)-mx, float64(y)-my
			if dx*dx+dy*dy <= 36 {
				near++
				if filled[y*w+x] {
					nearIn++
				}
			}
			if !filled[y*w+x] {
				continue
			}
			cxx += dx * dx
			cyy += dy * dy
			cxy += dx * dy
			if x == 0 || y == 0 || x == w-1 || y == h-1 ||
				!filled[y*w+x-1] || !filled[y*w+x+1] || !filled[(y-1)*w+x] || !filled[(y+1)*w+x] {
				perim++
			}
		}
	}
	cxx, cyy, cxy = cxx/n, cyy/n, cxy/n
	tr, det := cxx+cyy, cxx*cyy-cxy*cxy
	disc := math.Sqrt(math.Max(tr*tr/4-det, 0))
	l1, l2 := tr/2+disc, tr/2-disc
	f.area = n / float64(w*h)
	f.elongation = math.Sqrt(l1 / math.Max(l2, 1e-9))
	f.hollow = holes / n
	f.roughness = perim * perim / (4 * math.Pi * n)
	f.brightness = sum / n
	f.brightFrac = bright / n
	f.centreFill = nearIn / near
	return f
}

// countComponents counts 8-connected groups of true pixels of at least
// minBlob pixels: smaller ones are spike tips or specks cut off by the
// threshold, not bodies.
func countComponents(mask []bool, w, h int) int {
	seen := make([]bool, len(mask))
	count := 0
	var stack []int
	for start := range mask {
		if !mask[start] || seen[start] {
			continue
		}
		size := 0
		seen[start] = true
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x, y := p%w, p/w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := x+dx, y+dy
					if nx < 0 || ny < 0 || nx >= w || ny >= h {
						continue
					}
					q := ny*w + nx
					if mask[q] && !seen[q] {
						seen[q] = true
						stack = append(stack, q)
					}
				}
			}
		}
		if size >= minBlob {
			count++
		}
	}
	return count
}

// fillHoles returns mask plus every false region not 4-connected to the
// image border: the cell outline with its nuclei and vacuoles included.
func fillHoles(mask []bool, w, h int) []bool {
	outside := make([]bool, len(mask))
	var stack []int
	push := func(x, y int) {
		p := y*w + x
		if !mask[p] && !outside[p] {
			outside[p] = true
			stack = append(stack, p)
		}
	}
	for x := range w {
		push(x, 0)
		push(x, h-1)
	}
	for y := range h {
		push(0, y)
		push(w-1, y)
	}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x, y := p%w, p/w
		if x > 0 {
			push(x-1, y)
		}
		if x < w-1 {
			push(x+1, y)
		}
		if y > 0 {
			push(x, y-1)
		}
		if y < h-1 {
			push(x, y+1)
		}
	}
	filled := make([]bool, len(mask))
	for i := range filled {
		filled[i] = !outside[i]
	}
	return filled
}
