package cells

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// committedDir is where `go generate ./internal/cells` writes the images.
const committedDir = "../../testdata/cells"

func TestClasses(t *testing.T) {
	got := Classes()
	if len(got) != 10 {
		t.Fatalf("Classes() has %d names, want 10 (one source image per class): %v", len(got), got)
	}
	if !slices.IsSorted(got) {
		t.Errorf("Classes() = %v, not sorted", got)
	}
	// The names become folder names and class labels: keep them plain.
	name := regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	for i, c := range got {
		if !name.MatchString(c) {
			t.Errorf("class %q is not a plain lowercase folder name", c)
		}
		if i > 0 && got[i-1] == c {
			t.Errorf("class %q listed twice", c)
		}
	}
	// Callers may modify the returned slice; that must not leak back.
	got[0] = "changed"
	if Classes()[0] == "changed" {
		t.Error("Classes() returns shared storage")
	}
}

func TestDrawDeterministic(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		seed uint64
		png  bool // also compare encoded bytes (slow under -race, so once)
	}{
		{"committed size", Size, Size, Seed, true},
		{"small", 64, 64, 7, false},
		{"wide", 200, 80, 3, false},
		{"tall", 50, 90, 3, false},
		{"one pixel", 1, 1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, class := range Classes() {
				a := Draw(class, tt.w, tt.h, tt.seed)
				b := Draw(class, tt.w, tt.h, tt.seed)
				if got, want := a.Bounds(), image.Rect(0, 0, tt.w, tt.h); got != want {
					t.Fatalf("%s: bounds %v, want %v", class, got, want)
				}
				if !bytes.Equal(a.Pix, b.Pix) {
					t.Fatalf("%s: two draws with seed %d differ", class, tt.seed)
				}
				if !tt.png {
					continue
				}
				pa, err := EncodePNG(a)
				if err != nil {
					t.Fatal(err)
				}
				pb, err := EncodePNG(b)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(pa, pb) {
					t.Fatalf("%s: PNG bytes differ between two encodings", class)
				}
			}
		})
	}
}

func TestDrawSeedChangesImage(t *testing.T) {
	for _, class := range Classes() {
		a := Draw(class, Size, Size, 1)
		b := Draw(class, Size, Size, 2)
		if bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: seeds 1 and 2 give the same image; the seed is ignored", class)
		}
	}
}

func TestDrawPanics(t *testing.T) {
	tests := []struct {
		name  string
		class string
		w, h  int
		want  string
	}{
		{"unknown class", "hexagonal", 128, 128, `unknown class "hexagonal"`},
		{"empty class", "", 128, 128, "unknown class"},
		{"zero width", "round", 0, 128, "not positive"},
		{"negative height", "round", 128, -1, "not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, tt.want) {
					t.Fatalf("panic %q, want it to mention %q", msg, tt.want)
				}
			}()
			Draw(tt.class, tt.w, tt.h, 1)
		})
	}
}

// TestCommittedFilesMatchGenerator keeps testdata/cells and the generator in
// step: editing either one alone fails here. Pixels are compared rather than
// PNG bytes because a future Go release may compress differently while the
// image stays the same.
func TestCommittedFilesMatchGenerator(t *testing.T) {
	const fix = "regenerate with: go generate ./internal/cells"
	entries, err := os.ReadDir(committedDir)
	if err != nil {
		t.Fatalf("%v (%s)", err, fix)
	}
	var dirs []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !e.IsDir() {
			t.Errorf("%s: unexpected file in %s", e.Name(), committedDir)
			continue
		}
		dirs = append(dirs, e.Name())
	}
	if !slices.Equal(dirs, Classes()) {
		t.Errorf("class folders %v, want %v (%s)", dirs, Classes(), fix)
	}
	for _, class := range Classes() {
		t.Run(class, func(t *testing.T) {
			files, err := os.ReadDir(filepath.Join(committedDir, class))
			if err != nil {
				t.Fatalf("%v (%s)", err, fix)
			}
			want := filepath.Base(FileName(class))
			if len(files) != 1 || files[0].Name() != want {
				var names []string
				for _, f := range files {
					names = append(names, f.Name())
				}
				t.Errorf("%s holds %v, want only %s", class, names, want)
			}
			path := filepath.Join(committedDir, FileName(class))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (%s)", err, fix)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			gray, ok := img.(*image.Gray)
			if !ok {
				t.Fatalf("%s decodes to %T, want 8-bit grey (*image.Gray)", path, img)
			}
			fresh := Draw(class, Size, Size, Seed)
			if gray.Bounds() != fresh.Bounds() {
				t.Fatalf("%s is %v, generator makes %v (%s)", path, gray.Bounds(), fresh.Bounds(), fix)
			}
			if diff := countDiff(gray, fresh); diff > 0 {
				t.Errorf("%s differs from the generator in %d pixels (%s)", path, diff, fix)
			}
		})
	}
}

func countDiff(a, b *image.Gray) int {
	n := 0
	for y := range a.Bounds().Dy() {
		ra := a.Pix[y*a.Stride : y*a.Stride+a.Bounds().Dx()]
		rb := b.Pix[y*b.Stride : y*b.Stride+b.Bounds().Dx()]
		for i := range ra {
			if ra[i] != rb[i] {
				n++
			}
		}
	}
	return n
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDir(dir, 32, 5); err != nil {
		t.Fatal(err)
	}
	for _, class := range Classes() {
		data, err := os.ReadFile(filepath.Join(dir, FileName(class)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := EncodePNG(Draw(class, 32, 32, 5))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s: written file is not EncodePNG(Draw(...))", class)
		}
		// No temporary file may be left behind next to the image.
		files, err := os.ReadDir(filepath.Join(dir, class))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 1 {
			t.Errorf("%s: %d files in the class folder, want 1", class, len(files))
		}
	}
}

func TestWriteDirFailsOnUnwritableTarget(t *testing.T) {
	// A regular file where the output folder should be: every class fails.
	base := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(base, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(base, 16, 1); err == nil {
		t.Fatal("WriteDir into a regular file succeeded")
	}
}

// signatures give each class one rotation-invariant property that its images
// have and no other class's images have. A class whose drawing came out like
// another's would match that class's signature too and fail the test.
var signatures = []struct {
	class string
	what  string
	match func(f features) bool
}{
	{"binucleate", "one body holding bright nuclei", func(f features) bool {
		return f.components == 1 && f.brightFrac > 0.08
	}},
	{"budding", "one smooth body, aspect 1.4-2.5, dark nucleus", func(f features) bool {
		return f.components == 1 && f.elongation > 1.4 && f.elongation < 2.5 &&
			f.roughness < 1.5 && f.brightFrac < 0.02 && f.centreFill > 0.95
	}},
	{"clustered", "one round, rough-outlined group with dark nuclei", func(f features) bool {
		return f.components <= 2 && f.elongation < 1.3 && f.roughness > 1.4 && f.roughness < 3.5 &&
			f.hollow > 0.08
	}},
	{"crescent", "one body that misses its own centroid", func(f features) bool {
		return f.components == 1 && f.centreFill < 0.9
	}},
	{"elongated", "aspect above 3", func(f features) bool {
		return f.elongation > 3
	}},
	{"fragmented", "eight or more separate bodies", func(f features) bool {
		return f.components >= 8
	}},
	{"giant", "covers more than 30% of the image", func(f features) bool {
		return f.area > 0.3
	}},
	{"ring", "more than a third of the cell is dark inside", func(f features) bool {
		return f.hollow > 0.35
	}},
	{"round", "small smooth disc with a dark nucleus", func(f features) bool {
		return f.components == 1 && f.elongation < 1.1 && f.roughness < 1 &&
			f.hollow > 0.08 && f.hollow < 0.25 && f.area < 0.2
	}},
	{"spiky", "round overall, very rough outline", func(f features) bool {
		return f.elongation < 1.2 && f.roughness > 3.5 && f.components < 8
	}},
}

func TestClassSignatures(t *testing.T) {
	var classes []string
	for _, s := range signatures {
		classes = append(classes, s.class)
	}
	if !slices.Equal(classes, Classes()) {
		t.Fatalf("signatures cover %v, want every class %v", classes, Classes())
	}
	// Several seeds: the signature must describe the class, not one drawing.
	for seed := uint64(1); seed <= 4; seed++ {
		for _, class := range Classes() {
			f := measure(Draw(class, Size, Size, seed))
			for _, s := range signatures {
				if got, want := s.match(f), s.class == class; got != want {
					t.Errorf("seed %d: %s matches %q (%s) = %v, want %v; features %+v",
						seed, class, s.class, s.what, got, want, f)
				}
			}
		}
	}
}

// TestNearestPrototype classifies drawings made with other seeds by their
// nearest committed-seed drawing in feature space. It fails when two classes
// look alike (their drawings get confused) or when a class varies more
// between seeds than it differs from the others.
func TestNearestPrototype(t *testing.T) {
	classes := Classes()
	protos := make([][]float64, len(classes))
	for i, c := range classes {
		protos[i] = measure(Draw(c, Size, Size, Seed)).vector()
	}
	// Scale every feature by its spread across the prototypes so that grey
	// levels do not outweigh fractions.
	scale := make([]float64, len(protos[0]))
	for k := range scale {
		var mean, sq float64
		for _, p := range protos {
			mean += p[k]
		}
		mean /= float64(len(protos))
		for _, p := range protos {
			sq += (p[k] - mean) * (p[k] - mean)
		}
		scale[k] = math.Sqrt(sq/float64(len(protos))) + 1e-9
	}
	dist := func(a, b []float64) float64 {
		var s float64
		for k := range a {
			d := (a[k] - b[k]) / scale[k]
			s += d * d
		}
		return math.Sqrt(s)
	}
	// The closest pair of classes must be well apart in these units (one
	// unit = one standard deviation of a feature across classes).
	const minGap = 1.0
	for i := range protos {
		for j := i + 1; j < len(protos); j++ {
			if d := dist(protos[i], protos[j]); d < minGap {
				t.Errorf("%s and %s are only %.2f apart, want >= %.1f", classes[i], classes[j], d, minGap)
			}
		}
	}
	for seed := uint64(2); seed <= 8; seed++ {
		for i, c := range classes {
			v := measure(Draw(c, Size, Size, seed)).vector()
			best, bestD := -1, math.Inf(1)
			for j, p := range protos {
				if d := dist(v, p); d < bestD {
					best, bestD = j, d
				}
			}
			if best != i {
				t.Errorf("seed %d: %s is nearest to %s (%.2f) instead of itself (%.2f)",
					seed, c, classes[best], bestD, dist(v, protos[i]))
			}
		}
	}
}
