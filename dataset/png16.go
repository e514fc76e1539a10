package dataset

import (
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"image"
	"io"
)

// A 16-bit colour PNG decoded by image/png is an *image.RGBA64 or
// *image.NRGBA64, 8 bytes a pixel, which Normalize then copies into 4-byte
// NRGBA: 12 bytes a pixel at the peak for an image whose working form
// needs 4 (1 GiB for 8192x8192). decodePNG16 reads such a PNG (colour
// types 2, 4 and 6 at depth 16, not interlaced) straight into *image.NRGBA
// row by row. It follows image/png's reader step by step (chunk order,
// checksums, tRNS, the end of the zlib stream), so that it accepts and
// refuses the same files and gives exactly the pixels
// Normalize(png.Decode(r)) gives; FuzzPNG16 checks both.

// PNG colour types and the stages of the chunk sequence, as image/png
// names them.
const (
	ctTrueColor      = 2
	ctGrayscaleAlpha = 4
	ctTrueColorAlpha = 6
)

const (
	dsStart = iota
	dsSeenIHDR
	dsSeenPLTE
	dsSeentRNS
	dsSeenIDAT
	dsSeenIEND
)

// isPNG16Colour reports whether head (the first 33 bytes of a PNG: the
// signature and the IHDR chunk) describes an image decodePNG16 reads.
func isPNG16Colour(head []byte) bool {
	if len(head) < 33 || string(head[12:16]) != "IHDR" {
		return false
	}
	depth, ct, interlace := head[24], head[25], head[28]
	return depth == 16 && interlace == 0 &&
		(ct == ctTrueColor || ct == ctGrayscaleAlpha || ct == ctTrueColorAlpha)
}

type pngFormatError string

func (e pngFormatError) Error() string { return "png: invalid format: " + string(e) }

var errChunkOrder = pngFormatError("chunk out of order")

type png16 struct {
	r              io.Reader
	crc            hash.Hash32
	tmp            [3 * 256]byte
	stage          int
	width, height  int
	ct             byte
	useTransparent bool
	transparent    [6]byte
	idatLength     uint32
	img            *image.NRGBA
}

func decodePNG16(r io.Reader) (*image.NRGBA, error) {
	d := &png16{r: r, crc: crc32.NewIEEE()}
	if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if string(d.tmp[:8]) != "\x89PNG\r\n\x1a\n" {
		return nil, pngFormatError("not a PNG file")
	}
	for d.stage != dsSeenIEND {
		if err := d.parseChunk(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return d.img, nil
}

func (d *png16) parseChunk() error {
	if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
		return err
	}
	length := binary.BigEndian.Uint32(d.tmp[:4])
	d.crc.Reset()
	d.crc.Write(d.tmp[4:8])
	switch string(d.tmp[4:8]) {
	case "IHDR":
		if d.stage != dsStart {
			return errChunkOrder
		}
		d.stage = dsSeenIHDR
		return d.parseIHDR(length)
	case "PLTE":
		if d.stage != dsSeenIHDR {
			return errChunkOrder
		}
		d.stage = dsSeenPLTE
		return d.parsePLTE(length)
	case "tRNS":
		if d.ct == ctTrueColor {
			if d.stage != dsSeenIHDR && d.stage != dsSeenPLTE {
				return errChunkOrder
			}
		} else if d.stage != dsSeenIHDR {
			return errChunkOrder
		}
		d.stage = dsSeentRNS
		return d.parsetRNS(length)
	case "IDAT":
		if d.stage < dsSeenIHDR || d.stage > dsSeenIDAT {
			return errChunkOrder
		} else if d.stage == dsSeenIDAT {
			break // trailing IDAT chunks are skipped, as image/png does
		}
		d.stage = dsSeenIDAT
		d.idatLength = length
		if err := d.decode(); err != nil {
			return err
		}
		return d.verifyChecksum()
	case "IEND":
		if d.stage != dsSeenIDAT {
			return errChunkOrder
		}
		d.stage = dsSeenIEND
		if length != 0 {
			return pngFormatError("bad IEND length")
		}
		return d.verifyChecksum()
	}
	if length > 0x7fffffff {
		return pngFormatError(fmt.Sprintf("Bad chunk length: %d", length))
	}
	// Ancillary chunks stream through a small buffer: a huge text chunk
	// costs time, not memory.
	var ignored [4096]byte
	for length > 0 {
		n, err := io.ReadFull(d.r, ignored[:min(len(ignored), int(length))])
		if err != nil {
			return err
		}
		d.crc.Write(ignored[:n])
		length -= uint32(n)
	}
	return d.verifyChecksum()
}

func (d *png16) parseIHDR(length uint32) error {
	if length != 13 {
		return pngFormatError("bad IHDR length")
	}
	if _, err := io.ReadFull(d.r, d.tmp[:13]); err != nil {
		return err
	}
	d.crc.Write(d.tmp[:13])
	if d.tmp[10] != 0 || d.tmp[11] != 0 || d.tmp[12] != 0 || d.tmp[8] != 16 {
		return errors.New("png: not a non-interlaced 16-bit image")
	}
	w := int32(binary.BigEndian.Uint32(d.tmp[0:4]))
	h := int32(binary.BigEndian.Uint32(d.tmp[4:8]))
	if w <= 0 || h <= 0 {
		return pngFormatError("non-positive dimension")
	}
	nPixels64 := int64(w) * int64(h)
	nPixels := int(nPixels64)
	if nPixels64 != int64(nPixels) || nPixels != (nPixels*8)/8 {
		return errors.New("png: unsupported feature: dimension overflow")
	}
	switch d.tmp[9] {
	case ctTrueColor, ctGrayscaleAlpha, ctTrueColorAlpha:
	default:
		return fmt.Errorf("png: unsupported feature: bit depth 16, color type %d", d.tmp[9])
	}
	d.ct = d.tmp[9]
	d.width, d.height = int(w), int(h)
	return d.verifyChecksum()
}

func (d *png16) parsePLTE(length uint32) error {
	np := int(length / 3)
	if length%3 != 0 || np <= 0 || np > 256 {
		return pngFormatError("bad PLTE length")
	}
	n, err := io.ReadFull(d.r, d.tmp[:3*np])
	if err != nil {
		return err
	}
	d.crc.Write(d.tmp[:n])
	if d.ct == ctGrayscaleAlpha {
		return pngFormatError("PLTE, color type mismatch")
	}
	// Optional and ignorable for true colour.
	return d.verifyChecksum()
}

func (d *png16) parsetRNS(length uint32) error {
	if d.ct != ctTrueColor {
		return pngFormatError("tRNS, color type mismatch")
	}
	if length != 6 {
		return pngFormatError("bad tRNS length")
	}
	n, err := io.ReadFull(d.r, d.tmp[:length])
	if err != nil {
		return err
	}
	d.crc.Write(d.tmp[:n])
	copy(d.transparent[:], d.tmp[:length])
	d.useTransparent = true
	return d.verifyChecksum()
}

func (d *png16) verifyChecksum() error {
	if _, err := io.ReadFull(d.r, d.tmp[:4]); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(d.tmp[:4]) != d.crc.Sum32() {
		return pngFormatError("invalid checksum")
	}
	return nil
}

// Read presents the IDAT chunks as one stream, as image/png's does.
func (d *png16) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for d.idatLength == 0 {
		if err := d.verifyChecksum(); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(d.r, d.tmp[:8]); err != nil {
			return 0, err
		}
		d.idatLength = binary.BigEndian.Uint32(d.tmp[:4])
		if string(d.tmp[4:8]) != "IDAT" {
			return 0, pngFormatError("not enough pixel data")
		}
		d.crc.Reset()
		d.crc.Write(d.tmp[4:8])
	}
	if int(d.idatLength) < 0 {
		return 0, errors.New("png: unsupported feature: IDAT chunk length overflow")
	}
	n, err := d.r.Read(p[:min(len(p), int(d.idatLength))])
	d.crc.Write(p[:n])
	d.idatLength -= uint32(n)
	return n, err
}

func (d *png16) decode() error {
	zr, err := zlib.NewReader(d)
	if err != nil {
		return err
	}
	defer zr.Close()
	bpp := 6 // bytes per pixel
	switch d.ct {
	case ctGrayscaleAlpha:
		bpp = 4
	case ctTrueColorAlpha:
		bpp = 8
	}
	rowSize := 1 + int64(bpp)*int64(d.width)
	if rowSize != int64(int(rowSize)) {
		return errors.New("png: unsupported feature: dimension overflow")
	}
	img := image.NewNRGBA(image.Rect(0, 0, d.width, d.height))
	cr := make([]uint8, rowSize)
	pr := make([]uint8, rowSize)
	tr := uint16(d.transparent[0])<<8 | uint16(d.transparent[1])
	tg := uint16(d.transparent[2])<<8 | uint16(d.transparent[3])
	tb := uint16(d.transparent[4])<<8 | uint16(d.transparent[5])
	for y := 0; y < d.height; y++ {
		if _, err := io.ReadFull(zr, cr); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return pngFormatError("not enough pixel data")
			}
			return err
		}
		cdat, pdat := cr[1:], pr[1:]
		if err := unfilter(cr[0], cdat, pdat, bpp); err != nil {
			return err
		}
		out := img.Pix[y*img.Stride:][:4*d.width]
		for x := 0; x < d.width; x++ {
			s := cdat[bpp*x:]
			var r, g, b, a uint16
			switch d.ct {
			case ctTrueColor:
				r = uint16(s[0])<<8 | uint16(s[1])
				g = uint16(s[2])<<8 | uint16(s[3])
				b = uint16(s[4])<<8 | uint16(s[5])
				a = 0xffff
				if d.useTransparent && r == tr && g == tg && b == tb {
					a = 0
				}
			case ctGrayscaleAlpha:
				r = uint16(s[0])<<8 | uint16(s[1])
				g, b = r, r
				a = uint16(s[2])<<8 | uint16(s[3])
			default:
				r = uint16(s[0])<<8 | uint16(s[1])
				g = uint16(s[2])<<8 | uint16(s[3])
				b = uint16(s[4])<<8 | uint16(s[5])
				a = uint16(s[6])<<8 | uint16(s[7])
			}
			out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = nrgba8(r, g, b, a)
		}
		pr, cr = cr, pr
	}
	// Check for EOF, to verify the zlib checksum.
	n := 0
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			return io.ErrNoProgress
		}
		n, err = zr.Read(d.tmp[:1])
	}
	if err != nil && err != io.EOF {
		return pngFormatError(err.Error())
	}
	if n != 0 || d.idatLength != 0 {
		return pngFormatError("too much pixel data")
	}
	d.img = img
	return nil
}

// unfilter undoes a PNG row filter in place (PNG spec, section 9).
func unfilter(ft byte, cdat, pdat []byte, bpp int) error {
	switch ft {
	case 0:
	case 1:
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += cdat[i-bpp]
		}
	case 2:
		for i, p := range pdat {
			cdat[i] += p
		}
	case 3:
		for i := 0; i < bpp; i++ {
			cdat[i] += pdat[i] / 2
		}
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += uint8((int(cdat[i-bpp]) + int(pdat[i])) / 2)
		}
	case 4:
		for i := range cdat {
			var a, c uint8
			if i >= bpp {
				a, c = cdat[i-bpp], pdat[i-bpp]
			}
			cdat[i] += paeth(a, pdat[i], c)
		}
	default:
		return pngFormatError("bad filter type")
	}
	return nil
}

func paeth(a, b, c uint8) uint8 {
	pc := int(c)
	pa := int(b) - pc
	pb := int(a) - pc
	pc = absInt(pa + pb)
	pa = absInt(pa)
	pb = absInt(pb)
	if pa <= pb && pa <= pc {
		return a
	} else if pb <= pc {
		return b
	}
	return c
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// nrgba8 is color.NRGBAModel applied to a straight-alpha 16-bit pixel
// (color.NRGBA64), with its premultiply and divide, so the bytes are
// exactly those Normalize gives for image/png's *image.NRGBA64.
func nrgba8(r, g, b, a uint16) (uint8, uint8, uint8, uint8) {
	if a == 0xffff {
		return uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff
	}
	if a == 0 {
		return 0, 0, 0, 0
	}
	A := uint32(a)
	R := uint32(r) * A / 0xffff
	G := uint32(g) * A / 0xffff
	B := uint32(b) * A / 0xffff
	R = R * 0xffff / A
	G = G * 0xffff / A
	B = B * 0xffff / A
	return uint8(R >> 8), uint8(G >> 8), uint8(B >> 8), uint8(A >> 8)
}
