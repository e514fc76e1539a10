package train

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/schema"
)

// Data holds the samples of some splits of a dataset, one Set per split,
// kept as uint8 with no copies, so memory is the pixels once.
type Data struct {
	Sets   map[string]*Set // by split name
	Splits []string        // the splits read, in order
	// WidenedAt names the first colour image when grey ones came before it
	// and were converted to RGB; "" when no conversion happened.
	WidenedAt string
}

// LoadOptions say how LoadSplits reads; the zero value takes the
// dataset's own form, size and channels.
type LoadOptions struct {
	// Format is the form of an augsplit OUT to read: schema.FormatFolder,
	// FormatWebDataset or FormatTFRecord; "" chooses (folder if written).
	Format string
	// Size resizes every image to Size x Size; 0 takes the images' own
	// size, which must then be the same for all.
	Size int
	// Channels is 1 (grey) or 3 (RGB); 0 takes the widest seen: a single
	// colour image makes the set RGB.
	Channels int
}

// LoadSplits reads the given splits of root: an augsplit OUT (folder or
// shards) or a plain root/<split>/<class>/ ImageFolder. Labels index the
// dataset's class list (classes.txt, else the sorted folder names). A
// labelled source folder (what generate takes) is refused with the command
// that turns it into a dataset.
func LoadSplits(ctx context.Context, root string, splits []string, opts LoadOptions) (*Data, error) {
	if err := sourceTreeError(root, splits); err != nil {
		return nil, err
	}
	classes, err := dataset.Classes(root)
	if err != nil {
		return nil, err
	}
	counts, groups := cardFacts(root)
	l := &loader{root: root, opts: opts, classes: classes, counts: counts, groups: groups,
		data: &Data{Sets: map[string]*Set{}, Splits: splits}}
	for _, sp := range splits {
		if err := l.split(ctx, sp); err != nil {
			return nil, err
		}
	}
	return l.data, nil
}

// cardFacts reads two things from an augsplit card: the counts per split,
// so each Set can allocate its pixels once instead of growing by doubling
// (which briefly holds twice the data), and the group of each source that
// `split --group-regex` grouped, so validation evidence is counted in the
// units the split kept apart (a patient, not each of their files). Both
// are empty for a plain ImageFolder.
func cardFacts(root string) (counts map[string]int, groups map[string]string) {
	counts, groups = map[string]int{}, map[string]string{}
	g, err := dataset.Open(root)
	if err != nil {
		return counts, groups
	}
	for _, bySplit := range g.Card.Counts {
		for sp, n := range bySplit {
			counts[sp] += n
		}
	}
	for _, src := range g.Card.Sources {
		if src.Group != "" {
			groups[src.Path] = "group " + src.Class + "/" + src.Group
		}
	}
	return counts, groups
}

// loader is one LoadSplits call: the shape is fixed by the first image
// (or the options) and kept for every split.
type loader struct {
	root    string
	opts    LoadOptions
	classes []string
	counts  map[string]int
	groups  map[string]string // source path -> its group, when the split grouped sources
	data    *Data

	c, h, w int
	first   string // the first image, named in a size mismatch
	cur     *Set   // the split being read
}

func (l *loader) split(ctx context.Context, sp string) error {
	l.cur = nil
	err := dataset.WalkFormat(ctx, l.root, sp, l.opts.Format, func(s dataset.Sample) error {
		return l.add(sp, s)
	})
	if err != nil {
		return fmt.Errorf("read %s split of %s: %w", sp, l.root, err)
	}
	if l.cur == nil {
		return fmt.Errorf("%s: no images in the %s split", l.root, sp)
	}
	l.data.Sets[sp] = l.cur
	return nil
}

func (l *loader) add(sp string, s dataset.Sample) error {
	if err := l.shape(s); err != nil {
		return err
	}
	// Grey to RGB loses nothing (R = G = B), while RGB to grey would throw
	// the colour classes' colour away: the widest wins.
	if l.opts.Channels == 0 && l.c == 1 && channelsOf(s.Image) == 3 {
		l.c = 3
		l.data.WidenedAt = sampleName(l.root, s)
		for _, st := range l.data.Sets {
			widenToRGB(st)
		}
		if l.cur != nil {
			widenToRGB(l.cur)
		}
	}
	if l.cur == nil {
		l.cur = NewSet(l.c, l.h, l.w, l.classes)
		l.cur.Images = make([]uint8, 0, l.counts[sp]*l.c*l.h*l.w)
	}
	label := slices.Index(l.classes, s.Class)
	if label < 0 {
		return fmt.Errorf("%s: sample of class %q, which is not in the class list %q", l.root, s.Class, l.classes)
	}
	// Variants of one source are near-duplicates: validation evidence is
	// counted in sources (manifest "source"); a plain folder's images are
	// each their own.
	src := ""
	if s.Record != nil {
		src = s.Record.Source
		if g, ok := l.groups[src]; ok {
			src = g
		}
	}
	return l.cur.AddFrom(s.Image, label, src)
}

// shape takes the size and channels from the first image, and checks
// every later one has that size when no size was asked for.
func (l *loader) shape(s dataset.Sample) error {
	b := s.Image.Bounds()
	if l.c == 0 {
		l.first = sampleName(l.root, s)
		l.h, l.w = b.Dy(), b.Dx()
		if l.opts.Size > 0 {
			l.h, l.w = l.opts.Size, l.opts.Size
		}
		l.c = l.opts.Channels
		if l.c == 0 {
			l.c = channelsOf(s.Image)
		}
		return nil
	}
	if l.opts.Size == 0 && (b.Dx() != l.w || b.Dy() != l.h) {
		// Resizing everything to whichever file came first would silently
		// distort the others; the user picks the size.
		return fmt.Errorf("%s is %dx%d but %s is %dx%d: the images differ in size; pass --size N to resize them all to NxN",
			sampleName(l.root, s), b.Dx(), b.Dy(), l.first, l.w, l.h)
	}
	return nil
}

// widenToRGB turns a grey set into three equal planes per image: the bytes
// AppendPixels gives a grey image at 3 channels.
func widenToRGB(s *Set) {
	if s.C != 1 {
		return
	}
	plane := s.H * s.W
	px := make([]uint8, 0, 3*max(cap(s.Images), len(s.Images)))
	for i := range s.N {
		img := s.Images[i*plane : (i+1)*plane]
		px = append(append(append(px, img...), img...), img...)
	}
	s.Images, s.C = px, 3
}

// sampleName names a sample for a message: its file, or for a shard
// sample its id and source.
func sampleName(root string, s dataset.Sample) string {
	if s.Path != "" {
		return s.Path
	}
	if r := s.Record; r != nil {
		if r.Path != "" {
			return filepath.Join(root, filepath.FromSlash(r.Path))
		}
		return fmt.Sprintf("sample %s of %s (from %s)", r.ID, root, r.Source)
	}
	return fmt.Sprintf("a %s image of %s", s.Class, root)
}

// sourceTreeError explains a labelled source folder (root/<class>/<image>,
// what generate and split take) given where a split dataset is wanted,
// instead of the puzzling "no class folders" or "no split folder".
func sourceTreeError(root string, splits []string) error {
	for _, f := range []string{schema.CardFile, schema.ManifestFile, schema.MarkerFile} {
		if _, err := os.Lstat(filepath.Join(root, f)); err == nil {
			return nil // an augsplit OUT, finished or not
		}
	}
	for _, sp := range splits {
		if fi, err := os.Stat(filepath.Join(root, sp)); err == nil && fi.IsDir() {
			return nil
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil // the caller's own error names the problem
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if holdsImage(filepath.Join(root, e.Name())) {
			return fmt.Errorf("%s: this looks like a source folder (%s holds images, and there are no %s folders): "+
				"run augsplit generate --in %s --out OUT (or augsplit split) first, then pass --data OUT",
				root, filepath.Join(root, e.Name()), strings.Join(splits, "/"), root)
		}
	}
	return nil
}

// holdsImage reports whether dir directly holds an image file.
func holdsImage(dir string) bool {
	files, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, f := range files {
		if !f.IsDir() && dataset.IsImageName(f.Name()) {
			return true
		}
	}
	return false
}

// All returns every sample read, split after split, and the split of each.
func (d *Data) All() (*Set, []string) {
	first := d.Sets[d.Splits[0]]
	set := NewSet(first.C, first.H, first.W, first.Classes)
	var from []string
	for _, sp := range d.Splits {
		s := d.Sets[sp]
		_ = set.Append(s) // same shape and classes: loaded together
		for range s.N {
			from = append(from, sp)
		}
	}
	return set, from
}

func channelsOf(img image.Image) int {
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		return 1
	}
	return 3
}

// SplitsOf lists the splits of root: an augsplit OUT's from its card, else
// those of train, val and test that are folders, in that order.
func SplitsOf(root string) []string {
	if g, err := dataset.Open(root); err == nil {
		return g.Card.Splits
	}
	var out []string
	for _, s := range schema.Splits() {
		if fi, err := os.Stat(filepath.Join(root, s)); err == nil && fi.IsDir() {
			out = append(out, s)
		}
	}
	return out
}

// LoadLabelled reads labelled images for m, resized to its input, with
// labels by class name: the given split when root is an augsplit OUT or
// has split folders, else root's class folders (root/<class>/<image>). It
// returns the split it read ("" for class folders). A class the model does
// not know is an error naming it, from Evaluate.
func LoadLabelled(ctx context.Context, root, split string, m *Model) (*Set, string, error) {
	fi, err := os.Stat(filepath.Join(root, split))
	if _, cerr := dataset.Open(root); cerr == nil || (err == nil && fi.IsDir()) {
		d, err := LoadSplits(ctx, root, []string{split}, LoadOptions{Size: m.Height, Channels: m.Channels})
		if err != nil {
			return nil, "", err
		}
		set := d.Sets[split]
		if set.W != m.Width {
			return nil, "", fmt.Errorf("%s: the model takes %dx%d images", root, m.Width, m.Height)
		}
		return set, split, nil
	}
	tree, err := dataset.Scan(ctx, root, dataset.ScanOptions{})
	if err != nil {
		return nil, "", err
	}
	var names []string
	for _, c := range tree.Classes {
		names = append(names, c.Name)
	}
	set := NewSet(m.Channels, m.Height, m.Width, names)
	for _, src := range tree.Sources {
		img, err := tree.Load(ctx, src)
		if err != nil {
			return nil, "", err
		}
		if err := set.AddFrom(img, slices.Index(names, src.Class), src.Path); err != nil {
			return nil, "", fmt.Errorf("%s: %w", src.Path, err)
		}
	}
	return set, "", nil
}
