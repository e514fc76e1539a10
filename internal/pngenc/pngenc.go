// Package pngenc is a fast, deterministic PNG encoder for the image types the
// augmentation pipeline produces (*image.Gray, *image.Gray16, *image.NRGBA,
// and opaque *image.RGBA).
//
// image/png tries all five PNG filters on every row and keeps the one with the
// smallest sum of absolute differences. On 512x512 noisy microscopy images
// that search costs about three times as much CPU as deflate itself, yet one
// fixed filter (Average) gives files within 0.5% of its size. This package
// applies one fixed filter per image, chosen per Level by measurement (see
// BenchmarkFilterChoice), and writes the whole PNG into one buffer so that an
// Encode is one Write on w.
//
// Other image types, and Level Best, are handed to image/png (Best keeps its
// adaptive filter search: at that level the caller asked for size, not speed).
//
// The output depends only on the pixels, the bounds' size and the Level: no
// maps, no time, no randomness, so the same image always encodes to the same
// bytes.
package pngenc

import (
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// Level is the compression level, one per value of the CLI's
// --png-compression flag. The zero value is Default, like image/png's.
type Level int

const (
	// Default: Average filter, deflate at compress/flate's default level.
	Default Level = iota
	// Speed: Average filter, Huffman coding with runs (rleDeflate, like
	// zlib's Z_RLE strategy).
	Speed
	// Best: delegated to image/png at png.BestCompression.
	Best
	// None: no filter, stored (uncompressed) deflate blocks.
	None
	numLevels
)

var levelNames = [numLevels]string{Default: "default", Speed: "speed", Best: "best", None: "none"}

func (l Level) String() string {
	if l >= 0 && l < numLevels {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel maps the --png-compression names to a Level.
func ParseLevel(s string) (Level, error) {
	for l, name := range levelNames {
		if s == name {
			return Level(l), nil
		}
	}
	return 0, fmt.Errorf("pngenc: unknown compression level %q (want default, speed, best or none)", s)
}

// PNG returns the image/png level with the same intent, used for the
// fallback path and handy for callers that still use image/png.
func (l Level) PNG() png.CompressionLevel {
	switch l {
	case Speed:
		return png.BestSpeed
	case Best:
		return png.BestCompression
	case None:
		return png.NoCompression
	default:
		return png.DefaultCompression
	}
}

// ErrSize is returned (wrapped) for images with no pixels or with a side too
// long for PNG; image/png rejects the same sizes.
var ErrSize = errors.New("pngenc: image size out of range")

// PNG filter types (PNG spec, section 9.2).
type filterType uint8

const (
	ftNone filterType = iota
	ftSub
	ftUp
	ftAverage
	ftPaeth
	numFilters
)

var filterNames = [numFilters]string{"none", "sub", "up", "average", "paeth"}

func (f filterType) String() string { return filterNames[f] }

// levelFilter is the fixed filter per level, picked by BenchmarkFilterChoice
// on rotated grey cell images with Gaussian noise: Average gives the smallest
// files of the five at both deflate levels and every sigma from 0 to 8 (as
// small as image/png's per-row adaptive choice), because predicting from the
// mean of two neighbours halves the noise the predictor carries over. Its
// SWAR loop costs about a tenth of what deflate does. Sub would win on clean
// synthetic gradients, which are not what the pipeline writes. None keeps
// the data as is, as image/png does for NoCompression. (Paeth, the usual
// default elsewhere, was 5% larger than Average here and the slowest.)
var levelFilter = [numLevels]filterType{Default: ftAverage, Speed: ftAverage, None: ftNone}

// flateLevel is compress/flate's level for Default and None, the same as
// image/png's so that the CLI's names keep their meaning. Speed has its own
// deflate, rleDeflate: on noisy cells (BenchmarkDeflateLevels) compress/flate's
// levels 2-9 give files a few percent larger than BestSpeed's at five to
// seven times its time, BestSpeed itself spends most of its time looking
// for matches that noise does not have, and HuffmanOnly is as small but
// cannot shrink flat areas (a blank image grows 28-fold). rleDeflate codes
// like HuffmanOnly and keeps runs: within 0.1% of BestSpeed's size on noisy
// cells (sigma 4 to 8), 13-21% smaller at sigma 0 to 2, 9% smaller on a
// blank image, 4% on a clean one, in 13-70% of its CPU time.
var flateLevel = [numLevels]int{Default: flate.DefaultCompression, Speed: flate.BestSpeed, None: flate.NoCompression}

// zlibFLG is the second zlib header byte for each level; its FLEVEL bits
// mirror compress/zlib's choice and the whole header is a multiple of 31.
var zlibFLG = [numLevels]byte{Default: 0x9c, Speed: 0x01, None: 0x01}

const (
	pngSignature = "\x89PNG\r\n\x1a\n"
	// maxIDAT bounds one IDAT chunk's data; the spec allows 2^31-1, so one
	// chunk is written for any realistic image.
	maxIDAT = 1 << 30
	// batchBytes is how many filtered bytes are handed to deflate per Write:
	// large enough that per-call overhead vanishes, small enough that a huge
	// image does not need a second full-size copy.
	batchBytes = 256 << 10
	// maxSide is PNG's limit on width and height (2^31-1).
	maxSide = 1<<31 - 1
)

// Encoder encodes PNGs, reusing its buffers and deflate state from one image
// to the next. The zero value encodes at Default. An Encoder is not safe for
// concurrent use: keep one per worker, or in a sync.Pool.
type Encoder struct {
	Level Level

	raw  []byte    // a batch of filtered rows, each led by its filter type byte
	zero []byte    // the "previous row" of the first row: all zeros
	rgb  [2][]byte // current and previous packed RGB rows (NRGBA/RGBA opaque)
	out  []byte    // the encoded PNG, kept for reuse by Encode
	tmp  []byte    // compressed data moved aside when IDAT is split
	aw   appendWriter
	fw   [numLevels]*flate.Writer
	rle  rleDeflate
	pool onePool // image/png's buffers for the fallback path

	// Test hooks: filter, when non-zero, forces filter-1 on every row;
	// idatMax, when non-zero, replaces maxIDAT.
	filter  uint8
	idatMax int
}

// Encode writes img to w as a PNG, with a single Write for the fast paths.
func (e *Encoder) Encode(w io.Writer, img image.Image) error {
	src, ok, err := e.inspect(img)
	if err != nil {
		return err
	}
	if !ok {
		return e.fallback(w, img)
	}
	out, err := e.encode(e.out[:0], &src)
	e.out = out[:0]
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("pngenc: write: %w", err)
	}
	return nil
}

// Append appends img encoded as a PNG to dst and returns the extended slice.
// When dst has room for the PNG it is encoded in place; otherwise it is
// encoded in the Encoder's own buffer and appended with one exactly sized
// allocation, rather than growing dst block by block (at 512 px that growth
// copied about four times the PNG and left as much garbage).
func (e *Encoder) Append(dst []byte, img image.Image) ([]byte, error) {
	src, ok, err := e.inspect(img)
	if err != nil {
		return dst, err
	}
	if !ok {
		e.aw.buf = dst
		err := e.fallback(&e.aw, img)
		dst, e.aw.buf = e.aw.buf, nil
		return dst, err
	}
	if cap(dst)-len(dst) >= len(e.out)+8<<10 {
		// Room for a PNG as large as the last one and then some.
		return e.encode(dst, &src)
	}
	out, err := e.encode(e.out[:0], &src)
	e.out = out[:0]
	if err != nil {
		return dst, err
	}
	return append(dst, out...), nil
}

// source describes where the rows of a fast-path image are and how they map
// to PNG scanlines.
type source struct {
	pix       []byte
	stride    int
	off       int // index in pix of the first byte of the first row
	srcBytes  int // bytes per row in pix
	rowBytes  int // bytes per PNG scanline, filter byte excluded
	bpp       int // bytes per complete pixel, the filters' "left" distance
	width     int
	height    int
	depth     byte
	colorType byte
	packRGB   bool // drop every fourth byte (alpha) of pix
}

// inspect validates img and reports whether a fast path handles it.
func (e *Encoder) inspect(img image.Image) (source, bool, error) {
	if e.Level < 0 || e.Level >= numLevels {
		return source{}, false, fmt.Errorf("pngenc: invalid level %d", int(e.Level))
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return source{}, false, fmt.Errorf("%w: %dx%d", ErrSize, w, h)
	}
	if e.Level == Best {
		return source{}, false, nil
	}
	s := source{width: w, height: h}
	switch m := img.(type) {
	case *image.Gray:
		s.pix, s.stride, s.off = m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y)
		s.srcBytes, s.rowBytes, s.bpp = w, w, 1
		s.depth, s.colorType = 8, 0
	case *image.Gray16:
		// Gray16.Pix is already big-endian, PNG's byte order.
		s.pix, s.stride, s.off = m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y)
		s.srcBytes, s.rowBytes, s.bpp = 2*w, 2*w, 2
		s.depth, s.colorType = 16, 0
	case *image.NRGBA:
		s.pix, s.stride, s.off = m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y)
		s.srcBytes = 4 * w
		if m.Opaque() {
			s.rowBytes, s.bpp, s.colorType, s.packRGB = 3*w, 3, 2, true
		} else {
			s.rowBytes, s.bpp, s.colorType = 4*w, 4, 6
		}
		s.depth = 8
	case *image.RGBA:
		// Premultiplied equals non-premultiplied only when every alpha is
		// 255; translucent RGBA goes to image/png, which divides by alpha.
		if !m.Opaque() {
			return source{}, false, nil
		}
		s.pix, s.stride, s.off = m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y)
		s.srcBytes, s.rowBytes, s.bpp, s.packRGB = 4*w, 3*w, 3, true
		s.depth, s.colorType = 8, 2
	default:
		return source{}, false, nil
	}
	return s, true, nil
}

// row returns the unfiltered bytes of scanline y, packing into scratch when
// the source has an alpha channel to drop.
func (s *source) row(y int, scratch []byte) []byte {
	i := s.off + y*s.stride
	r := s.pix[i : i+s.srcBytes]
	if !s.packRGB {
		return r
	}
	packRGB(scratch[:s.rowBytes], r)
	return scratch[:s.rowBytes]
}

// packRGB copies the R, G, B bytes of each RGBA pixel in src to dst.
func packRGB(dst, src []byte) {
	for len(src) >= 4 && len(dst) >= 3 {
		dst[0], dst[1], dst[2] = src[0], src[1], src[2]
		dst, src = dst[3:], src[4:]
	}
}

func (e *Encoder) encode(dst []byte, s *source) ([]byte, error) {
	start := len(dst)
	dst = append(dst, pngSignature...)
	dst = appendIHDR(dst, s)

	// The IDAT chunk is written in place: length and CRC are patched in once
	// the compressed size is known.
	idat := len(dst)
	dst = append(dst, 0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x78, zlibFLG[e.Level])
	var adler uint32
	if e.Level == Speed {
		dst, adler = e.deflateRLE(dst, s)
	} else {
		var err error
		if dst, adler, err = e.deflateFlate(dst, s); err != nil {
			return dst[:start], err
		}
	}
	dst = binary.BigEndian.AppendUint32(dst, adler)

	limit := maxIDAT
	if e.idatMax > 0 {
		limit = e.idatMax
	}
	if n := len(dst) - idat - 8; n <= limit {
		binary.BigEndian.PutUint32(dst[idat:], uint32(n))
		dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[idat+4:]))
	} else {
		e.tmp = append(e.tmp[:0], dst[idat+8:]...)
		dst = dst[:idat]
		for z := e.tmp; len(z) > 0; {
			k := min(len(z), limit)
			dst = appendChunk(dst, "IDAT", z[:k])
			z = z[k:]
		}
		if cap(e.tmp) > 4*batchBytes {
			e.tmp = nil // only huge images split; do not pin their memory
		}
	}
	return appendChunk(dst, "IEND", nil), nil
}

func appendIHDR(dst []byte, s *source) []byte {
	var b [13]byte
	binary.BigEndian.PutUint32(b[0:], uint32(s.width))
	binary.BigEndian.PutUint32(b[4:], uint32(s.height))
	b[8], b[9] = s.depth, s.colorType
	// b[10:13]: deflate, adaptive filtering (method 0), no interlace.
	return appendChunk(dst, "IHDR", b[:])
}

func appendChunk(dst []byte, name string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	at := len(dst)
	dst = append(dst, name...)
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[at:]))
}

// flateWriter returns the level's deflate writer reset onto w. Each level
// keeps its own writer because flate.Writer.Reset cannot change level and
// creating one allocates several hundred KiB.
func (e *Encoder) flateWriter(w io.Writer) (*flate.Writer, error) {
	if fw := e.fw[e.Level]; fw != nil {
		fw.Reset(w)
		return fw, nil
	}
	fw, err := flate.NewWriter(w, flateLevel[e.Level])
	if err != nil {
		return nil, fmt.Errorf("pngenc: %w", err)
	}
	e.fw[e.Level] = fw
	return fw, nil
}

// deflateFlate appends the image's filtered rows deflated by compress/flate
// at the Level's flateLevel, and returns their Adler-32.
func (e *Encoder) deflateFlate(dst []byte, s *source) ([]byte, uint32, error) {
	e.aw.buf = dst
	zw, err := e.flateWriter(&e.aw)
	if err != nil {
		dst, e.aw.buf = e.aw.buf, nil
		return dst, 0, err
	}
	adler, err := e.compressRows(s, func(raw []byte, _ bool) error {
		_, err := zw.Write(raw)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	dst, e.aw.buf = e.aw.buf, nil
	if err != nil {
		return dst, 0, fmt.Errorf("pngenc: deflate: %w", err)
	}
	return dst, adler, nil
}

// deflateRLE appends the image's filtered rows deflated by rleDeflate and
// returns their Adler-32.
func (e *Encoder) deflateRLE(dst []byte, s *source) ([]byte, uint32) {
	w := bitWriter{buf: dst}
	adler, _ := e.compressRows(s, func(raw []byte, last bool) error {
		e.rle.appendBlocks(&w, raw, last)
		return nil
	})
	w.align()
	return w.buf, adler
}

// compressRows filters the image in batches of rows, hands each batch to
// write (last is set for the final one) and returns the Adler-32 of all
// filtered bytes (the zlib trailer).
func (e *Encoder) compressRows(s *source, write func(raw []byte, last bool) error) (uint32, error) {
	ft := levelFilter[e.Level]
	if e.filter != 0 {
		ft = filterType(e.filter - 1)
	}
	line := 1 + s.rowBytes
	batch := max(1, batchBytes/line)
	batch = min(batch, s.height)
	e.raw = grow(e.raw, batch*line)
	e.zero = grow(e.zero, s.rowBytes)
	clear(e.zero)
	if s.packRGB {
		e.rgb[0] = grow(e.rgb[0], s.rowBytes)
		e.rgb[1] = grow(e.rgb[1], s.rowBytes)
	}

	adler := uint32(1)
	prev := e.zero
	for y0 := 0; y0 < s.height; y0 += batch {
		n := min(batch, s.height-y0)
		raw := e.raw[:n*line]
		for k := 0; k < n; k++ {
			y := y0 + k
			cur := s.row(y, e.rgb[y&1])
			out := raw[k*line : (k+1)*line]
			out[0] = byte(ft)
			filterRow(ft, out[1:], cur, prev, s.bpp)
			prev = cur
		}
		if err := write(raw, y0+n == s.height); err != nil {
			return 0, err
		}
		adler = adler32Update(adler, raw)
	}
	return adler, nil
}

// grow returns b resliced to n bytes, reallocating only when too small.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// appendWriter is an io.Writer that appends to buf; deflate writes the
// compressed stream straight into the PNG being built.
type appendWriter struct{ buf []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.buf = append(a.buf, p...)
	return len(p), nil
}

// fallback encodes with image/png at the matching level.
func (e *Encoder) fallback(w io.Writer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: e.Level.PNG(), BufferPool: &e.pool}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("pngenc: image/png: %w", err)
	}
	return nil
}

// onePool keeps image/png's encoder buffers for the next image; an Encoder
// is used by one goroutine, so one slot is enough.
type onePool struct{ b *png.EncoderBuffer }

func (p *onePool) Get() *png.EncoderBuffer {
	b := p.b
	p.b = nil
	return b
}

func (p *onePool) Put(b *png.EncoderBuffer) { p.b = b }
