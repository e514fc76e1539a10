package cells

import (
	"fmt"
	"hash/fnv"
	"image"
	"math/rand/v2"
	"slices"
	"strings"
)

// A recipe lays out the specimen of one class in design units (a 128x128
// square, centre (64, 64)). Every class must stay inside a radius of about
// 56 units: augmentation rotates by any angle with reflected borders, and
// anything in the corners would be folded back into the picture.
type recipe func(sc *scene, r *rand.Rand, tex textures)

// The classes differ in features that survive rotation, flips, noise and
// downscaling to 64x64: area, number of blobs, aspect ratio, hollowness,
// nucleus brightness, outline roughness and total brightness.
var recipes = map[string]recipe{
	"round":      drawRound,
	"elongated":  drawElongated,
	"binucleate": drawBinucleate,
	"spiky":      drawSpiky,
	"clustered":  drawClustered,
	"ring":       drawRing,
	"crescent":   drawCrescent,
	"budding":    drawBudding,
	"giant":      drawGiant,
	"fragmented": drawFragmented,
}

// Classes returns the class names, sorted (the order dataset.Scan uses).
func Classes() []string {
	names := make([]string, 0, len(recipes))
	for name := range recipes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Draw renders one image of class at w x h pixels. The result depends only
// on (class, w, h, seed). It panics if class is not one of Classes() or the
// size is not positive: both are programming errors in a test-data generator.
func Draw(class string, w, h int, seed uint64) *image.Gray {
	draw, ok := recipes[class]
	if !ok {
		panic(fmt.Sprintf("cells: unknown class %q (have %s)", class, strings.Join(Classes(), ", ")))
	}
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("cells: size %dx%d is not positive", w, h))
	}
	// The class name is hashed into the stream so that the same seed gives
	// unrelated textures for different classes.
	hf := fnv.New64a()
	hf.Write([]byte(class))
	r := rand.New(rand.NewPCG(seed, hf.Sum64()))

	// Noise lattices cover the whole image in design units, which is wider
	// than 128 on the long side of a non-square image.
	scale := float64(min(w, h)) / designSize
	ew, eh := float64(w)/scale, float64(h)/scale
	sc := &scene{
		bgLevel:  uniform(r, 30, 38),
		bgCoarse: newNoise(r, 22, ew, eh),
		bgFine:   newNoise(r, 4, ew, eh),
		vignette: 0.35,
		grain:    3,
	}
	tex := textures{
		cyto:      newNoise(r, 3, ew, eh),
		cytoBlob:  newNoise(r, 9, ew, eh),
		chromatin: newNoise(r, 2, ew, eh),
	}
	draw(sc, r, tex)
	return sc.render(w, h, r)
}

// textures are shared by the layers of one image: cytoplasm granularity at
// two scales and fine chromatin speckle for nuclei.
type textures struct {
	cyto, cytoBlob, chromatin *noise
}

// centre is the middle of the design square, jittered a little so that not
// every class sits on the exact same pixel.
func centre(r *rand.Rand) (float64, float64) {
	return 64 + uniform(r, -2, 2), 64 + uniform(r, -2, 2)
}

func randomFrame(r *rand.Rand, cx, cy float64) frame {
	c, s := direction(r)
	return frame{cx: cx, cy: cy, c: c, s: s}
}

// body is the usual cytoplasm layer: granular texture, soft edge, a slightly
// brighter membrane.
func body(shape sdf, level float64, tex textures) layer {
	return layer{shape: shape, level: level, tex: tex.cyto, texAmp: 14, soft: 3, rim: 14}
}

// nucleus is a nucleus layer with chromatin speckle.
func nucleus(shape sdf, level float64, tex textures) layer {
	return layer{shape: shape, level: level, tex: tex.chromatin, texAmp: 14, soft: 2.5, rim: -8}
}

// round: one medium disc with a central dark nucleus.
func drawRound(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	sc.add(body(circle(cx, cy, uniform(r, 23, 25)), 150, tex))
	f := randomFrame(r, cx, cy)
	nx, ny := f.world(uniform(r, 1, 3), 0)
	sc.add(nucleus(circle(nx, ny, uniform(r, 9.5, 10.5)), 80, tex))
}

// elongated: a long thin rod (aspect about 4) with an oval nucleus.
func drawElongated(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	f := randomFrame(r, cx, cy)
	sc.add(body(capsule(f, uniform(r, 33, 36), uniform(r, 10, 11.5)), 150, tex))
	nf := f
	nf.cx, nf.cy = f.world(uniform(r, -4, 4), 0)
	sc.add(nucleus(ellipse(nf, 11, 6), 80, tex))
}

// binucleate: a broad oval with two bright nuclei on its long axis.
func drawBinucleate(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	f := randomFrame(r, cx, cy)
	sc.add(body(ellipse(f, uniform(r, 31, 33), uniform(r, 23, 25)), 135, tex))
	for _, side := range []float64{-1, 1} {
		nx, ny := f.world(mul(side, uniform(r, 14, 16)), uniform(r, -2, 2))
		sc.add(nucleus(circle(nx, ny, uniform(r, 8.5, 9.5)), 215, tex))
	}
}

// spiky: a small body with nine sharp protrusions.
func drawSpiky(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	f := randomFrame(r, cx, cy)
	sc.add(body(star(f, 9, uniform(r, 17, 19), uniform(r, 15, 17), 2), 165, tex))
	sc.add(nucleus(circle(cx, cy, uniform(r, 8, 9)), 85, tex))
}

// clustered: a rosette of six small cells, each with a small nucleus; the
// membranes between them show as bright seams.
func drawClustered(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	f := randomFrame(r, cx, cy)
	type cell struct{ x, y, rad float64 }
	cells := []cell{{cx, cy, uniform(r, 10.5, 11.5)}}
	// Five neighbours on a ring, at 72 degree steps; the unit vectors of the
	// pentagon are constants so no trigonometry is needed.
	pent := [5][2]float64{{1, 0}, {0.30901699437494745, 0.9510565162951535},
		{-0.8090169943749473, 0.5877852522924732}, {-0.8090169943749476, -0.587785252292473},
		{0.30901699437494723, -0.9510565162951536}}
	for _, p := range pent {
		dist := uniform(r, 19, 21)
		x, y := f.world(mul(dist, p[0])+uniform(r, -1.5, 1.5), mul(dist, p[1])+uniform(r, -1.5, 1.5))
		cells = append(cells, cell{x, y, uniform(r, 10, 12)})
	}
	for _, c := range cells {
		sc.add(body(circle(c.x, c.y, c.rad), uniform(r, 140, 165), tex))
		nf := randomFrame(r, c.x, c.y)
		nx, ny := nf.world(uniform(r, 0, 2), 0)
		sc.add(nucleus(circle(nx, ny, uniform(r, 4, 5)), 75, tex))
	}
}

// ring: a hollow cell (one large vacuole) whose nucleus is pushed into the
// wall, like a signet-ring cell.
func drawRing(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	f := randomFrame(r, cx, cy)
	outer := uniform(r, 28, 30)
	inner := outer - uniform(r, 9, 10)
	sc.add(body(circle(cx, cy, outer), 165, tex))
	// The vacuole is nearly as dark as the background, with a faint texture.
	sc.add(layer{shape: circle(cx, cy, inner), level: 55, tex: tex.cytoBlob, texAmp: 6, soft: 3, rim: -10})
	nf := f
	nf.cx, nf.cy = f.world((outer+inner)/2, 0)
	sc.add(nucleus(ellipse(nf, 3.5, 8), 85, tex))
}

// crescent: a sickle, a disc with an offset disc bitten out of it.
func drawCrescent(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	f := randomFrame(r, cx, cy)
	outer := uniform(r, 27, 29)
	bx, by := f.world(uniform(r, 12, 14), 0)
	sc.add(body(subtract(circle(cx, cy, outer), circle(bx, by, outer-uniform(r, 3, 5))), 150, tex))
	nf := f
	nf.cx, nf.cy = f.world(-outer+9, 0)
	sc.add(nucleus(ellipse(nf, 5, 9), 80, tex))
}

// budding: a yeast-like mother cell with one smaller daughter on a neck; only
// the mother has a nucleus.
func drawBudding(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	f := randomFrame(r, cx, cy)
	mr, br := uniform(r, 21, 22), uniform(r, 12, 13)
	mx, my := f.world(-8, 0)
	bx, by := f.world(-8+mr+br-uniform(r, 1, 2), 0)
	sc.add(body(smoothUnion(circle(mx, my, mr), circle(bx, by, br), 4), 150, tex))
	// The bud is denser (brighter) cytoplasm.
	sc.add(layer{shape: circle(bx, by, br-3), level: 175, tex: tex.cyto, texAmp: 8, soft: 6})
	nx, ny := f.world(-10, uniform(r, -2, 2))
	sc.add(nucleus(circle(nx, ny, uniform(r, 8, 9)), 80, tex))
}

// giant: a large, dim, irregular cell with a big lobed nucleus.
func drawGiant(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	f2, f3 := randomFrame(r, cx, cy), randomFrame(r, cx, cy)
	sc.add(layer{shape: lobed(cx, cy, uniform(r, 45, 47), f2, f3, 2.5, 2), level: 120,
		tex: tex.cytoBlob, texAmp: 12, soft: 3, rim: 12})
	nf := randomFrame(r, cx, cy)
	var nuc sdf
	// Three overlapping lobes 120 degrees apart make one lobed nucleus.
	for _, p := range [3][2]float64{{1, 0}, {-0.5, 0.8660254037844386}, {-0.5, -0.8660254037844387}} {
		d := uniform(r, 7, 9)
		x, y := nf.world(mul(d, p[0]), mul(d, p[1]))
		c := circle(x, y, uniform(r, 11, 13))
		if nuc == nil {
			nuc = c
		} else {
			nuc = smoothUnion(nuc, c, 3)
		}
	}
	sc.add(nucleus(nuc, 70, tex))
	// A few bright nucleoli.
	for range 3 {
		x, y := nf.world(uniform(r, -9, 9), uniform(r, -9, 9))
		sc.add(layer{shape: circle(x, y, uniform(r, 2.5, 3.5)), level: 150, soft: 2})
	}
}

// fragmented: a scatter of small bright round bodies (apoptotic fragments),
// no nucleus and no continuous cytoplasm.
func drawFragmented(sc *scene, r *rand.Rand, tex textures) {
	cx, cy := centre(r)
	type blob struct{ x, y, rad float64 }
	var blobs []blob
	// Rejection sampling with a fixed attempt budget keeps the loop bounded
	// and the result deterministic.
	for attempt := 0; attempt < 2000 && len(blobs) < 14; attempt++ {
		x, y := cx+uniform(r, -38, 38), cy+uniform(r, -38, 38)
		rad := uniform(r, 3, 6.5)
		if length(x-cx, y-cy) > 38 {
			continue
		}
		ok := true
		for _, b := range blobs {
			if length(x-b.x, y-b.y) < rad+b.rad+3 {
				ok = false
				break
			}
		}
		if ok {
			blobs = append(blobs, blob{x, y, rad})
		}
	}
	var shape sdf
	for _, b := range blobs {
		c := circle(b.x, b.y, b.rad)
		if shape == nil {
			shape = c
		} else {
			shape = union(shape, c)
		}
	}
	sc.add(layer{shape: shape, level: 205, tex: tex.chromatin, texAmp: 12, soft: 2.5, rim: -10})
}
