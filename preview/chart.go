package preview

import (
	"fmt"
	"image"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/schema"
)

// Chart geometry, in pixels (the chart is drawn at 72 dpi, so one point is
// one pixel): each class takes a group of bars, one per split.
const (
	barWidth    = 14
	groupGap    = 20
	chartMargin = 140 // axis, labels and legend
	chartMinW   = 480
	ChartHeight = 360
)

// ChartSize is the pixel size of splits.png for the given number of
// classes and splits: max(480, 140 + classes*(splits*14 + 20)) x 360.
func ChartSize(classes, splits int) image.Point {
	return image.Pt(max(chartMinW, chartMargin+classes*(splits*barWidth+groupGap)), ChartHeight)
}

// SplitsChart writes OUT/splits.png for the generated dataset g.
func SplitsChart(g *dataset.Generated) error {
	img, err := RenderChart(g.Card)
	if err != nil {
		return err
	}
	return writePNG(filepath.Join(g.Dir, ChartFile), img)
}

// RenderChart draws a grouped bar chart of the card's counts: classes
// along x, a bar per split within each class.
func RenderChart(card schema.Card) (image.Image, error) {
	if len(card.Classes) == 0 || len(card.Splits) == 0 {
		return nil, fmt.Errorf("preview: the dataset card lists no classes or no splits")
	}
	p := plot.New()
	p.Title.Text = "samples per class and split"
	p.Y.Label.Text = "samples"
	p.Y.Min = 0
	p.Legend.Top = true
	n := len(card.Splits)
	top := 0
	for i, s := range card.Splits {
		vals := make(plotter.Values, len(card.Classes))
		for j, c := range card.Classes {
			vals[j] = float64(card.Counts[c][s])
			top = max(top, card.Counts[c][s])
		}
		bars, err := plotter.NewBarChart(vals, vg.Length(barWidth))
		if err != nil {
			return nil, fmt.Errorf("preview: bar chart: %w", err)
		}
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(i)
		// Centre the group of bars on the class's tick.
		bars.Offset = vg.Length((float64(i) - float64(n-1)/2) * barWidth)
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	// Head room above the tallest bar keeps the legend off the bars.
	p.Y.Max = float64(top)*1.3 + 1
	p.NominalX(card.Classes...)
	long := false
	for _, c := range card.Classes {
		long = long || len(c) > 6
	}
	if long {
		// Slanted labels keep long class names from overlapping.
		p.X.Tick.Label.Rotation = 0.6
		p.X.Tick.Label.XAlign = draw.XRight
	}
	size := ChartSize(len(card.Classes), n)
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(size.X), vg.Length(size.Y)), vgimg.UseDPI(72))
	p.Draw(draw.New(c))
	return c.Image(), nil
}
