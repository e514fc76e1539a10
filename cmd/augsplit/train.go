package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/split"
	"github.com/augsplit/augsplit/train"
)

func init() {
	commands["train"] = command{run: runTrain, short: "train the bundled CNN on a generated dataset"}
	commands["eval"] = command{run: runEval, short: "evaluate a trained model on a labelled folder"}
	commands["predict"] = command{run: runPredict, short: "classify image files with a trained model"}
	commands["seed-bug"] = command{run: runSeedBug, short: "train with Keras's validation_split on class-ordered data vs augsplit's split"}
}

// hyperFlags registers one flag per hyper-parameter, bound to a scratch
// Config; apply copies only the flags given on the command line over cfg,
// so a --config file's values survive unless a flag overrides them.
type hyperFlags struct {
	fs   *flag.FlagSet
	vals train.Config
	set  map[string]func(dst, src *train.Config)
}

func addHyperFlags(fs *flag.FlagSet) *hyperFlags {
	h := &hyperFlags{fs: fs, vals: train.DefaultConfig(), set: map[string]func(dst, src *train.Config){}}
	d := &h.vals
	intF := func(name string, p *int, usage string, cp func(dst, src *train.Config)) {
		fs.IntVar(p, name, *p, usage)
		h.set[name] = cp
	}
	floatF := func(name string, p *float64, usage string, cp func(dst, src *train.Config)) {
		fs.Float64Var(p, name, *p, usage)
		h.set[name] = cp
	}
	intF("filters", &d.Filters, "conv filters per block", func(a, b *train.Config) { a.Filters = b.Filters })
	intF("blocks", &d.Blocks, "conv/batch-norm/ELU/pool blocks", func(a, b *train.Config) { a.Blocks = b.Blocks })
	intF("dense", &d.Dense, "units of the hidden dense layer", func(a, b *train.Config) { a.Dense = b.Dense })
	floatF("lr", &d.LR, "initial learning rate", func(a, b *train.Config) { a.LR = b.LR })
	floatF("momentum", &d.Momentum, "SGD momentum", func(a, b *train.Config) { a.Momentum = b.Momentum })
	floatF("decay", &d.Decay, "time-based decay: lr/(1+decay*iterations)", func(a, b *train.Config) { a.Decay = b.Decay })
	intF("batch", &d.Batch, "batch size", func(a, b *train.Config) { a.Batch = b.Batch })
	intF("epochs", &d.Epochs, "maximum epochs", func(a, b *train.Config) { a.Epochs = b.Epochs })
	floatF("plateau-factor", &d.PlateauFactor, "ReduceLROnPlateau factor", func(a, b *train.Config) { a.PlateauFactor = b.PlateauFactor })
	intF("plateau-patience", &d.PlateauPatience, "ReduceLROnPlateau patience (epochs)", func(a, b *train.Config) { a.PlateauPatience = b.PlateauPatience })
	floatF("plateau-min-delta", &d.PlateauMinDelta, "ReduceLROnPlateau min_delta", func(a, b *train.Config) { a.PlateauMinDelta = b.PlateauMinDelta })
	floatF("plateau-min-lr", &d.PlateauMinLR, "ReduceLROnPlateau min_lr", func(a, b *train.Config) { a.PlateauMinLR = b.PlateauMinLR })
	floatF("early-min-delta", &d.EarlyMinDelta, "EarlyStopping min_delta", func(a, b *train.Config) { a.EarlyMinDelta = b.EarlyMinDelta })
	intF("early-patience", &d.EarlyPatience, "EarlyStopping patience (0: off)", func(a, b *train.Config) { a.EarlyPatience = b.EarlyPatience })
	fs.BoolVar(&d.EarlyRestore, "early-restore", d.EarlyRestore, "EarlyStopping restore_best_weights")
	h.set["early-restore"] = func(a, b *train.Config) { a.EarlyRestore = b.EarlyRestore }
	floatF("bn-momentum", &d.BNMomentum, "batch-norm momentum (Keras's meaning)", func(a, b *train.Config) { a.BNMomentum = b.BNMomentum })
	floatF("bn-epsilon", &d.BNEpsilon, "batch-norm epsilon", func(a, b *train.Config) { a.BNEpsilon = b.BNEpsilon })
	fs.Uint64Var(&d.Seed, "seed", d.Seed, "seed for initial weights and shuffling")
	h.set["seed"] = func(a, b *train.Config) { a.Seed = b.Seed }
	// size 0 means the data's own size; it is resolved once images are read.
	d.Size = 0
	intF("size", &d.Size, "input size in pixels (0: the images' own size)", func(a, b *train.Config) { a.Size = b.Size })
	return h
}

// config returns defaults, then the YAML file, then the flags given.
func (h *hyperFlags) config(file string) (train.Config, error) {
	cfg := train.DefaultConfig()
	cfg.Size = 0
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return cfg, usagef("read config: %v", err)
		}
		if err := decodeTrainConfig(file, data, &cfg); err != nil {
			return cfg, &usageError{msg: err.Error(), err: err}
		}
	}
	h.fs.Visit(func(f *flag.Flag) {
		if cp, ok := h.set[f.Name]; ok {
			cp(&cfg, &h.vals)
		}
	})
	return cfg, nil
}

// configKeys returns the YAML keys of train.Config in field order, with the
// index of each field: the one list the help text, the key check and the
// decoder share, so a new field cannot be forgotten in one of them.
func configKeys() (keys []string, field map[string]int) {
	t := reflect.TypeFor[train.Config]()
	field = map[string]int{}
	for i := range t.NumField() {
		k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if k == "" || k == "-" {
			continue
		}
		keys = append(keys, k)
		field[k] = i
	}
	return keys, field
}

// decodeTrainConfig reads a YAML file of train keys over cfg. One file can
// drive the whole job: a generate config's `train:` section is used when
// present. Keys are checked one by one on the parsed node rather than with
// the decoder's KnownFields, whose message names a Go type
// ("field x not found in type train.Config") and, for a re-encoded train:
// section, a line of the section instead of the file.
func decodeTrainConfig(file string, data []byte, cfg *train.Config) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config %s: not valid YAML: %w", file, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file changes nothing
	}
	keys, field := configKeys()
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config %s: line %d: want a mapping of keys (%s)", file, root.Line, strings.Join(keys, ", "))
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "train" {
			root = root.Content[i+1]
			if root.Kind != yaml.MappingNode {
				return fmt.Errorf("config %s: line %d: train: want a mapping of keys (%s)", file, root.Line, strings.Join(keys, ", "))
			}
			break
		}
	}
	v := reflect.ValueOf(cfg).Elem()
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, val := root.Content[i], root.Content[i+1]
		idx, ok := field[k.Value]
		if !ok {
			return fmt.Errorf("config %s: line %d: unknown key %q; valid keys: %s", file, k.Line, k.Value, strings.Join(keys, ", "))
		}
		if first, dup := seen[k.Value]; dup {
			return fmt.Errorf("config %s: line %d: %s given twice (first on line %d): keep one", file, k.Line, k.Value, first)
		}
		seen[k.Value] = k.Line
		f := v.Field(idx)
		if err := val.Decode(f.Addr().Interface()); err != nil {
			return fmt.Errorf("config %s: line %d: %s: want %s, got %q", file, val.Line, k.Value, kindName(f.Kind()), val.Value)
		}
	}
	return nil
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int:
		return "a whole number"
	case reflect.Uint64:
		return "a non-negative whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return k.String()
}

// loaded holds the samples of some splits of a dataset, one Set per split
// (kept as uint8; no copies, so memory is the pixels once).
type loaded struct {
	sets   map[string]*train.Set
	splits []string
	// widenedAt names the first colour image when grey ones came before it
	// and were converted to RGB; "" when no conversion happened.
	widenedAt string
}

// loadSplits reads the given splits of root (an augsplit OUT, folder or
// shards, or a plain root/<split>/<class>/ ImageFolder).
// size 0 takes the images' own size, which must then be the same for all;
// channels 0 takes the widest seen (any colour image: 3).
func loadSplits(ctx context.Context, root string, splits []string, size, channels int) (*loaded, error) {
	return loadSplitsFormat(ctx, root, "", splits, size, channels)
}

// loadSplitsFormat is loadSplits reading one form of an augsplit OUT
// (dataset.FormatFolder, FormatWebDataset, FormatTFRecord; "" chooses).
func loadSplitsFormat(ctx context.Context, root, format string, splits []string, size, channels int) (*loaded, error) {
	if err := sourceTreeError(root, splits); err != nil {
		return nil, err
	}
	classes, err := dataset.Classes(root)
	if err != nil {
		return nil, err
	}
	// The card's counts let each Set allocate its pixels once instead of
	// growing by doubling (which briefly holds twice the data).
	counts := map[string]int{}
	if g, err := dataset.Open(root); err == nil {
		for _, bySplit := range g.Card.Counts {
			for sp, n := range bySplit {
				counts[sp] += n
			}
		}
	}
	out := &loaded{sets: map[string]*train.Set{}, splits: splits}
	var c, h, w int
	var first string // the first image, named in a size mismatch
	for _, sp := range splits {
		var set *train.Set
		nth := map[string]int{} // per class, to name a plain ImageFolder's file
		err := dataset.WalkFormat(ctx, root, sp, format, func(s dataset.Sample) error {
			k := nth[s.Class]
			nth[s.Class]++
			name := func() string { return sampleName(root, sp, s, k) }
			b := s.Image.Bounds()
			if c == 0 {
				first = name()
				h, w = b.Dy(), b.Dx()
				if size > 0 {
					h, w = size, size
				}
				c = channels
				if c == 0 {
					c = channelsOf(s.Image)
				}
			} else if size == 0 && (b.Dx() != w || b.Dy() != h) {
				// Resizing everything to whichever file came first would
				// silently distort the others; the user picks the size.
				return fmt.Errorf("%s is %dx%d but %s is %dx%d: the images differ in size; pass --size N to resize them all to NxN",
					name(), b.Dx(), b.Dy(), first, w, h)
			}
			// Grey to RGB loses nothing (R = G = B), while RGB to grey
			// would throw the colour classes' colour away: the widest wins.
			if channels == 0 && c == 1 && channelsOf(s.Image) == 3 {
				c = 3
				out.widenedAt = name()
				for _, st := range out.sets {
					widenToRGB(st)
				}
				if set != nil {
					widenToRGB(set)
				}
			}
			if set == nil {
				set = train.NewSet(c, h, w, classes)
				set.Images = make([]uint8, 0, counts[sp]*c*h*w)
			}
			label := slices.Index(classes, s.Class)
			if label < 0 {
				return fmt.Errorf("%s: sample of class %q, which is not in the class list %q", root, s.Class, classes)
			}
			return set.Add(s.Image, label)
		})
		if err != nil {
			return nil, fmt.Errorf("read %s split of %s: %w", sp, root, err)
		}
		if set == nil {
			return nil, fmt.Errorf("%s: no images in the %s split", root, sp)
		}
		out.sets[sp] = set
	}
	return out, nil
}

// widenToRGB turns a grey set into three equal planes per image: the bytes
// train.AppendPixels gives a grey image at 3 channels.
func widenToRGB(s *train.Set) {
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
// sample its id and source. k is its index within its class in walk order,
// which for a plain ImageFolder is the k-th image file as the walk lists
// them (Sample carries no path for those).
func sampleName(root, sp string, s dataset.Sample, k int) string {
	if r := s.Record; r != nil {
		if r.Path != "" {
			return filepath.Join(root, filepath.FromSlash(r.Path))
		}
		return fmt.Sprintf("sample %s of %s (from %s)", r.ID, root, r.Source)
	}
	dir := filepath.Join(root, sp, s.Class)
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if dataset.IsImageName(d.Name()) {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				files = append(files, p)
			}
		}
		return nil
	})
	sort.Strings(files)
	if k < len(files) {
		return files[k]
	}
	return fmt.Sprintf("image %d of %s", k+1, dir)
}

// sourceTreeError explains a labelled source folder (root/<class>/<image>,
// what generate and split take) given where a split dataset is wanted,
// instead of the puzzling "no class folders" or "no split folder".
func sourceTreeError(root string, splits []string) error {
	for _, f := range []string{dataset.CardFile, dataset.ManifestFile, dataset.PartialFile} {
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
		files, err := os.ReadDir(filepath.Join(root, e.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			if !f.IsDir() && dataset.IsImageName(f.Name()) {
				return fmt.Errorf("%s: this looks like a source folder (%s holds images, and there are no %s folders): "+
					"run augsplit generate --in %s --out OUT (or augsplit split) first, then pass --data OUT",
					root, filepath.Join(root, e.Name()), strings.Join(splits, "/"), root)
			}
		}
	}
	return nil
}

// pick returns the samples read from split sp.
func (l *loaded) pick(sp string) *train.Set { return l.sets[sp] }

// all returns every sample, split after split, and the split of each.
func (l *loaded) all() (*train.Set, []string) {
	first := l.sets[l.splits[0]]
	set := train.NewSet(first.C, first.H, first.W, first.Classes)
	var from []string
	for _, sp := range l.splits {
		s := l.sets[sp]
		set.Images = append(set.Images, s.Images...)
		set.Labels = append(set.Labels, s.Labels...)
		set.N += s.N
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

// datasetSplits lists the splits present in root, in train, val, test order.
func datasetSplits(root string) []string {
	if g, err := dataset.Open(root); err == nil {
		return g.Card.Splits
	}
	var out []string
	for _, s := range []string{"train", "val", "test"} {
		if fi, err := os.Stat(filepath.Join(root, s)); err == nil && fi.IsDir() {
			out = append(out, s)
		}
	}
	return out
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	data := fs.String("data", "", "dataset: an augsplit OUT (folder or shards) or root/<split>/<class>/ (required)")
	out := fs.String("out", "run", "run folder for metrics.jsonl, curves.png, confusion.*, model.bin, last.bin")
	keys, _ := configKeys()
	config := fs.String("config", "", "YAML file of hyper-parameters, keys "+strings.Join(keys, ", ")+
		" (or a generate config whose train: section holds them); flags given override it")
	valSplit := fs.String("val-split", "val", "split to validate on")
	form := fs.String("form", "", "form of an augsplit OUT to read: folder, webdataset or tfrecord (default: folder if written, else shards)")
	hf := addHyperFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: augsplit train --data OUT [--size N] [--epochs N] [--seed S] [--out RUN] [--config FILE] [flags]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("train: unexpected argument %q", fs.Arg(0))
	}
	if *data == "" {
		return usagef("train: --data is required")
	}
	cfg, err := hf.config(*config)
	if err != nil {
		return err
	}
	l, err := loadSplitsFormat(ctx, *data, *form, []string{"train", *valSplit}, cfg.Size, 0)
	if err != nil {
		return err
	}
	cfg.Size = l.pick("train").H
	if err := cfg.Validate(); err != nil {
		return usagef("train: %v", err)
	}
	trainSet, valSet := l.pick("train"), l.pick(*valSplit)
	if l.widenedAt != "" {
		fmt.Fprintf(stderr, "train: grey and colour images are mixed (first colour one: %s): training on RGB, grey images copied to R, G and B\n", l.widenedAt)
	}
	fmt.Fprintf(stderr, "train: %d images, validation: %d images, %d classes, %dx%dx%d\n",
		trainSet.N, valSet.N, len(trainSet.Classes), trainSet.H, trainSet.W, trainSet.C)
	res, err := train.Fit(ctx, cfg, trainSet, valSet, train.Options{Log: stderr, RunDir: *out})
	if ie := (*train.InterruptedError)(nil); errors.As(err, &ie) {
		// The exit code still says "interrupted" (err unwraps to the
		// context's error); this line says what the run folder holds.
		if ie.BestEpoch == 0 {
			fmt.Fprintf(stderr, "interrupted at epoch %d: no epoch finished, so no model was saved\n", ie.Epoch)
		} else {
			fmt.Fprintf(stderr, "interrupted at epoch %d: best model so far (epoch %d, val_loss %.4f) is in %s; last finished epoch in %s\n",
				ie.Epoch, ie.BestEpoch, ie.Best.Loss, filepath.Join(*out, "model.bin"), filepath.Join(*out, "last.bin"))
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "best epoch %d: val_loss %.4f, val_accuracy %.4f\n", res.BestEpoch, res.Best.Loss, res.Best.Accuracy)
	fmt.Fprintf(stdout, "model: %s\ncurves: %s\nconfusion: %s\n",
		filepath.Join(*out, "model.bin"), filepath.Join(*out, "curves.png"), filepath.Join(*out, "confusion.txt"))
	return nil
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	modelPath := fs.String("model", "", "model file (RUN/model.bin) (required)")
	data := fs.String("data", "", "labelled images: DIR/<class>/*, or a dataset with --split (required)")
	sp := fs.String("split", "val", "split to evaluate when --data is an augsplit OUT or has split folders")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: augsplit eval --model RUN/model.bin --data DIR [--split S]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("eval: unexpected argument %q", fs.Arg(0))
	}
	if *modelPath == "" || *data == "" {
		return usagef("eval: --model and --data are required")
	}
	m, err := train.Load(*modelPath)
	if err != nil {
		return err
	}
	set, err := loadLabelled(ctx, *data, *sp, m, stderr)
	if err != nil {
		return err
	}
	ev, err := train.Evaluate(m, set)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, train.ConfusionText(m.Classes, ev))
	return nil
}

// loadLabelled reads labelled images for m, resized to its input, with
// labels by class name. A class folder the model does not know is an error
// naming it (from train.Evaluate). It says on stderr what it read, since
// --split defaults to val and a dataset has several splits.
func loadLabelled(ctx context.Context, root, sp string, m *train.Model, stderr io.Writer) (*train.Set, error) {
	fi, err := os.Stat(filepath.Join(root, sp))
	if _, cerr := dataset.Open(root); cerr == nil || (err == nil && fi.IsDir()) {
		l, err := loadSplits(ctx, root, []string{sp}, m.Height, m.Channels)
		if err != nil {
			return nil, err
		}
		if l.pick(sp).W != m.Width {
			return nil, fmt.Errorf("%s: the model takes %dx%d images", root, m.Width, m.Height)
		}
		fmt.Fprintf(stderr, "eval: %s split of %s: %d images (choose another with --split)\n", sp, root, l.pick(sp).N)
		return l.pick(sp), nil
	}
	tree, err := dataset.Scan(ctx, root, dataset.ScanOptions{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range tree.Classes {
		names = append(names, c.Name)
	}
	set := train.NewSet(m.Channels, m.Height, m.Width, names)
	for _, src := range tree.Sources {
		img, err := tree.Load(ctx, src)
		if err != nil {
			return nil, err
		}
		if err := set.Add(img, slices.Index(names, src.Class)); err != nil {
			return nil, fmt.Errorf("%s: %w", src.Path, err)
		}
	}
	fmt.Fprintf(stderr, "eval: class folders of %s: %d images\n", root, set.N)
	return set, nil
}

type prediction struct {
	File string      `json:"file"`
	Top  []classProb `json:"top"`
}

type classProb struct {
	Class string  `json:"class"`
	Prob  float64 `json:"prob"`
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", stderr)
	modelPath := fs.String("model", "", "model file (RUN/model.bin) (required)")
	top := fs.Int("top", 3, "classes to print per file")
	asJSON := fs.Bool("json", false, "one JSON object per line")
	maxPixels := fs.Int("max-pixels", dataset.DefaultMaxPixels, "refuse images with more pixels than this")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: augsplit predict --model M [--top K] [--json] FILE...\n\n"+
			"Prints a prediction for every readable FILE and names each unreadable one on\n"+
			"stderr; exits 1 at the end if any could not be read.")
		fs.PrintDefaults()
	}
	// Flags may follow the files (`predict --model M a.png --json`).
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *modelPath == "" || len(files) == 0 {
		return usagef("predict: --model and at least one FILE are required")
	}
	if *top < 1 {
		return usagef("predict: --top must be >= 1, got %d", *top)
	}
	if *maxPixels < 1 {
		return usagef("predict: --max-pixels must be >= 1, got %d", *maxPixels)
	}
	m, err := train.Load(*modelPath)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	failed := 0
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		// One bad file must not cost the others their prediction: report
		// it and go on, failing at the end.
		p, err := predictFile(m, path, *top, *maxPixels)
		if err != nil {
			fmt.Fprintf(stderr, "augsplit predict: %v\n", err)
			failed++
			continue
		}
		if *asJSON {
			if err := enc.Encode(p); err != nil {
				return fmt.Errorf("write prediction: %w", err)
			}
			continue
		}
		var b strings.Builder
		b.WriteString(path)
		for _, c := range p.Top {
			fmt.Fprintf(&b, "\t%s %.4f", c.Class, c.Prob)
		}
		if _, err := fmt.Fprintln(stdout, b.String()); err != nil {
			return fmt.Errorf("write prediction: %w", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("predict: %d of %d files could not be read (see above)", failed, len(files))
	}
	return nil
}

// predictFile classifies one file; its error names the file and a reason
// that fits predict (dataset's decode errors suggest generate's flags).
func predictFile(m *train.Model, path string, top, maxPixels int) (prediction, error) {
	p := prediction{File: path}
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return p, fmt.Errorf("%s: no such file", path)
		}
		return p, fmt.Errorf("%s: %w", path, err)
	}
	if fi.IsDir() {
		return p, fmt.Errorf("%s: is a folder: pass image files (e.g. %s)", path, filepath.Join(path, "*.png"))
	}
	img, err := decodeImageFile(path, maxPixels)
	var de *dataset.DecodeError
	var tl *dataset.TooLargeError
	switch {
	case errors.As(err, &de):
		return p, fmt.Errorf("%s: not a readable image: %w", path, de.Err)
	case errors.As(err, &tl):
		return p, err // names the file and --max-pixels, which predict has
	case err != nil:
		return p, fmt.Errorf("%s: %w", path, err)
	}
	probs, err := m.Predict(img)
	if err != nil {
		return p, fmt.Errorf("%s: %w", path, err)
	}
	order := make([]int, len(probs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	for _, i := range order[:min(top, len(order))] {
		p.Top = append(p.Top, classProb{Class: m.Classes[i], Prob: probs[i]})
	}
	return p, nil
}

func decodeImageFile(path string, maxPixels int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := dataset.Decode(path, f, maxPixels)
	return img, err
}

func runSeedBug(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("seed-bug", stderr)
	data := fs.String("data", "", "a generated augsplit dataset (required)")
	out := fs.String("out", "", "run folder: writes OUT/keras-last20 and OUT/augsplit runs (default: none)")
	hf := addHyperFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: augsplit seed-bug --data OUT [--epochs N] [flags]\n\n"+
			"Trains twice on the same samples: validation = the last 20% of a class-ordered list\n"+
			"(Keras's validation_split), then augsplit's own split; prints both side by side.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("seed-bug: unexpected argument %q", fs.Arg(0))
	}
	if *data == "" {
		return usagef("seed-bug: --data is required")
	}
	cfg, err := hf.config("")
	if err != nil {
		return err
	}
	splits := datasetSplits(*data)
	if !slices.Contains(splits, "train") || !slices.Contains(splits, "val") {
		return fmt.Errorf("%s: needs train and val splits, has %q", *data, splits)
	}
	l, err := loadSplits(ctx, *data, splits, cfg.Size, 0)
	if err != nil {
		return err
	}
	every, _ := l.all()
	cfg.Size = every.H
	if err := cfg.Validate(); err != nil {
		return usagef("seed-bug: %v", err)
	}
	// As the researcher wrote them: class by class, in reading order.
	byClass := make([]int, every.N)
	for i := range byClass {
		byClass[i] = i
	}
	sort.SliceStable(byClass, func(a, b int) bool { return every.Labels[byClass[a]] < every.Labels[byClass[b]] })
	ordered := every.Subset(byClass)
	trIdx, valIdx := split.LastFraction(ordered.N, 0.2)

	type arm struct {
		name       string
		trainSet   *train.Set
		valSet     *train.Set
		res        *train.Result
		unseen     []string
		valClasses int
	}
	arms := []*arm{
		{name: "keras-last20", trainSet: ordered.Subset(trIdx), valSet: ordered.Subset(valIdx)},
		{name: "augsplit", trainSet: l.pick("train"), valSet: l.pick("val")},
	}
	for _, a := range arms {
		fmt.Fprintf(stderr, "== %s: %d train, %d val\n", a.name, a.trainSet.N, a.valSet.N)
		opts := train.Options{Log: stderr}
		if *out != "" {
			opts.RunDir = filepath.Join(*out, a.name)
		}
		if a.res, err = train.Fit(ctx, cfg, a.trainSet, a.valSet, opts); err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		inVal := make([]bool, len(every.Classes))
		for _, lb := range a.valSet.Labels {
			inVal[lb] = true
		}
		for c, name := range every.Classes {
			if inVal[c] {
				a.valClasses++
				if !a.res.ClassesSeen[c] {
					a.unseen = append(a.unseen, name)
				}
			}
		}
	}
	fmt.Fprintf(stdout, "%-36s %-28s %s\n", "", "keras validation_split=0.2", "augsplit split")
	row := func(label string, f func(a *arm) string) {
		fmt.Fprintf(stdout, "%-36s %-28s %s\n", label, f(arms[0]), f(arms[1]))
	}
	row("train samples", func(a *arm) string { return fmt.Sprint(a.trainSet.N) })
	row("val samples", func(a *arm) string { return fmt.Sprint(a.valSet.N) })
	row("classes in val", func(a *arm) string { return fmt.Sprint(a.valClasses) })
	row("classes in val never seen in train", func(a *arm) string {
		if len(a.unseen) == 0 {
			return "0"
		}
		s := fmt.Sprintf("%d (%s)", len(a.unseen), strings.Join(a.unseen, ", "))
		if len(s) > 28 {
			s = fmt.Sprintf("%d", len(a.unseen))
		}
		return s
	})
	row("best epoch", func(a *arm) string { return fmt.Sprint(a.res.BestEpoch) })
	row("val_accuracy", func(a *arm) string { return fmt.Sprintf("%.4f", a.res.Best.Accuracy) })
	row("val_loss", func(a *arm) string { return fmt.Sprintf("%.4f", a.res.Best.Loss) })
	if len(arms[0].unseen) > 0 {
		fmt.Fprintf(stdout, "\nkeras-last20 validates on classes it never trained on: %s\n", strings.Join(arms[0].unseen, ", "))
	}
	return nil
}
