package augment

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// gray builds a Gray from rows, with bounds starting at origin so that every
// test also covers inputs not at (0,0).
func gray(origin image.Point, rows ...[]uint8) *image.Gray {
	img := image.NewGray(image.Rectangle{origin, origin.Add(image.Pt(len(rows[0]), len(rows)))})
	for y, row := range rows {
		for x, v := range row {
			img.SetGray(origin.X+x, origin.Y+y, color.Gray{v})
		}
	}
	return img
}

func rowsOf(img *image.Gray) [][]uint8 {
	b := img.Bounds()
	out := make([][]uint8, b.Dy())
	for y := range out {
		out[y] = make([]uint8, b.Dx())
		for x := range out[y] {
			out[y][x] = img.GrayAt(b.Min.X+x, b.Min.Y+y).Y
		}
	}
	return out
}

var off = image.Pt(10, -3)

// asGray checks the contract every transform keeps: same concrete type,
// bounds at (0,0).
func asGray(t *testing.T, img image.Image) *image.Gray {
	t.Helper()
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("got %T, want *image.Gray", img)
	}
	if g.Rect.Min != (image.Point{}) {
		t.Fatalf("bounds %v do not start at (0,0)", g.Rect)
	}
	return g
}

func checkRows(t *testing.T, got image.Image, want [][]uint8) {
	t.Helper()
	g := rowsOf(asGray(t, got))
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", g, want)
	}
}

func TestFlips(t *testing.T) {
	src := gray(off, []uint8{1, 2, 3}, []uint8{4, 5, 6})
	tests := []struct {
		tr   Transform
		want [][]uint8
	}{
		{&HFlip{}, [][]uint8{{3, 2, 1}, {6, 5, 4}}},
		{&VFlip{}, [][]uint8{{4, 5, 6}, {1, 2, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.tr.Name(), func(t *testing.T) {
			got, _ := tt.tr.Apply(src, nil)
			checkRows(t, got, tt.want)
			// The pipeline's in-place path must agree with Apply.
			own := clone(src)
			tt.tr.(InPlacer).ApplyInPlace(own, nil)
			checkRows(t, own, tt.want)
		})
	}
	if got := rowsOf(src); fmt.Sprint(got) != "[[1 2 3] [4 5 6]]" {
		t.Errorf("source modified: %v", got)
	}
}

func TestD4(t *testing.T) {
	src := gray(off, []uint8{1, 2, 3}, []uint8{4, 5, 6})
	tests := []struct {
		op   string
		want [][]uint8
	}{
		{"identity", [][]uint8{{1, 2, 3}, {4, 5, 6}}},
		{"rot90", [][]uint8{{3, 6}, {2, 5}, {1, 4}}},
		{"rot180", [][]uint8{{6, 5, 4}, {3, 2, 1}}},
		{"rot270", [][]uint8{{4, 1}, {5, 2}, {6, 3}}},
		{"hflip", [][]uint8{{3, 2, 1}, {6, 5, 4}}},
		{"vflip", [][]uint8{{4, 5, 6}, {1, 2, 3}}},
		{"transpose", [][]uint8{{1, 4}, {2, 5}, {3, 6}}},
		{"transverse", [][]uint8{{6, 3}, {5, 2}, {4, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			got, err := (&Rot90{}).Replay(src, map[string]any{"op": tt.op})
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, got, tt.want)
		})
	}
}

func TestRot90KeepsSizeOfNonSquare(t *testing.T) {
	src := gray(off, []uint8{1, 2, 3}, []uint8{4, 5, 6})
	seen := map[string]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		got, p := (&Rot90{}).Apply(src, r)
		if got.Bounds().Size() != src.Bounds().Size() {
			t.Fatalf("op %v: size %v, want %v", p["op"], got.Bounds().Size(), src.Bounds().Size())
		}
		seen[p["op"].(string)] = true
	}
	if len(seen) != 4 {
		t.Errorf("ops seen on a non-square image: %v, want the 4 that keep its size", seen)
	}
	sq := gray(off, []uint8{1, 2}, []uint8{3, 4})
	clear(seen)
	for range 200 {
		_, p := (&Rot90{}).Apply(sq, r)
		seen[p["op"].(string)] = true
	}
	if len(seen) != 8 {
		t.Errorf("ops seen on a square image: %v, want all 8", seen)
	}
}

func TestRotateQuarterTurns(t *testing.T) {
	src := gray(off, []uint8{1, 2, 3}, []uint8{4, 5, 6}, []uint8{7, 8, 9})
	tests := []struct {
		angle float64
		want  [][]uint8
	}{
		{0, [][]uint8{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}},
		{360, [][]uint8{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}},
		{90, [][]uint8{{3, 6, 9}, {2, 5, 8}, {1, 4, 7}}}, // counter-clockwise
		{-270, [][]uint8{{3, 6, 9}, {2, 5, 8}, {1, 4, 7}}},
		{180, [][]uint8{{9, 8, 7}, {6, 5, 4}, {3, 2, 1}}},
		{270, [][]uint8{{7, 4, 1}, {8, 5, 2}, {9, 6, 3}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.angle), func(t *testing.T) {
			got, p := (&Rotate{Degrees: Range{tt.angle, tt.angle}}).Apply(src, rand.New(rand.NewPCG(1, 1)))
			if p["angle"] != tt.angle {
				t.Errorf("recorded angle %v, want %v", p["angle"], tt.angle)
			}
			checkRows(t, got, tt.want)
		})
	}
}

// TestRotateBorders turns a 7x3 image a quarter: output columns then sample
// source rows -2..4 of 3, two beyond each edge, where every border mode
// differs. Source pixel (x, y) is 10*y + x + 1.
func TestRotateBorders(t *testing.T) {
	src := gray(off,
		[]uint8{1, 2, 3, 4, 5, 6, 7},
		[]uint8{11, 12, 13, 14, 15, 16, 17},
		[]uint8{21, 22, 23, 24, 25, 26, 27})
	tests := []struct {
		border Border
		value  float64
		want   [][]uint8
	}{
		{BorderReflect101, 0, [][]uint8{{25, 15, 5, 15, 25, 15, 5}, {24, 14, 4, 14, 24, 14, 4}, {23, 13, 3, 13, 23, 13, 3}}},
		{BorderReflect, 0, [][]uint8{{15, 5, 5, 15, 25, 25, 15}, {14, 4, 4, 14, 24, 24, 14}, {13, 3, 3, 13, 23, 23, 13}}},
		{BorderReplicate, 0, [][]uint8{{5, 5, 5, 15, 25, 25, 25}, {4, 4, 4, 14, 24, 24, 24}, {3, 3, 3, 13, 23, 23, 23}}},
		{BorderWrap, 0, [][]uint8{{15, 25, 5, 15, 25, 5, 15}, {14, 24, 4, 14, 24, 4, 14}, {13, 23, 3, 13, 23, 3, 13}}},
		{BorderConstant, 200, [][]uint8{{200, 200, 5, 15, 25, 200, 200}, {200, 200, 4, 14, 24, 200, 200}, {200, 200, 3, 13, 23, 200, 200}}},
	}
	for _, tt := range tests {
		t.Run(tt.border.String(), func(t *testing.T) {
			rot := &Rotate{Degrees: Range{90, 90}, Border: tt.border, Value: tt.value}
			got, p := rot.Apply(src, rand.New(rand.NewPCG(1, 1)))
			checkRows(t, got, tt.want)
			if p["border"] != tt.border.String() {
				t.Errorf("recorded border %v, want %v", p["border"], tt.border)
			}
		})
	}
	// A half turn needs no border at all.
	got, _ := (&Rotate{Degrees: Range{180, 180}, Border: BorderConstant}).Apply(src, rand.New(rand.NewPCG(1, 1)))
	checkRows(t, got, [][]uint8{{27, 26, 25, 24, 23, 22, 21}, {17, 16, 15, 14, 13, 12, 11}, {7, 6, 5, 4, 3, 2, 1}})
}

func TestRotateMatchesRot90(t *testing.T) {
	g := synthetic(16)
	g16 := image.NewGray16(g.Rect)
	for i, v := range g.Pix {
		g16.Pix[2*i], g16.Pix[2*i+1] = v, 255-v
	}
	for _, src := range []image.Image{g, g16, toNRGBA(g)} {
		for _, c := range []struct {
			angle float64
			op    string
		}{{90, "rot90"}, {180, "rot180"}, {270, "rot270"}} {
			a := rotateImage(src, c.angle, BorderConstant, 0)
			b, _ := (&Rot90{}).Replay(src, map[string]any{"op": c.op})
			if !slices.Equal(pixBytes(a), pixBytes(b)) {
				t.Errorf("%T: rotate %v differs from %s", src, c.angle, c.op)
			}
		}
		// Two flips make a half turn.
		h := flipImage(flipImage(src, true), false)
		if r := d4Image(src, 2); !slices.Equal(pixBytes(h), pixBytes(r)) {
			t.Errorf("%T: hflip+vflip differs from rot180", src)
		}
	}
}

func TestBorderIndex(t *testing.T) {
	// One row per mode: index of -4..7 on an axis of 4 samples.
	tests := []struct {
		b    Border
		want []int
	}{
		{BorderReflect101, []int{2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1}},
		{BorderReflect, []int{3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0}},
		{BorderReplicate, []int{0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3}},
		{BorderWrap, []int{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}},
		{BorderConstant, []int{-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1}},
	}
	for _, tt := range tests {
		var got []int
		for i := -4; i < 8; i++ {
			got = append(got, tt.b.index(i, 4))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%v: got %v, want %v", tt.b, got, tt.want)
		}
	}
	if got := BorderReflect101.index(-5, 1); got != 0 {
		t.Errorf("reflect101 on one sample: got %d, want 0", got)
	}
}

func TestAffine(t *testing.T) {
	src := gray(off, []uint8{1, 2, 3, 4}, []uint8{5, 6, 7, 8})
	tests := []struct {
		name string
		a    affineParams
		b    Border
		want [][]uint8
	}{
		{"identity", affineParams{scale: 1}, BorderConstant, [][]uint8{{1, 2, 3, 4}, {5, 6, 7, 8}}},
		{"right one pixel", affineParams{scale: 1, tx: 0.25}, BorderConstant, [][]uint8{{0, 1, 2, 3}, {0, 5, 6, 7}}},
		{"down one pixel", affineParams{scale: 1, ty: 0.5}, BorderReplicate, [][]uint8{{1, 2, 3, 4}, {1, 2, 3, 4}}},
		// Doubling about the centre (1.5, 0.5) samples source (0.75 + x/2,
		// 0.25 + y/2): top-left is 1.75 + 0.25*4 = 2.75.
		{"zoom", affineParams{scale: 2}, BorderReplicate, [][]uint8{{3, 3, 4, 4}, {5, 5, 6, 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRows(t, affineImage(src, tt.a, tt.b, 0), tt.want)
		})
	}
}

func TestRandomResizedCrop(t *testing.T) {
	src := gray(off, []uint8{1, 2, 3, 4}, []uint8{5, 6, 7, 8}, []uint8{9, 10, 11, 12}, []uint8{13, 14, 15, 16})
	checkRows(t, cropImage(src, 0, 0, 4, 4), rowsOf(src))
	// The window's right half doubled: x in 2..3 -> 2, 2.25, 2.75, 3 (+1).
	checkRows(t, cropImage(src, 2, 0, 2, 4), [][]uint8{{3, 3, 4, 4}, {7, 7, 8, 8}, {11, 11, 12, 12}, {15, 15, 16, 16}})

	rrc := &RandomResizedCrop{Scale: Range{0.2, 0.6}, Ratio: Range{0.5, 2}}
	r := rand.New(rand.NewPCG(3, 4))
	big := synthetic(40)
	for range 50 {
		got, p := rrc.Apply(big, r)
		x, y, w, h := p["x"].(int), p["y"].(int), p["w"].(int), p["h"].(int)
		if x < 0 || y < 0 || w < 1 || h < 1 || x+w > 40 || y+h > 40 {
			t.Fatalf("window %v outside the image", p)
		}
		if got.Bounds() != big.Bounds() {
			t.Fatalf("bounds %v, want %v", got.Bounds(), big.Bounds())
		}
	}
}

func TestElasticZeroSigmaIsIdentity(t *testing.T) {
	src := gray(off, []uint8{1, 2, 3, 4}, []uint8{5, 6, 7, 8}, []uint8{9, 10, 11, 12})
	got, p := (&Elastic{Grid: 3, Sigma: Range{0, 0}}).Apply(src, rand.New(rand.NewPCG(1, 1)))
	checkRows(t, got, rowsOf(src))
	if p["grid"] != 3 || p["sigma"] != 0.0 {
		t.Errorf("params %v", p)
	}
	// A real displacement moves something.
	big := synthetic(32)
	moved, _ := (&Elastic{Grid: 3, Sigma: Range{5, 5}}).Apply(big, rand.New(rand.NewPCG(1, 1)))
	if slices.Equal(moved.(*image.Gray).Pix, big.Pix) {
		t.Error("elastic with sigma 5 changed nothing")
	}
}

func TestPointOps(t *testing.T) {
	src := gray(off, []uint8{0, 10, 51, 100}, []uint8{128, 200, 250, 255})
	tests := []struct {
		name string
		tr   Transform
		want [][]uint8
	}{
		{"brightness x1", &Brightness{Factor: Range{1, 1}}, [][]uint8{{0, 10, 51, 100}, {128, 200, 250, 255}}},
		{"brightness x2", &Brightness{Factor: Range{2, 2}}, [][]uint8{{0, 20, 102, 200}, {255, 255, 255, 255}}},
		{"brightness x0.5", &Brightness{Factor: Range{0.5, 0.5}}, [][]uint8{{0, 5, 26, 50}, {64, 100, 125, 128}}},
		// Mean is 124.25: 0 contrast leaves everyone at the mean.
		{"contrast x0", &Contrast{Factor: Range{0, 0}}, [][]uint8{{124, 124, 124, 124}, {124, 124, 124, 124}}},
		{"contrast x1", &Contrast{Factor: Range{1, 1}}, [][]uint8{{0, 10, 51, 100}, {128, 200, 250, 255}}},
		{"gamma 1", &Gamma{Gamma: Range{1, 1}}, [][]uint8{{0, 10, 51, 100}, {128, 200, 250, 255}}},
		// 255*(51/255)^2 = 10.2; 255*(100/255)^2 = 39.2; 255*(128/255)^2 = 64.25.
		{"gamma 2", &Gamma{Gamma: Range{2, 2}}, [][]uint8{{0, 0, 10, 39}, {64, 157, 245, 255}}},
		{"noise sigma 0", &GaussianNoise{Sigma: Range{0, 0}}, [][]uint8{{0, 10, 51, 100}, {128, 200, 250, 255}}},
		{"salt_pepper 0", &SaltPepper{Amount: Range{0, 0}}, [][]uint8{{0, 10, 51, 100}, {128, 200, 250, 255}}},
		{"blur sigma 0", &GaussianBlur{Sigma: Range{0, 0}}, [][]uint8{{0, 10, 51, 100}, {128, 200, 250, 255}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := tt.tr.Apply(src, rand.New(rand.NewPCG(1, 1)))
			checkRows(t, got, tt.want)
		})
	}
}

func TestSaltPepperAll(t *testing.T) {
	src := gray(off, []uint8{100, 100, 100, 100}, []uint8{100, 100, 100, 100})
	got, _ := (&SaltPepper{Amount: Range{1, 1}}).Apply(src, rand.New(rand.NewPCG(1, 1)))
	n := map[uint8]int{}
	for _, v := range asGray(t, got).Pix {
		n[v]++
	}
	if n[0]+n[255] != 8 || n[0] == 0 || n[255] == 0 {
		t.Errorf("amount 1: got counts %v, want only 0 and 255, both present", n)
	}
}

func TestNoiseStatistics(t *testing.T) {
	flat := image.NewGray(image.Rect(0, 0, 128, 128))
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	tests := []struct {
		tr           Transform
		minSD, maxSD float64
	}{
		{&GaussianNoise{Sigma: Range{8, 8}}, 7.6, 8.4},
		// Poisson: 128/255/0.01 = 50.2 photons, sd math.Sqrt(50.2)*2.55 = 18.1.
		{&ShotNoise{Scale: Range{0.01, 0.01}}, 16.5, 19.5},
		// 10.04 photons: exercises the exact small-lambda sampler.
		{&ShotNoise{Scale: Range{0.05, 0.05}}, 37, 44},
	}
	for _, tt := range tests {
		t.Run(tt.tr.Name(), func(t *testing.T) {
			got, _ := tt.tr.Apply(flat, rand.New(rand.NewPCG(5, 6)))
			mean, sd := stats(asGray(t, got).Pix)
			if mean < 126 || mean > 130 {
				t.Errorf("mean %.2f, want 128 +- 2", mean)
			}
			if sd < tt.minSD || sd > tt.maxSD {
				t.Errorf("sd %.2f, want %v to %v", sd, tt.minSD, tt.maxSD)
			}
		})
	}
}

func stats(p []uint8) (mean, sd float64) {
	for _, v := range p {
		mean += float64(v)
	}
	mean /= float64(len(p))
	for _, v := range p {
		d := float64(v) - mean
		sd += d * d
	}
	return mean, math.Sqrt(sd / float64(len(p)))
}

func TestNormalQuantiles(t *testing.T) {
	q := normalQuantiles()
	tests := []struct {
		u    uint64
		want float64
	}{
		{1 << 63, 0},
		{0, -8.2}, // the exact tail path
		{^uint64(0), 8.2},
	}
	for _, tt := range tests {
		got := q.normal(tt.u)
		if d := got - tt.want; d > 0.1 || d < -0.1 {
			t.Errorf("normal(%#x) = %v, want about %v", tt.u, got, tt.want)
		}
	}
}

func TestBlur(t *testing.T) {
	flat := gray(off, []uint8{90, 90, 90}, []uint8{90, 90, 90})
	got, _ := (&GaussianBlur{Sigma: Range{1.5, 1.5}}).Apply(flat, rand.New(rand.NewPCG(1, 1)))
	checkRows(t, got, rowsOf(flat))

	imp := image.NewGray(image.Rect(0, 0, 9, 9))
	imp.Pix[4*9+4] = 255
	g := asGray(t, blurImage(imp, 1))
	sum := 0
	for _, v := range g.Pix {
		sum += int(v)
	}
	if sum < 245 || sum > 265 {
		t.Errorf("blurred impulse sums to %d, want about 255", sum)
	}
	if g.Pix[4*9+4] <= g.Pix[4*9+5] || g.Pix[4*9+3] != g.Pix[4*9+5] || g.Pix[3*9+4] != g.Pix[5*9+4] {
		t.Errorf("blurred impulse not a symmetric peak: %v", rowsOf(g))
	}
}

func TestGaussKernelSums(t *testing.T) {
	for _, s := range []float64{0, 0.3, 1, 2.5, 50} {
		sum := 0
		for _, v := range gaussKernel(s) {
			sum += v
		}
		if sum != 1<<kBits {
			t.Errorf("sigma %v: taps sum to %d, want %d", s, sum, 1<<kBits)
		}
	}
}

// TestTinyImages: degenerate sizes must neither panic nor change size.
func TestTinyImages(t *testing.T) {
	for _, size := range []image.Point{{0, 0}, {1, 1}, {1, 5}, {5, 1}, {2, 2}} {
		for _, src := range []image.Image{
			image.NewGray(image.Rectangle{off, off.Add(size)}),
			image.NewGray16(image.Rectangle{off, off.Add(size)}),
			image.NewNRGBA(image.Rectangle{off, off.Add(size)}),
		} {
			for _, tr := range allTransforms() {
				got, _ := tr.Apply(src, rand.New(rand.NewPCG(1, 2)))
				if want := (image.Rectangle{Max: size}); got.Bounds() != want {
					t.Errorf("%s on %T %v: bounds %v", tr.Name(), src, size, got.Bounds())
				}
			}
		}
	}
}

// TestPoissonPathsAgree: 8-bit images search a cached CDF, 16-bit ones sum
// terms per pixel; both must give the same count for the same uniform.
func TestPoissonPathsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, lam := range []float64{0, 1e-9, 0.5, 3, 12.25, 29.99} {
		cdf := poissonCDF(lam)
		for range 2000 {
			u := uniform(r.Uint64())
			j := 0
			for j < len(cdf)-1 && u > cdf[j] {
				j++
			}
			if got, want := float64(j), poissonSmall(lam, u); got != want {
				t.Fatalf("lam %v u %v: table gives %v, sum gives %v", lam, u, got, want)
			}
		}
	}
}
