package filetest

import (
	"bytes"
	"image"
	"image/png"
	"path/filepath"
	"testing"
)

func TestTreeReadRoundTrip(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	img.Pix[4] = 200
	files := map[string][]byte{"a/b/c.txt": []byte("hello"), "top.png": PNG(t, img)}
	dir := Tree(t, files)
	got := Read(t, dir)
	if len(got) != len(files) {
		t.Fatalf("read %d files, wrote %d", len(got), len(files))
	}
	for name, data := range files {
		if !bytes.Equal(got[name], data) {
			t.Errorf("%s: read %q, wrote %q", name, got[name], data)
		}
	}
	back, err := png.Decode(bytes.NewReader(got["top.png"]))
	if err != nil || back.(*image.Gray).Pix[4] != 200 {
		t.Errorf("PNG does not decode back: %v", err)
	}
	if m := Read(t, filepath.Join(dir, "missing")); len(m) != 0 {
		t.Errorf("a missing folder reads as %v, want nothing", m)
	}
	if SHA256([]byte("abc")) != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Error("SHA256 of abc is not the FIPS 180-2 test vector")
	}
}
