package dataset

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/schema"
)

// noHang runs fn and fails the test if it has not returned after a long
// while: the reads under test used to block forever (a FIFO) or read
// forever (/dev/zero). This is a hang detector, not a speed check: fn
// takes milliseconds, the limit is minutes.
func noHang(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s: still running after 2 minutes: blocked on a read", what)
	}
}

// Paths from a card or manifest stay inside the dataset: lexically, and
// through symlinks.
func TestConfine(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	filetest.Write(t, filepath.Join(root, "train", "a", "x.png"), []byte("x"))
	filetest.Write(t, filepath.Join(outside, "y.png"), []byte("y"))
	symlink(t, filepath.Join(outside, "y.png"), filepath.Join(root, "train", "a", "out.png"))
	symlink(t, filepath.Join(root, "train", "a", "x.png"), filepath.Join(root, "train", "a", "in.png"))
	symlink(t, outside, filepath.Join(root, "linkdir"))
	for rel, ok := range map[string]bool{
		"train/a/x.png":       true,
		"train/a/in.png":      true,  // a link that stays inside
		"train/a/missing.png": true,  // for the caller's "missing"
		"train/a/out.png":     false, // a link to a file outside
		"linkdir/y.png":       false, // through a linked folder
		"../x.png":            false,
		"train/../../x.png":   false,
		"/etc/passwd":         false,
		"train//a/x.png":      false,
		`train\a\x.png`:       false,
		"":                    false,
	} {
		p, err := Confine(root, rel)
		var oe *OutsideError
		if ok && err != nil {
			t.Errorf("Confine(%q) = %v, want the path", rel, err)
		}
		if !ok && !errors.As(err, &oe) {
			t.Errorf("Confine(%q) = %q, %v; want *OutsideError", rel, p, err)
		}
	}
}

// A card naming shards of another dataset (../good/webdataset/...) is
// refused by every reader, not only verify: train once trained on them.
func TestWalkRefusesShardsOutside(t *testing.T) {
	good := buildOUT(t, outOptions{webdataset: true, tfrecord: true})
	evil := t.TempDir()
	for _, f := range []string{schema.ManifestFile, schema.ClassesFile, schema.CardFile} {
		data, err := os.ReadFile(filepath.Join(good.dir, f))
		if err != nil {
			t.Fatal(err)
		}
		filetest.Write(t, filepath.Join(evil, f), data)
	}
	rel, err := filepath.Rel(evil, good.dir)
	if err != nil {
		t.Fatal(err)
	}
	editCard(t, evil, func(c *schema.Card) {
		for i := range c.Shards {
			c.Shards[i].Path = filepath.ToSlash(rel) + "/" + c.Shards[i].Path
		}
	})
	for _, format := range []string{schema.FormatWebDataset, schema.FormatTFRecord} {
		err := WalkFormat(context.Background(), evil, schema.Train, format, func(Sample) error { return nil })
		var oe *OutsideError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), "outside the dataset") {
			t.Errorf("%s: err = %v, want *OutsideError", format, err)
		}
	}
	rep, err := Verify(context.Background(), evil)
	if err != nil || rep.OK() {
		t.Errorf("Verify = %v, %v: want problems", rep, err)
	}
}

// A sample that is a symlink to a file outside OUT is not read, though
// its bytes match the manifest.
func TestWalkRefusesSampleLinkedOutside(t *testing.T) {
	b := buildOUT(t, outOptions{folder: true})
	p := filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "same.png")
	filetest.Write(t, other, data)
	os.Remove(p)
	symlink(t, other, p)
	err = Walk(context.Background(), b.dir, b.records[0].Split, func(Sample) error { return nil })
	var oe *OutsideError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want *OutsideError", err)
	}
}

// Samples and shards are read up to a cap: a sample far larger than its
// record says is refused, not read to its end.
func TestSampleAndShardCaps(t *testing.T) {
	b := buildOUT(t, outOptions{folder: true})
	p := filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path))
	filetest.Write(t, p, append(filetest.PNG(t, grey(4, 3, 1)), make([]byte, 3<<20)...))
	err := Walk(context.Background(), b.dir, b.records[0].Split, func(Sample) error { return nil })
	var tb *safefile.TooBigError
	if !errors.As(err, &tb) || !strings.Contains(err.Error(), p) {
		t.Errorf("Walk: err = %v, want *safefile.TooBigError naming %s", err, p)
	}

	s := buildOUT(t, outOptions{webdataset: true})
	sh := s.card.Shards[0]
	sp := filepath.Join(s.dir, filepath.FromSlash(sh.Path))
	rewrite(t, sp, func(d []byte) []byte { return append(d, make([]byte, 1<<20)...) })
	err = Walk(context.Background(), s.dir, sh.Split, func(Sample) error { return nil })
	if !errors.As(err, &tb) {
		t.Errorf("Walk shards: err = %v, want *safefile.TooBigError", err)
	}
	rep, err := Verify(context.Background(), s.dir)
	if err != nil || !strings.Contains(strings.Join(rep.Problems, "\n"), sh.Path) {
		t.Errorf("Verify = %v, %v: want a problem naming %s", rep, err, sh.Path)
	}
}

// Decode errors advise no flag: train, eval, audit and preview read
// samples too, and none has --skip-bad.
func TestWalkDecodeErrorAdvisesNoFlag(t *testing.T) {
	b := buildOUT(t, outOptions{folder: true})
	p := filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path))
	rewrite(t, p, func(d []byte) []byte { return d[:len(d)-20] })
	err := Walk(context.Background(), b.dir, b.records[0].Split, func(Sample) error { return nil })
	var de *DecodeError
	if !errors.As(err, &de) || strings.Contains(err.Error(), "--") {
		t.Errorf("err = %v, want a *DecodeError advising no flag", err)
	}
}

// jpegWithEXIF inserts an APP1 EXIF segment holding orientation o right
// after the SOI marker of a JPEG.
func jpegWithEXIF(data []byte, o uint16, bigEndian bool) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	tiff := []byte("II*\x00")
	if bigEndian {
		bo, tiff = binary.BigEndian, []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8)      // IFD0 offset
	tiff = bo.AppendUint16(tiff, 2)      // two entries
	tiff = bo.AppendUint16(tiff, 0x010f) // Make, ASCII, 4 bytes inline
	tiff = bo.AppendUint16(tiff, 2)
	tiff = bo.AppendUint32(tiff, 4)
	tiff = append(tiff, 'c', 'a', 'm', 0)
	tiff = bo.AppendUint16(tiff, 0x0112) // Orientation, SHORT, 1
	tiff = bo.AppendUint16(tiff, 3)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0)
	tiff = bo.AppendUint32(tiff, 0) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{0xff, 0xd8, 0xff, 0xe1}, byte((len(seg)+2)>>8), byte(len(seg)+2))
	out = append(out, seg...)
	return append(out, data[2:]...)
}

// A JPEG's EXIF orientation is applied, so a phone photo tagged "rotate
// 90" stands upright: the pixels are those of the untagged file, turned
// as a viewer turns them.
func TestEXIFOrientationApplied(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 24, 16)) // not square, not symmetric
	for y := 0; y < 16; y++ {
		for x := 0; x < 24; x++ {
			src.SetNRGBA(x, y, color.NRGBA{uint8(x * 10), uint8(y * 15), uint8(x * y), 255})
		}
	}
	grey := image.NewGray(src.Rect)
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 7)
	}
	views := map[int]func(image.Image) *image.NRGBA{
		1: func(m image.Image) *image.NRGBA { return imaging.Clone(m) },
		2: imaging.FlipH, 3: imaging.Rotate180, 4: imaging.FlipV, 5: imaging.Transpose,
		6: imaging.Rotate270, 7: imaging.Transverse, 8: imaging.Rotate90,
	}
	for _, img := range []image.Image{src, grey} {
		var plain bytes.Buffer
		if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		stored, _, err := Decode("plain.jpg", bytes.NewReader(plain.Bytes()), 0)
		if err != nil {
			t.Fatal(err)
		}
		for o := 1; o <= 8; o++ {
			for _, be := range []bool{false, true} {
				d, err := DecodeImage("x.jpg", bytes.NewReader(jpegWithEXIF(plain.Bytes(), uint16(o), be)), 0)
				if err != nil {
					t.Fatalf("orientation %d: %v", o, err)
				}
				if want := map[bool]int{true: 0, false: o}[o == 1]; d.Orientation != want {
					t.Errorf("orientation %d: recorded %d, want %d", o, d.Orientation, want)
				}
				want := views[o](stored)
				got := imaging.Clone(d.Image)
				if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("%T orientation %d (big endian %v): pixels are not the stored ones %s", img, o, be, OrientationName(o))
				}
			}
		}
	}
}

// An animated GIF is named as such (its frame count), a still one not.
func TestAnimatedGIFCounted(t *testing.T) {
	frame := func(v uint8) *image.Paletted {
		m := image.NewPaletted(image.Rect(0, 0, 8, 8), palette.Plan9)
		for i := range m.Pix {
			m.Pix[i] = v + uint8(i)
		}
		return m
	}
	for n := 1; n <= 4; n++ {
		g := &gif.GIF{}
		for i := range n {
			g.Image = append(g.Image, frame(uint8(i*20)))
			g.Delay = append(g.Delay, 10)
		}
		var b bytes.Buffer
		if err := gif.EncodeAll(&b, g); err != nil {
			t.Fatal(err)
		}
		d, err := DecodeImage("a.gif", bytes.NewReader(b.Bytes()), 0)
		if err != nil {
			t.Fatal(err)
		}
		want := n
		if n == 1 {
			want = 0
		}
		if d.Frames != want {
			t.Errorf("%d frames: Frames = %d, want %d", n, d.Frames, want)
		}
	}
}

// 16-bit colour is reduced to 8-bit and says so; 16-bit grey is kept.
func TestSixteenBitColourReported(t *testing.T) {
	c16 := image.NewNRGBA64(image.Rect(0, 0, 4, 4))
	for i := range c16.Pix {
		c16.Pix[i] = uint8(i * 13)
	}
	for _, tc := range []struct {
		img     image.Image
		reduced bool
	}{{c16, true}, {grey16(4, 4), false}, {rgb(4, 4), false}} {
		d, err := DecodeImage("x.png", bytes.NewReader(filetest.PNG(t, tc.img)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if d.Reduced != tc.reduced {
			t.Errorf("%T: Reduced = %v, want %v", tc.img, d.Reduced, tc.reduced)
		}
	}
}

// allocated returns the bytes fn allocates: an upper bound on the heap it
// needs at its peak.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Decoding holds the pixels in their working form plus a bounded overhead,
// however much metadata the file carries: a 16x16 PNG with a huge text
// chunk before its palette, a JPEG with megabytes of comments, 16-bit
// colour, RGB. (Each once cost up to several times the file or the image.)
func TestDecodeMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB of test files")
	}
	dir := t.TempDir()
	const junk = 24 << 20
	const overhead = 1 << 20

	// 16x16 paletted PNG, 24 MiB tEXt chunk between IHDR and PLTE.
	pal := image.NewPaletted(image.Rect(0, 0, 16, 16), palette.WebSafe)
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i)
	}
	p := filetest.PNG(t, pal)
	text := append([]byte("Comment\x00"), bytes.Repeat([]byte("x"), junk)...)
	bloated := append(append(append([]byte(nil), p[:33]...), pngChunk("tEXt", text)...), p[33:]...)

	// 64x64 JPEG, 24 MiB of COM segments before the frame header.
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, rgb(64, 64), nil); err != nil {
		t.Fatal(err)
	}
	com := []byte{0xff, 0xd8}
	seg := append([]byte{0xff, 0xfe, 0xff, 0xff}, bytes.Repeat([]byte("c"), 0xffff-2)...)
	for len(com) < junk {
		com = append(com, seg...)
	}
	com = append(com, jb.Bytes()[2:]...)

	// 1024x1024 16-bit RGBA and 8-bit RGB PNGs.
	const side = 1024
	c16 := image.NewNRGBA64(image.Rect(0, 0, side, side))
	for i := range c16.Pix {
		c16.Pix[i] = uint8(i * 7)
	}
	c8 := image.NewRGBA(image.Rect(0, 0, side, side))
	for i := range c8.Pix {
		c8.Pix[i] = uint8(i * 5)
		if i%4 == 3 {
			c8.Pix[i] = 255
		}
	}
	var enc png.Encoder
	enc.CompressionLevel = png.BestSpeed
	encode := func(m image.Image) []byte {
		var b bytes.Buffer
		if err := enc.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		pixels uint64 // working-form bytes of the decoded image
	}{
		{"palette png with 24 MiB text chunk", bloated, 16 * 16},
		{"jpeg with 24 MiB of comments", com, 4 * 64 * 64},
		{"16-bit rgba png", encode(c16), 4 * side * side},
		{"8-bit rgb png", encode(c8), 4 * side * side},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, "img")
			filetest.Write(t, f, tc.data)
			var d *Decoded
			var err error
			n := allocated(func() { d, _, err = DecodeFile(context.Background(), f, 0) })
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v from %d bytes: %d bytes allocated (%.2f per pixel)", d.Image.Bounds().Size(), len(tc.data), n,
				float64(n)/float64(d.Image.Bounds().Dx()*d.Image.Bounds().Dy()))
			if n > tc.pixels+overhead {
				t.Errorf("decoding %v from %d bytes allocated %d bytes, want at most %d (pixels) + %d",
					d.Image.Bounds().Size(), len(tc.data), n, tc.pixels, overhead)
			}
			// A seekable reader (bytes.Reader) is not buffered either.
			n = allocated(func() { _, err = DecodeImage("img", bytes.NewReader(tc.data), 0) })
			if err != nil {
				t.Fatal(err)
			}
			if n > tc.pixels+overhead {
				t.Errorf("DecodeImage from a bytes.Reader allocated %d bytes, want at most %d", n, tc.pixels+overhead)
			}
		})
	}
}
