package train

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// writeCurves draws loss and accuracy, train vs validation, side by side,
// with val_accuracy's 95% interval over sources shaded and the holdout
// accuracy where it was scored. For variant-level data the val curve is
// labelled as what it is: near-duplicates of training images.
func writeCurves(path string, h []EpochMetrics, p *Provenance) error {
	lossP := plot.New()
	lossP.Title.Text = "loss"
	lossP.X.Label.Text = "epoch"
	lossP.Y.Min = 0
	accP := plot.New()
	accP.Title.Text = "accuracy"
	accP.X.Label.Text = "epoch"
	accP.Y.Min, accP.Y.Max = 0, 1
	valName := "val"
	if p.Variant() {
		accP.Title.Text = "accuracy (val: variant-level split, near-duplicates of training images)"
		valName = "val (not accuracy on new images)"
	}
	series := func(f func(EpochMetrics) float64) plotter.XYs {
		xy := make(plotter.XYs, len(h))
		for i, m := range h {
			xy[i].X, xy[i].Y = float64(m.Epoch), f(m)
		}
		return xy
	}
	// The band goes first so the lines are drawn over it.
	if len(h) > 0 && h[0].ValSources > 0 {
		band := make(plotter.XYs, 0, 2*len(h))
		for _, m := range h {
			band = append(band, plotter.XY{X: float64(m.Epoch), Y: m.ValAccuracyCI[1]})
		}
		for i := len(h) - 1; i >= 0; i-- {
			band = append(band, plotter.XY{X: float64(h[i].Epoch), Y: h[i].ValAccuracyCI[0]})
		}
		poly, err := plotter.NewPolygon(band)
		if err != nil {
			return fmt.Errorf("draw curves: %w", err)
		}
		poly.Color = color.NRGBA{R: 255, G: 127, B: 14, A: 60}
		poly.LineStyle.Width = 0
		accP.Add(poly)
		accP.Legend.Add(fmt.Sprintf("val 95%% interval over %d sources", h[len(h)-1].ValSources), poly)
	}
	for _, s := range []struct {
		p    *plot.Plot
		name string
		f    func(EpochMetrics) float64
		val  bool
	}{
		{lossP, "train", func(m EpochMetrics) float64 { return m.Loss }, false},
		{lossP, "val", func(m EpochMetrics) float64 { return m.ValLoss }, true},
		{accP, "train", func(m EpochMetrics) float64 { return m.Accuracy }, false},
		{accP, valName, func(m EpochMetrics) float64 { return m.ValAccuracy }, true},
	} {
		l, err := plotter.NewLine(series(s.f))
		if err != nil {
			return fmt.Errorf("draw curves: %w", err)
		}
		l.Width = vg.Points(1.5)
		if s.val {
			l.Color = plotColors[1]
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		} else {
			l.Color = plotColors[0]
		}
		s.p.Add(l)
		s.p.Legend.Add(s.name, l)
	}
	var hold plotter.XYs
	for _, m := range h {
		if m.HoldoutAccuracy != nil {
			hold = append(hold, plotter.XY{X: float64(m.Epoch), Y: *m.HoldoutAccuracy})
		}
	}
	if len(hold) > 0 {
		l, pts, err := plotter.NewLinePoints(hold)
		if err != nil {
			return fmt.Errorf("draw curves: %w", err)
		}
		l.Color, pts.Color = plotColors[2], plotColors[2]
		l.Width = vg.Points(1.5)
		pts.Shape = draw.CircleGlyph{}
		accP.Add(l, pts)
		accP.Legend.Add("holdout (real new images)", l, pts)
	}
	lossP.Legend.Top = true
	accP.Legend.Top = false
	img := vgimg.New(12*vg.Inch, 4.5*vg.Inch)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4, PadY: vg.Inch / 8, PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 4}
	canvases := plot.Align([][]*plot.Plot{{lossP, accP}}, tiles, dc)
	lossP.Draw(canvases[0][0])
	accP.Draw(canvases[0][1])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("draw curves: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

// plotColors: train blue, validation orange (tell apart in grey print too,
// validation is also dashed), holdout green (with dots).
var plotColors = []color.Color{color.NRGBA{R: 31, G: 119, B: 180, A: 255}, color.NRGBA{R: 255, G: 127, B: 14, A: 255},
	color.NRGBA{R: 44, G: 160, B: 44, A: 255}}

// whiteToBlue is a sequential palette: empty cells white, full cells blue.
type whiteToBlue int

func (n whiteToBlue) Colors() []color.Color {
	out := make([]color.Color, n)
	for i := range out {
		t := float64(i) / float64(n-1)
		out[i] = color.NRGBA{R: uint8(255 - t*(255-66)), G: uint8(255 - t*(255-146)), B: uint8(255 - t*(255-198)), A: 255}
	}
	return out
}

// ConfusionText formats a confusion matrix with per-class accuracy.
func ConfusionText(classes []string, ev *Evaluation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy: %.4f (%d samples)  loss: %.4f\n\n", ev.Accuracy, ev.N, ev.Loss)
	w := 5
	for _, c := range classes {
		w = max(w, len(c))
	}
	fmt.Fprintf(&b, "%-*s", w+2, "true\\pred")
	for i := range classes {
		fmt.Fprintf(&b, " %5d", i)
	}
	fmt.Fprintf(&b, "  %8s\n", "accuracy")
	for i, c := range classes {
		fmt.Fprintf(&b, "%-*s", w+2, fmt.Sprintf("%d %s", i, c))
		for _, v := range ev.Confusion[i] {
			fmt.Fprintf(&b, " %5d", v)
		}
		if math.IsNaN(ev.PerClass[i]) {
			fmt.Fprintf(&b, "  %8s\n", "-")
		} else {
			fmt.Fprintf(&b, "  %8.4f\n", ev.PerClass[i])
		}
	}
	return b.String()
}

// writeConfusion writes confusion.txt and confusion.png.
func writeConfusion(dir string, classes []string, ev *Evaluation) error {
	if err := writeFileAtomic(filepath.Join(dir, "confusion.txt"), []byte(ConfusionText(classes, ev))); err != nil {
		return err
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("confusion (val accuracy %.4f)", ev.Accuracy)
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true"
	g := confGrid{ev: ev}
	hm := plotter.NewHeatMap(g, whiteToBlue(64))
	hm.Min, hm.Max = 0, 1
	p.Add(hm)
	var xys plotter.XYs
	var labels []string
	k := len(classes)
	for i := range k {
		for j := range k {
			xys = append(xys, plotter.XY{X: float64(j), Y: float64(k - 1 - i)})
			labels = append(labels, fmt.Sprint(ev.Confusion[i][j]))
		}
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return fmt.Errorf("draw confusion: %w", err)
	}
	p.Add(l)
	ticks := make([]plot.Tick, k)
	yticks := make([]plot.Tick, k)
	for i, c := range classes {
		ticks[i] = plot.Tick{Value: float64(i), Label: c}
		yticks[i] = plot.Tick{Value: float64(k - 1 - i), Label: c}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Marker = plot.ConstantTicks(yticks)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	side := vg.Length(3+0.5*float64(k)) * vg.Inch
	wt, err := p.WriterTo(side, side, "png")
	if err != nil {
		return fmt.Errorf("draw confusion: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("draw confusion: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, "confusion.png"), buf.Bytes())
}

// confGrid shows each row normalised by its class's support, so classes of
// different sizes share one colour scale.
type confGrid struct{ ev *Evaluation }

func (g confGrid) Dims() (c, r int) { k := len(g.ev.Confusion); return k, k }
func (g confGrid) Z(c, r int) float64 {
	k := len(g.ev.Confusion)
	t := k - 1 - r
	if g.ev.Support[t] == 0 {
		return 0
	}
	return float64(g.ev.Confusion[t][c]) / float64(g.ev.Support[t])
}
func (g confGrid) X(c int) float64 { return float64(c) }
func (g confGrid) Y(r int) float64 { return float64(r) }

// foldErrs are the per-fold intervals as plotter error bars.
type foldErrs struct {
	plotter.XYs
	plotter.YErrors
}

// writeFolds draws cv.png: each fold's validation accuracy with its 95%
// interval over that fold's sources, the pooled accuracy over all sources
// with its (narrower) interval shaded, and the holdout per fold if scored.
func writeFolds(path string, r *CVResult) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%d-fold cross-validation by source: %.4f [%.4f, %.4f] over %d sources",
		r.Folds, r.Accuracy, r.CI[0], r.CI[1], r.Sources)
	p.X.Label.Text = "fold"
	p.Y.Label.Text = "accuracy"
	p.X.Min, p.X.Max = 0.5, float64(r.Folds)+0.5
	p.Y.Min, p.Y.Max = 0, 1
	band, err := plotter.NewPolygon(plotter.XYs{{X: p.X.Min, Y: r.CI[0]}, {X: p.X.Max, Y: r.CI[0]}, {X: p.X.Max, Y: r.CI[1]}, {X: p.X.Min, Y: r.CI[1]}})
	if err != nil {
		return fmt.Errorf("draw folds: %w", err)
	}
	band.Color = color.NRGBA{R: 31, G: 119, B: 180, A: 50}
	band.LineStyle.Width = 0
	p.Add(band)
	p.Legend.Add("pooled 95% interval (all sources)", band)
	mean, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: r.Accuracy}, {X: p.X.Max, Y: r.Accuracy}})
	if err != nil {
		return fmt.Errorf("draw folds: %w", err)
	}
	mean.Color = plotColors[0]
	p.Add(mean)
	p.Legend.Add("pooled accuracy", mean)
	fe := foldErrs{}
	var hold plotter.XYs
	for _, f := range r.PerFold {
		fe.XYs = append(fe.XYs, plotter.XY{X: float64(f.Fold), Y: f.Accuracy})
		fe.YErrors = append(fe.YErrors, struct{ Low, High float64 }{f.Accuracy - f.CI[0], f.CI[1] - f.Accuracy})
		if f.HoldoutAccuracy != nil {
			hold = append(hold, plotter.XY{X: float64(f.Fold), Y: *f.HoldoutAccuracy})
		}
	}
	bars, err := plotter.NewYErrorBars(fe)
	if err != nil {
		return fmt.Errorf("draw folds: %w", err)
	}
	bars.Color = plotColors[1]
	pts, err := plotter.NewScatter(fe.XYs)
	if err != nil {
		return fmt.Errorf("draw folds: %w", err)
	}
	pts.Color = plotColors[1]
	pts.Shape = draw.CircleGlyph{}
	p.Add(bars, pts)
	p.Legend.Add("fold val accuracy, 95% interval over its sources", pts)
	if len(hold) > 0 {
		hp, err := plotter.NewScatter(hold)
		if err != nil {
			return fmt.Errorf("draw folds: %w", err)
		}
		hp.Color = plotColors[2]
		hp.Shape = draw.PyramidGlyph{}
		p.Add(hp)
		p.Legend.Add("fold model on holdout", hp)
	}
	ticks := make([]plot.Tick, r.Folds)
	for i := range ticks {
		ticks[i] = plot.Tick{Value: float64(i + 1), Label: fmt.Sprint(i + 1)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Legend.Top = false
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("draw folds: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return fmt.Errorf("draw folds: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}
