package generate

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/schema"
)

func writeSource(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifJPEG is a 24x16 JPEG tagged with EXIF orientation o.
func exifJPEG(t *testing.T, o uint16) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 24, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 5)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00")
	tiff = binary.LittleEndian.AppendUint16(tiff, 0x0112)
	tiff = binary.LittleEndian.AppendUint16(tiff, 3)
	tiff = binary.LittleEndian.AppendUint32(tiff, 1)
	tiff = binary.LittleEndian.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{0xff, 0xd8, 0xff, 0xe1, 0, byte(len(seg) + 2)}, seg...)
	return append(out, b.Bytes()[2:]...)
}

func readCard(t *testing.T, dir string) schema.Card {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, schema.CardFile))
	if err != nil {
		t.Fatal(err)
	}
	var c schema.Card
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Nothing decoding does to the data is silent: EXIF orientation is applied
// and recorded per source, 16-bit colour reduced with a warning, an
// animated GIF named, and an RGBA sample's manifest line says 4 channels.
func TestDecodeChangesRecorded(t *testing.T) {
	in := t.TempDir()
	writeSource(t, filepath.Join(in, "photo", "phone.jpg"), exifJPEG(t, 6))
	c16 := image.NewRGBA64(image.Rect(0, 0, 12, 12))
	for i := range c16.Pix {
		c16.Pix[i] = uint8(i * 29)
		if i%8 >= 6 {
			c16.Pix[i] = 0xff
		}
	}
	writeSource(t, filepath.Join(in, "deep", "rgb16.png"), pngBytes(t, c16))
	g := &gif.GIF{}
	for i := range 3 {
		m := image.NewPaletted(image.Rect(0, 0, 12, 12), palette.Plan9)
		for j := range m.Pix {
			m.Pix[j] = uint8(i*40 + j)
		}
		g.Image, g.Delay = append(g.Image, m), append(g.Delay, 5)
	}
	var gb bytes.Buffer
	if err := gif.EncodeAll(&gb, g); err != nil {
		t.Fatal(err)
	}
	writeSource(t, filepath.Join(in, "anim", "cells.gif"), gb.Bytes())
	alpha := image.NewNRGBA(image.Rect(0, 0, 12, 12))
	for i := range alpha.Pix {
		alpha.Pix[i] = uint8(i * 3)
	}
	writeSource(t, filepath.Join(in, "glass", "alpha.png"), pngBytes(t, alpha))

	cfg := small(t, in, 2)
	cfg.Size = Size{}
	cfg.PerSource = 4
	var log bytes.Buffer
	card, err := Run(context.Background(), cfg, Options{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range card.Sources {
		switch s.Class {
		case "photo":
			if s.Orientation != 6 || s.Width != 16 || s.Height != 24 {
				t.Errorf("phone.jpg recorded as %dx%d orientation %d, want 16x24 (turned upright) and 6", s.Width, s.Height, s.Orientation)
			}
		default:
			if s.Orientation != 0 {
				t.Errorf("%s: orientation %d, want none", s.Path, s.Orientation)
			}
		}
	}
	warnings := strings.Join(card.Warnings, "\n")
	for _, w := range []string{"EXIF orientation", "photo/phone.jpg (rotated 90° clockwise)", "16-bit colour", "deep/rgb16.png",
		"animated GIF", "anim/cells.gif (3 frames)"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("card warnings do not mention %q:\n%s", w, warnings)
		}
		if !strings.Contains(log.String(), w) {
			t.Errorf("log does not mention %q:\n%s", w, log.String())
		}
	}
	for _, r := range readManifest(t, cfg.Out) {
		if r.Class == "photo" && (r.Width != 16 || r.Height != 24) {
			t.Errorf("%s is %dx%d, want 16x24", r.ID, r.Width, r.Height)
		}
		f, err := os.Open(filepath.Join(cfg.Out, filepath.FromSlash(r.Path)))
		if err != nil {
			t.Fatal(err)
		}
		pc, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		// The manifest says what the PNG holds.
		want := map[color.Model]int{color.GrayModel: 1, color.Gray16Model: 1, color.RGBAModel: 3, color.NRGBAModel: 4}[pc.ColorModel]
		if want == 0 || r.Channels != want {
			t.Errorf("%s: manifest says %d channels, the PNG's model is %v", r.ID, r.Channels, pc.ColorModel)
		}
		if r.Class == "glass" && r.Channels != 4 {
			t.Errorf("%s: a transparent sample has %d channels in the manifest, want 4", r.ID, r.Channels)
		}
	}

	// split copies files as they are: a 16-bit RGB file stays 16-bit, an
	// RGBA one has 4 channels.
	out := filepath.Join(t.TempDir(), "split")
	opaque16 := image.NewRGBA64(image.Rect(0, 0, 3, 3))
	for i := range opaque16.Pix {
		opaque16.Pix[i] = 0xff
	}
	writeSource(t, filepath.Join(in, "deep", "rgb16b.png"), pngBytes(t, opaque16))
	writeSource(t, filepath.Join(in, "glass", "alpha2.png"), pngBytes(t, image.NewNRGBA(image.Rect(0, 0, 3, 3))))
	for _, c := range []string{"photo", "anim"} {
		os.RemoveAll(filepath.Join(in, c))
	}
	if _, err := Split(context.Background(), SplitConfig{In: in, Out: out, Val: 0.5, Seed: 1}, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, r := range readManifest(t, out) {
		want := map[string][2]int{"deep": {3, 16}, "glass": {4, 8}}[r.Class]
		if r.Channels != want[0] || r.BitDepth != want[1] {
			t.Errorf("split %s: channels %d depth %d, want %v", r.ID, r.Channels, r.BitDepth, want)
		}
	}
}

// A file name that is not UTF-8 is kept byte for byte in the card and the
// manifest (quoted), not turned into U+FFFD.
func TestNonUTF8NamesKeptInCard(t *testing.T) {
	in := t.TempDir()
	name := "caf\xe9 \xff.png"
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	if err := os.MkdirAll(filepath.Join(in, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "a", name), pngBytes(t, img), 0o644); err != nil {
		t.Skipf("this file system refuses non-UTF-8 names: %v", err)
	}
	img.Pix[0] = 99
	writeSource(t, filepath.Join(in, "b", "plain.png"), pngBytes(t, img))
	cfg := small(t, in, 1)
	cfg.PerSource = 2
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	want := strconv.Quote("a/" + name)
	card := readCard(t, cfg.Out)
	found := false
	for _, s := range card.Sources {
		if s.Class == "a" {
			found = true
			if s.Path != want || dataset.UnescapePath(s.Path) != "a/"+name {
				t.Errorf("card source path %q, want %q", s.Path, want)
			}
		} else if s.Path != "b/plain.png" {
			t.Errorf("a UTF-8 path was changed: %q", s.Path)
		}
	}
	if !found {
		t.Fatal("no source of class a in the card")
	}
	for _, r := range readManifest(t, cfg.Out) {
		if r.Class == "a" && r.Source != want {
			t.Errorf("manifest source %q, want %q", r.Source, want)
		}
	}
}
