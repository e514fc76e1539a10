package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
)

// DigitsPaths are where python3-sklearn (Debian) installs the bundled copy
// of the UCI optical-recognition digits: 1797 handwritten digits, 8x8,
// grey levels 0..16, from 13 writers. Nobody in the project drew them.
var DigitsPaths = []string{
	"/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz",
}

// FindDigits returns the first digits.csv.gz that exists: $AUGSPLIT_DIGITS,
// then the Debian package's path; "" when none does.
func FindDigits() string {
	for _, p := range append([]string{os.Getenv("AUGSPLIT_DIGITS")}, DigitsPaths...) {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// Digit is one labelled 8x8 image, values 0..16.
type Digit struct {
	Index int // row in the file, 0-based
	Label int
	Pix   [64]uint8
}

// ReadDigits parses sklearn's digits.csv(.gz): one row per image, 64 pixel
// values then the label. Gzip is detected from the content.
func ReadDigits(path string) ([]Digit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r = gz
	}
	sc := bufio.NewScanner(r)
	var out []Digit
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != 65 {
			return nil, fmt.Errorf("%s:%d: %d values, want 64 pixels and a label", path, line, len(fields))
		}
		d := Digit{Index: len(out)}
		for i, s := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || v < 0 || v > 16 || v != float64(int(v)) {
				return nil, fmt.Errorf("%s:%d: value %d is %q, want a whole number 0..16", path, line, i+1, s)
			}
			if i < 64 {
				d.Pix[i] = uint8(v)
			} else if v > 9 {
				return nil, fmt.Errorf("%s:%d: label %v, want 0..9", path, line, v)
			} else {
				d.Label = int(v)
			}
		}
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no digits", path)
	}
	return out, nil
}

// Image renders d at size x size: 0..16 scaled to 0..255, then bilinear
// upscaling, the same for sources and holdout images.
func (d Digit) Image(size int) *image.Gray {
	small := image.NewGray(image.Rect(0, 0, 8, 8))
	for i, v := range d.Pix {
		small.Pix[i] = uint8((int(v)*255 + 8) / 16)
	}
	if size == 8 {
		return small
	}
	big := image.NewGray(image.Rect(0, 0, size, size))
	draw.BiLinear.Scale(big, big.Bounds(), small, small.Bounds(), draw.Src, nil)
	return big
}

// Layout is the study's folders for one seed: sources per class count ->
// source folder (DIR/<digit>/*.png), and the holdout folder of every digit
// that is not a source in any of them.
type Layout struct {
	Sources map[int]string
	Holdout string
	// HoldoutN is the number of holdout images.
	HoldoutN int
}

// Build writes, under dir, for one seed: src-<k>/<digit>/ with k sources
// per class for each k in counts (the k-source folder's sources are the
// first k of one seeded draw per class, so they nest), and holdout/ with
// every other digit. It fails when a class has fewer digits than the
// largest count.
func Build(digits []Digit, dir string, counts []int, seed uint64, size int) (*Layout, error) {
	byClass := map[int][]Digit{}
	for _, d := range digits {
		byClass[d.Label] = append(byClass[d.Label], d)
	}
	most := 0
	for _, k := range counts {
		most = max(most, k)
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	pool := map[int][]Digit{}
	inPool := map[int]bool{}
	for c := range 10 {
		ds := byClass[c]
		if len(ds) <= most {
			return nil, fmt.Errorf("digit %d: %d images, need more than %d sources", c, len(ds), most)
		}
		perm := r.Perm(len(ds))
		for _, i := range perm[:most] {
			pool[c] = append(pool[c], ds[i])
			inPool[ds[i].Index] = true
		}
	}
	lay := &Layout{Sources: map[int]string{}, Holdout: filepath.Join(dir, "holdout")}
	for _, k := range counts {
		src := filepath.Join(dir, fmt.Sprintf("src-%d", k))
		lay.Sources[k] = src
		for c := range 10 {
			for _, d := range pool[c][:k] {
				if err := writeDigit(src, d, size); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, d := range digits {
		if !inPool[d.Index] {
			if err := writeDigit(lay.Holdout, d, size); err != nil {
				return nil, err
			}
			lay.HoldoutN++
		}
	}
	return lay, nil
}

func writeDigit(dir string, d Digit, size int) error {
	p := filepath.Join(dir, strconv.Itoa(d.Label), fmt.Sprintf("d%04d.png", d.Index))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := png.Encode(f, d.Image(size)); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", p, err)
	}
	return f.Close()
}
