package dataset

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"image"
	"io"
)

// orientedSize is the displayed size of a w x h image stored with EXIF
// orientation o: orientations 5 to 8 swap the sides.
func orientedSize(w, h, o int) (int, int) {
	if o >= 5 && o <= 8 {
		return h, w
	}
	return w, h
}

// stored returns the stored pixel that EXIF orientation o shows at (x, y)
// of the displayed image; w and h are the stored size.
func stored(o, x, y, w, h int) (int, int) {
	switch o {
	case 2: // mirrored
		return w - 1 - x, y
	case 3: // rotated 180
		return w - 1 - x, h - 1 - y
	case 4: // mirrored top-bottom
		return x, h - 1 - y
	case 5: // transposed
		return y, x
	case 6: // shown rotated 90 clockwise
		return y, h - 1 - x
	case 7: // transversed
		return w - 1 - y, h - 1 - x
	case 8: // shown rotated 90 anticlockwise
		return w - 1 - y, x
	}
	return x, y
}

// orient returns img (Gray, Gray16 or NRGBA, bounds at (0,0)) as EXIF
// orientation o shows it: img itself for 0 and 1, else a new image.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	var pix []byte
	var bpp int
	b := img.Bounds()
	w, h := orientedSize(b.Dx(), b.Dy(), o)
	r := image.Rect(0, 0, w, h)
	var out image.Image
	var dst []byte
	switch m := img.(type) {
	case *image.Gray:
		pix, bpp = m.Pix, 1
		g := image.NewGray(r)
		out, dst = g, g.Pix
	case *image.Gray16:
		pix, bpp = m.Pix, 2
		g := image.NewGray16(r)
		out, dst = g, g.Pix
	case *image.NRGBA:
		pix, bpp = m.Pix, 4
		g := image.NewNRGBA(r)
		out, dst = g, g.Pix
	default:
		return img
	}
	sw, sh := b.Dx(), b.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sx, sy := stored(o, x, y, sw, sh)
			copy(dst[(y*w+x)*bpp:][:bpp], pix[(sy*sw+sx)*bpp:])
		}
	}
	return out
}

// maxJPEGSegments bounds the marker segments jpegOrientation looks at
// before giving up: EXIF sits in the first few.
const maxJPEGSegments = 1 << 12

// jpegOrientation returns the EXIF orientation (2 to 8) of a JPEG, or 0
// when it has none, says 1, or cannot be read (the decoder, not this,
// judges whether the file is broken). It reads marker segments up to the
// first scan and holds at most one APP1 segment (64 KiB).
func jpegOrientation(r *bufio.Reader) int {
	var soi [2]byte
	if _, err := io.ReadFull(r, soi[:]); err != nil || soi != [2]byte{0xff, 0xd8} {
		return 0
	}
	for range maxJPEGSegments {
		m, err := r.ReadByte()
		if err != nil || m != 0xff {
			return 0
		}
		for m == 0xff { // fill bytes
			if m, err = r.ReadByte(); err != nil {
				return 0
			}
		}
		switch {
		case m == 0xd8, m == 0x01, m >= 0xd0 && m <= 0xd7:
			continue // no length
		case m == 0xda, m == 0xd9, m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return 0 // a scan or a frame header: EXIF comes before them
		}
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return 0
		}
		n := int(binary.BigEndian.Uint16(l[:])) - 2
		if n < 0 {
			return 0
		}
		if m == 0xe1 && n >= 6 {
			seg := make([]byte, n)
			if _, err := io.ReadFull(r, seg); err != nil {
				return 0
			}
			if bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
				return exifOrientation(seg[6:])
			}
			continue // XMP and other APP1 segments
		}
		if _, err := r.Discard(n); err != nil {
			return 0
		}
	}
	return 0
}

// exifOrientation reads tag 0x0112 of IFD0 of a TIFF-structured EXIF
// block; 0 when absent, not 2 to 8, or out of bounds.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[off:]))
	for i := range n {
		e := off + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// SHORT, count 1: the value sits in the first two bytes of the
		// value field.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return 0
		}
		if o := int(bo.Uint16(t[e+8:])); o >= 2 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}

// gifFrames counts the images of a GIF by walking its blocks without
// decoding any, so an animation is named as such; 0 when the stream is
// not a readable GIF (the decoder judges that).
func gifFrames(r *bufio.Reader) int {
	var hdr [13]byte // signature, logical screen descriptor
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0
	}
	if hdr[10]&0x80 != 0 {
		if _, err := r.Discard(3 << (hdr[10]&7 + 1)); err != nil {
			return 0
		}
	}
	skipSubBlocks := func() bool {
		for {
			n, err := r.ReadByte()
			if err != nil {
				return false
			}
			if n == 0 {
				return true
			}
			if _, err := r.Discard(int(n)); err != nil {
				return false
			}
		}
	}
	frames := 0
	for {
		b, err := r.ReadByte()
		if err != nil {
			return frames
		}
		switch b {
		case 0x21: // extension: label, then sub-blocks
			if _, err := r.ReadByte(); err != nil || !skipSubBlocks() {
				return frames
			}
		case 0x2c: // image descriptor
			var d [9]byte
			if _, err := io.ReadFull(r, d[:]); err != nil {
				return frames
			}
			if d[8]&0x80 != 0 {
				if _, err := r.Discard(3 << (d[8]&7 + 1)); err != nil {
					return frames
				}
			}
			if _, err := r.ReadByte(); err != nil { // LZW minimum code size
				return frames
			}
			if !skipSubBlocks() {
				return frames
			}
			frames++
		default: // 0x3b trailer, or garbage after the last frame
			return frames
		}
	}
}
