// Package preview draws what augsplit generated so a person can look at
// it: a contact sheet (preview.png, a row per class: the source and its
// first variants, each captioned with the parameters it got) and a bar
// chart of samples per class and split (splits.png).
package preview

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/resize"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/writer"
)

// File names written into OUT.
const (
	SheetFile = "preview.png"
	ChartFile = "splits.png"
)

// Contact sheet geometry, in pixels. Every cell has the same size whatever
// the images, so the sheet's size depends only on K and the class count:
//
//	width  = LabelWidth + (K+1)*CellWidth = 120*(K+2)
//	height = classes*CellHeight           = 176*classes
//
// (see SheetSize).
const (
	Thumb        = 112                                               // thumbnail box side
	pad          = 4                                                 // margin around thumbnail and text
	lineHeight   = 13                                                // basicfont.Face7x13
	captionLines = 4                                                 // title + 3 lines of parameters
	CellWidth    = Thumb + 2*pad                                     // 120
	CellHeight   = pad + Thumb + pad + captionLines*lineHeight + pad // 176
	LabelWidth   = CellWidth                                         // the class name column
	maxChars     = (CellWidth - 2*pad) / 7                           // 16 characters of 7 px per line
)

// SheetSize is the pixel size of the contact sheet for perClass variants
// and the given number of classes.
func SheetSize(perClass, classes int) image.Point {
	return image.Pt(LabelWidth+(perClass+1)*CellWidth, classes*CellHeight)
}

// Write draws both pictures of the augsplit OUT in outDir into it:
// preview.png with perClass variants per class, and splits.png. Each file
// is written under a temporary name and renamed, so a reader never sees
// half a PNG. It is what `augsplit preview` and `generate --preview` run.
func Write(ctx context.Context, outDir string, perClass int) error {
	g, err := dataset.Open(outDir)
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	if err := ContactSheet(ctx, g, perClass); err != nil {
		return err
	}
	return SplitsChart(g)
}

// ContactSheet writes OUT/preview.png for the generated dataset g.
func ContactSheet(ctx context.Context, g *dataset.Generated, perClass int) error {
	img, err := RenderSheet(ctx, g, perClass)
	if err != nil {
		return err
	}
	return writePNG(filepath.Join(g.Dir, SheetFile), img)
}

// row is what one class's row shows.
type row struct {
	class    string
	source   *schema.Record // the un-augmented original in OUT, if any
	srcPath  string         // where the source is read from; "" when unknown
	srcInOut bool           // srcPath is a path in OUT, relative, slash separated
	srcName  string
	samples  []schema.Record
}

// rows picks, per class in card order, the source of the class's first
// sample in manifest order and the first perClass variants of that same
// source. One source per row keeps each caption meaningful: the
// parameters are relative to the image on the left.
func rows(g *dataset.Generated, perClass int) []row {
	in := sourceDir(g.Card)
	var out []row
	for _, c := range g.Card.Classes {
		r := row{class: c}
		group := ""
		for i := range g.Records {
			rec := &g.Records[i]
			if rec.Class != c {
				continue
			}
			if group == "" {
				group = rec.SourceSHA256
				r.srcName = rec.Source
			}
			if rec.SourceSHA256 != group {
				continue
			}
			if rec.Variant == 0 {
				if r.source == nil {
					r.source = rec
				}
				continue
			}
			if len(r.samples) < perClass {
				r.samples = append(r.samples, *rec)
			}
		}
		switch {
		case r.source != nil && r.source.Path != "":
			// Confined to OUT when read (see load's caller).
			r.srcPath = r.source.Path
			r.srcInOut = true
		case in != "" && r.srcName != "":
			r.srcPath = filepath.Join(in, filepath.FromSlash(dataset.UnescapePath(r.srcName)))
		}
		out = append(out, r)
	}
	return out
}

// sourceDir is the --in folder recorded in the card's config, where the
// sources can still be read when OUT holds no un-augmented original.
func sourceDir(c schema.Card) string {
	var cfg struct {
		In string `json:"in"`
	}
	if len(c.Config) == 0 || json.Unmarshal(c.Config, &cfg) != nil {
		return ""
	}
	return cfg.In
}

// RenderSheet draws the contact sheet: a row per class of the card, the
// class name, the source, then perClass variants, each captioned.
func RenderSheet(ctx context.Context, g *dataset.Generated, perClass int) (*image.NRGBA, error) {
	if perClass < 0 {
		return nil, fmt.Errorf("preview: per-class %d: want 0 or more", perClass)
	}
	rs := rows(g, perClass)
	size := SheetSize(perClass, len(rs))
	if size.Y == 0 {
		return nil, fmt.Errorf("preview: %s has no classes", g.Dir)
	}
	// Samples written only as shards are read from them, together, so each
	// split's shards are read once and only as far as needed.
	var inShards []*schema.Record
	for _, r := range rs {
		if r.source != nil && r.source.Path == "" {
			inShards = append(inShards, r.source)
		}
		for j := range r.samples {
			if r.samples[j].Path == "" {
				inShards = append(inShards, &r.samples[j])
			}
		}
	}
	fromShards, err := g.Images(ctx, inShards)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	sheet := imaging.New(size.X, size.Y, color.White)
	for i, r := range rs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		y := i * CellHeight
		if i%2 == 1 {
			// Banded rows help the eye follow a class across the sheet.
			fill(sheet, image.Rect(0, y, size.X, y+CellHeight), color.Gray{Y: 245})
		}
		drawLines(sheet, pad, y+pad, []string{r.class, base(r.srcName)})

		x := LabelWidth
		var src image.Image
		caption := []string{"source"}
		if r.source != nil && fromShards[r.source.ID] != nil {
			src = fromShards[r.source.ID]
		} else if r.srcPath != "" {
			p := r.srcPath
			var err error
			if r.srcInOut {
				p, err = dataset.Confine(g.Dir, r.srcPath)
				if err != nil {
					return nil, fmt.Errorf("preview: %w", err)
				}
			}
			img, err := load(ctx, p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				// The --in folder moved, or the card's path was relative
				// to another working directory: not worth failing for.
				caption = append(caption, "not found")
			case err != nil:
				caption = append(caption, "unreadable")
			default:
				src = img
			}
		} else {
			caption = append(caption, "not in OUT")
		}
		drawCell(sheet, x, y, src, caption)
		for j := range perClass {
			x += CellWidth
			if j >= len(r.samples) {
				drawCell(sheet, x, y, nil, nil)
				continue
			}
			rec := r.samples[j]
			img := fromShards[rec.ID]
			caption := append([]string{fmt.Sprintf("v%d %s", rec.Variant, rec.Split)}, summarize(rec.Params)...)
			if img == nil {
				p, err := dataset.Confine(g.Dir, rec.Path)
				if err != nil {
					return nil, fmt.Errorf("preview: %w", err)
				}
				m, err := load(ctx, p)
				if err != nil {
					return nil, fmt.Errorf("preview: %w", err)
				}
				img = m
			}
			drawCell(sheet, x, y, img, caption)
		}
	}
	return sheet, nil
}

func base(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// load decodes one image: a regular file only, capped, stopping with ctx
// (a sample may be a symlink to a FIFO or to /dev/zero).
func load(ctx context.Context, path string) (image.Image, error) {
	d, _, err := dataset.DecodeFile(ctx, path, dataset.DefaultMaxPixels)
	if err != nil {
		return nil, err
	}
	return d.Image, nil
}

// drawCell draws one cell at (x, y): a grey box with img fitted in its
// centre (or left empty), and up to captionLines lines of text below.
func drawCell(dst *image.NRGBA, x, y int, img image.Image, caption []string) {
	box := image.Rect(x+pad, y+pad, x+pad+Thumb, y+pad+Thumb)
	fill(dst, box, color.Gray{Y: 220})
	if img != nil {
		b := img.Bounds()
		scale := min(float64(Thumb)/float64(b.Dx()), float64(Thumb)/float64(b.Dy()))
		w := max(1, int(float64(b.Dx())*scale+0.5))
		h := max(1, int(float64(b.Dy())*scale+0.5))
		// Enlarging a small image with a smooth filter invents detail and
		// rings; nearest neighbour shows its pixels as they are.
		filter := resize.Lanczos
		if scale >= 1 {
			filter = resize.Nearest
		}
		t := image.NewNRGBA(image.Rect(0, 0, w, h))
		resize.Into(t, img, filter)
		at := image.Pt(box.Min.X+(Thumb-w)/2, box.Min.Y+(Thumb-h)/2)
		draw.Draw(dst, image.Rectangle{Min: at, Max: at.Add(t.Bounds().Size())}, t, image.Point{}, draw.Over)
	}
	if len(caption) > captionLines {
		caption = caption[:captionLines]
	}
	drawLines(dst, x+pad, box.Max.Y+pad, caption)
}

func fill(dst *image.NRGBA, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// drawLines writes lines of text from the top-left corner (x, y).
func drawLines(dst *image.NRGBA, x, y int, lines []string) {
	d := font.Drawer{Dst: dst, Src: image.Black, Face: basicfont.Face7x13}
	for i, l := range lines {
		d.Dot = fixed.P(x, y+i*lineHeight+basicfont.Face7x13.Ascent)
		d.DrawString(fit(l))
	}
}

// fit shortens s to one caption line (ASCII only: the face has no other
// glyphs).
func fit(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	s = b.String()
	if len(s) > maxChars {
		s = s[:maxChars-1] + "~"
	}
	return s
}

// applied mirrors augment.Applied, read back from the manifest.
type applied struct {
	Name   string         `json:"name"`
	Params map[string]any `json:"params"`
}

// summarize turns a record's applied transforms into at most
// captionLines-1 caption lines, main parameters first: rotation angle,
// flips, noise sigma; other transforms by name.
func summarize(params json.RawMessage) []string {
	var as []applied
	if json.Unmarshal(params, &as) != nil {
		return []string{"params unreadable"}
	}
	var tokens []string
	flips := ""
	for _, a := range as {
		switch {
		case a.Name == "hflip":
			flips += "h"
		case a.Name == "vflip":
			flips += "v"
		case a.Name == "rotate":
			tokens = append(tokens, "rot "+num(a.Params["angle"], 1))
		case a.Name == "rot90":
			tokens = append(tokens, fmt.Sprintf("d4 %v", a.Params["op"]))
		case strings.Contains(a.Name, "noise"):
			tokens = append(tokens, "noise "+num(a.Params["sigma"], 2))
		default:
			tokens = append(tokens, a.Name)
		}
	}
	if flips != "" {
		tokens = append(tokens, "flip "+flips)
	}
	if len(tokens) == 0 {
		return []string{"original"}
	}
	// Pack tokens greedily into the lines there are; say what did not fit.
	var lines []string
	for i, t := range tokens {
		last := len(lines) - 1
		switch {
		case last >= 0 && len(lines[last])+1+len(t) <= maxChars:
			lines[last] += " " + t
		case len(lines) < captionLines-1:
			lines = append(lines, t)
		default:
			more := fmt.Sprintf(" +%d", len(tokens)-i)
			l := lines[last]
			if len(l)+len(more) > maxChars {
				l = l[:maxChars-len(more)]
			}
			lines[last] = l + more
			return lines
		}
	}
	return lines
}

// num formats a JSON number with the given decimals; "?" when absent.
func num(v any, decimals int) string {
	f, ok := v.(float64)
	if !ok {
		return "?"
	}
	return strconv.FormatFloat(f, 'f', decimals, 64)
}

// writePNG encodes img to path through the writer's atomic write, so a
// reader never sees a partial file.
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writer.WriteFileAtomic(writer.OS, path, buf.Bytes())
}
