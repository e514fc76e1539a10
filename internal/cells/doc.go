// Package cells draws the synthetic microscopy images bundled in
// testdata/cells: one grey source image per class, each class with a
// different morphology, so that the whole pipeline (augment, split, write,
// train) can be exercised on a fresh clone without fetching data.
//
// The images are a function of (class, size, seed) alone. The committed
// files are checked against a fresh rendering by the tests, so the generator
// and the files cannot drift apart silently; after changing the generator run
//
//	go generate ./internal/cells
//
// Determinism across machines: the renderer uses only +, -, *, / and
// math.Sqrt/Floor/Abs (all correctly rounded or exact in IEEE 754), no
// math.Sin/Exp/Pow (whose results may differ by an ulp between the assembly
// and pure-Go versions), and every product that feeds a sum is wrapped in an
// explicit float64 conversion, which the Go spec says forbids fusing it into
// an FMA instruction. Without that, arm64, ppc64 or s390x (and amd64 with
// GOAMD64=v3) could round differently and move a pixel by one grey level.
package cells

//go:generate go run ../../tools/cellgen -out ../../testdata/cells
