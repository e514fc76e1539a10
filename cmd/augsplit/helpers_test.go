package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
)

// augsplitBin builds the command once per test binary run.
var augsplitBin string

func TestMain(m *testing.M) {
	code := m.Run()
	if augsplitBin != "" {
		os.RemoveAll(filepath.Dir(augsplitBin))
	}
	os.Exit(code)
}

func buildBinary(t *testing.T) string {
	t.Helper()
	if augsplitBin != "" {
		return augsplitBin
	}
	dir, err := os.MkdirTemp("", "augsplit-bin-")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "augsplit")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	augsplitBin = bin
	return bin
}

func runCLI(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	ctx := context.Background()
	err := run(ctx, args, &o, &e)
	return o.String(), e.String(), exitCode(ctx, err)
}

func countFiles(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

var trainClasses = []string{"blob", "hbar", "vbar", "diag", "frame"}

// writeImageFolder writes root/<split>/<class>/NN.png: per class, n shapes
// (16x16 grey) that a tiny model tells apart in a couple of epochs.
func writeImageFolder(t *testing.T, root string, splits map[string]int, classes []string) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	for sp, n := range splits {
		for c, name := range classes {
			dir := filepath.Join(root, sp, name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				img := image.NewGray(image.Rect(0, 0, 16, 16))
				for j := range img.Pix {
					img.Pix[j] = uint8(r.IntN(30))
				}
				o := r.IntN(4)
				for k := range 12 {
					switch c % 5 {
					case 0:
						img.Pix[(4+o+k%4)*16+4+k/4] = 250
					case 1:
						img.Pix[(5+o)*16+2+k] = 250
					case 2:
						img.Pix[(2+k)*16+5+o] = 250
					case 3:
						img.Pix[(2+k)*16+2+k] = 250
					case 4:
						img.Pix[(2+o)*16+2+k] = 250
						img.Pix[(2+k)*16+2+o] = 250
					}
				}
				filetest.WritePNG(t, filepath.Join(dir, fmt.Sprintf("%02d.png", i)), img)
			}
		}
	}
}

func runTrainCLI(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	ctx := context.Background()
	err := run(ctx, args, &o, &e)
	if err != nil {
		fmt.Fprintf(&e, "augsplit: %v\n", err)
	}
	return o.String(), e.String(), exitCode(ctx, err)
}

// mixedImage returns a size x size image of one of the kinds QA mixed in
// one dataset, with a bright stripe at row r.
func mixedImage(kind string, size, r int) image.Image {
	rect := image.Rect(0, 0, size, size)
	var img draw.Image
	switch kind {
	case "gray8":
		img = image.NewGray(rect)
	case "gray16":
		img = image.NewGray16(rect)
	case "rgb":
		img = image.NewRGBA(rect)
	case "rgba":
		img = image.NewNRGBA(rect)
	}
	for y := range size {
		for x := range size {
			v := uint8(20)
			if y == r%size {
				v = 230
			}
			a := uint8(255)
			if kind == "rgba" {
				a = 200
			}
			img.Set(x, y, color.NRGBA{v, v / 2, 255 - v, a})
		}
	}
	return img
}

// cancelOnWrite cancels its context once the text written so far contains
// at: a stand-in for Ctrl-C at a known point of the log.
type cancelOnWrite struct {
	bytes.Buffer
	at     string
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), w.at) {
		w.cancel()
	}
	return n, err
}
