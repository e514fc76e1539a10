package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/schema"
)

// Kind names what an Input was read from.
type Kind string

const (
	KindFolder Kind = "folder"   // root/<split>/<class>/... or root/<class>/...
	KindOut    Kind = "augsplit" // an augsplit OUT: manifest.jsonl (+ dataset.json)
	KindCSV    Kind = "csv"      // path,label[,split][,group]
)

// Item is one sample of the dataset under audit.
type Item struct {
	Path   string // as shown in the report: relative to the input, slash separated
	File   string // where to read it; "" when it is not a file of its own (shards)
	Split  string // "" when the input has no splits
	Class  string
	Group  string // what must not straddle splits: source sha256 (OUT), group column (CSV)
	Source string // the group as a person reads it (source path), for messages
	SHA256 string // digest of the file bytes when already known (manifest)
}

// Input is a dataset listed but not yet read: Audit reads the files.
type Input struct {
	Path  string
	Kind  Kind
	Items []Item // in the order a loader reads them: see Load
	// Splits lists the splits in report order (train, val, test, then
	// others by name), including splits that exist but are empty.
	Splits []string
	// Classes lists every class known to the input, including classes
	// with no samples (an empty class folder, a class in the card).
	Classes []string
	Card    *schema.Card // augsplit OUT only; nil when dataset.json is absent
	Notes   []string     // what was skipped while listing, for the report
}

// imageExts are the extensions Keras's directory loaders accept (minus
// ppm, which nothing here decodes), plus GIF.
var imageExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".bmp": true,
	".gif": true, ".tif": true, ".tiff": true,
}

// splitRank orders split folder names; a top-level folder with one of
// these names makes a folder a split layout.
var splitRank = map[string]int{
	schema.Train: 0, "training": 0,
	schema.Val: 1, "valid": 1, "validation": 1, "dev": 1, "eval": 1,
	schema.Test: 2, "testing": 2, "holdout": 2,
}

// sortSplits sorts split names into report order.
func sortSplits(s []string) {
	slices.SortFunc(s, func(a, b string) int {
		ra, oka := splitRank[a]
		rb, okb := splitRank[b]
		if !oka {
			ra = 3
		}
		if !okb {
			rb = 3
		}
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
}

// maxListBytes caps a manifest, card or CSV that Load reads: millions of
// rows, yet a bound (a symlink to /dev/zero is refused before, as not a
// regular file).
const maxListBytes = 16 << 30

// Load lists the dataset at p: a CSV file, an augsplit OUT (a folder with
// manifest.jsonl), or a folder dataset. Items come in the order a loader
// would read them, which is what a Keras validation_split slices: CSV row
// order, manifest order, or for a folder the order of Keras's directory
// iterators (splits, then classes sorted, then files sorted by folder and
// name).
func Load(p string) (Input, error) {
	st, err := os.Stat(p)
	if err != nil {
		return Input{}, fmt.Errorf("read dataset: %w", err)
	}
	if !st.IsDir() {
		return LoadCSV(p)
	}
	if _, err := os.Stat(filepath.Join(p, schema.ManifestFile)); err == nil {
		return LoadOut(p)
	}
	return LoadFolder(p)
}

// LoadFolder lists root/<split>/<class>/... when a top-level folder is
// named like a split (train, val, validation, test, ...), else
// root/<class>/... with no splits. Hidden files and folders are skipped,
// other non-image files counted.
func LoadFolder(root string) (Input, error) {
	in := Input{Path: root, Kind: KindFolder}
	top, err := subdirs(root)
	if err != nil {
		return in, err
	}
	if len(top) == 0 {
		return in, fmt.Errorf("%s: no class or split folders: expected %s/<split>/<class>/<image> or %s/<class>/<image>", root, root, root)
	}
	splitLayout := slices.ContainsFunc(top, func(d string) bool { _, ok := splitRank[d]; return ok })
	classes := map[string]bool{}
	nonImages := 0
	addClass := func(split, class, dir, rel string) error {
		classes[class] = true
		files, n, err := kerasFiles(dir)
		if err != nil {
			return err
		}
		nonImages += n
		for _, f := range files {
			in.Items = append(in.Items, Item{
				Path:  path.Join(rel, filepath.ToSlash(f)),
				File:  filepath.Join(dir, f),
				Split: split,
				Class: class,
			})
		}
		return nil
	}
	if splitLayout {
		sortSplits(top)
		in.Splits = top
		for _, s := range top {
			cls, err := subdirs(filepath.Join(root, s))
			if err != nil {
				return in, err
			}
			for _, c := range cls {
				if err := addClass(s, c, filepath.Join(root, s, c), s+"/"+c); err != nil {
					return in, err
				}
			}
		}
	} else {
		for _, c := range top {
			if err := addClass("", c, filepath.Join(root, c), c); err != nil {
				return in, err
			}
		}
	}
	for c := range classes {
		in.Classes = append(in.Classes, c)
	}
	slices.Sort(in.Classes)
	if nonImages > 0 {
		in.Notes = append(in.Notes, fmt.Sprintf("%d non-image files ignored", nonImages))
	}
	return in, nil
}

// subdirs returns the non-hidden subfolders of dir, sorted.
func subdirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// kerasFiles lists the images under dir (recursively) relative to dir, in
// the order Keras's directory iterator yields them: folders sorted by
// path, files sorted by name within each folder (os.walk sorted by dirpath,
// then sorted(files)). It also counts non-image files.
func kerasFiles(dir string) (files []string, nonImages int, err error) {
	type folder struct {
		rel   string
		files []string
	}
	var folders []folder
	at := map[string]int{} // folder rel -> index in folders
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read dataset: %w", err)
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			at[rel] = len(folders)
			folders = append(folders, folder{rel: rel})
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&os.ModeSymlink == 0 {
			return nil
		}
		if !imageExts[strings.ToLower(filepath.Ext(d.Name()))] {
			nonImages++
			return nil
		}
		f := &folders[at[filepath.Dir(rel)]]
		f.files = append(f.files, d.Name())
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	// Python sorts "a/b" against "a.b" by code point of the whole path;
	// slash-separated comparison matches it on every OS.
	slices.SortFunc(folders, func(a, b folder) int {
		return strings.Compare(filepath.ToSlash(a.rel), filepath.ToSlash(b.rel))
	})
	for _, f := range folders {
		slices.Sort(f.files)
		for _, name := range f.files {
			if f.rel == "." {
				files = append(files, name)
			} else {
				files = append(files, filepath.Join(f.rel, name))
			}
		}
	}
	return files, nonImages, nil
}

// LoadOut lists an augsplit OUT from its manifest, in manifest order. The
// card (dataset.json) supplies the class list and split levels; an OUT
// without one (an interrupted run) is still audited, with a note.
func LoadOut(dir string) (Input, error) {
	in := Input{Path: dir, Kind: KindOut}
	mp := filepath.Join(dir, schema.ManifestFile)
	f, err := safefile.Open(context.Background(), mp, maxListBytes)
	if err != nil {
		return in, fmt.Errorf("read manifest: %w", err)
	}
	defer f.Close()
	splits := map[string]bool{}
	classes := map[string]bool{}
	// schema.ReadManifest checks each record is safe to follow (a path
	// inside OUT, a known split): a manifest is data, not trusted.
	err = schema.ReadManifest(f, mp, func(_ int, r schema.Record) error {
		it := Item{
			Path:   r.Path,
			Split:  r.Split,
			Class:  r.Class,
			Group:  r.SourceSHA256,
			Source: r.Source,
			SHA256: r.SHA256,
		}
		if it.Group == "" {
			it.Group = r.Source
		}
		if r.Path != "" {
			p, err := dataset.Confine(dir, r.Path)
			if err != nil {
				return err
			}
			it.File = p
		} else {
			it.Path = r.ID
		}
		splits[r.Split] = true
		classes[r.Class] = true
		in.Items = append(in.Items, it)
		return nil
	})
	if err != nil {
		return in, fmt.Errorf("read manifest: %w", err)
	}

	cp := filepath.Join(dir, schema.CardFile)
	data, err := safefile.ReadFile(context.Background(), cp, schema.MaxCardBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
		in.Notes = append(in.Notes, "no dataset.json: an unfinished run? split levels unknown, every straddling source counts as a leak")
	case err != nil:
		return in, fmt.Errorf("read card: %w", err)
	default:
		c, err := schema.ReadCard(bytes.NewReader(data), cp)
		if err != nil {
			return in, err
		}
		in.Card = c
		for _, s := range c.Splits {
			splits[s] = true
		}
		for _, cl := range c.Classes {
			classes[cl] = true
		}
	}
	for s := range splits {
		in.Splits = append(in.Splits, s)
	}
	sortSplits(in.Splits)
	for c := range classes {
		in.Classes = append(in.Classes, c)
	}
	slices.Sort(in.Classes)
	return in, nil
}

// LoadCSV lists a CSV with a header naming the columns path and label
// (or class), and optionally split and group, in any order. Relative paths
// are relative to the CSV's folder. Rows keep their order: it is the
// order a Keras validation_split slices.
func LoadCSV(file string) (Input, error) {
	in := Input{Path: file, Kind: KindCSV}
	f, err := safefile.Open(context.Background(), file, maxListBytes)
	if err != nil {
		return in, fmt.Errorf("read dataset: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return in, fmt.Errorf("%s: empty CSV: want a header path,label[,split][,group]", file)
	}
	if err != nil {
		return in, fmt.Errorf("%s: %w", file, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch h {
		case "file", "filename", "filepath":
			h = "path"
		case "class":
			h = "label"
		}
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	pi, okP := col["path"]
	li, okL := col["label"]
	if !okP || !okL {
		return in, fmt.Errorf("%s: header %q lacks a path or label column: want path,label[,split][,group]", file, strings.Join(header, ","))
	}
	si, hasSplit := col["split"]
	gi, hasGroup := col["group"]
	base := filepath.Dir(file)
	splits := map[string]bool{}
	classes := map[string]bool{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return in, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := r.FieldPos(0)
		p, label := strings.TrimSpace(rec[pi]), strings.TrimSpace(rec[li])
		if p == "" || label == "" {
			return in, fmt.Errorf("%s line %d: empty path or label", file, line)
		}
		it := Item{Path: p, Class: label}
		if filepath.IsAbs(p) {
			it.File = p
		} else {
			it.File = filepath.Join(base, filepath.FromSlash(p))
		}
		if hasSplit {
			it.Split = strings.TrimSpace(rec[si])
			if it.Split == "" {
				return in, fmt.Errorf("%s line %d: empty split", file, line)
			}
			splits[it.Split] = true
		}
		if hasGroup {
			it.Group = strings.TrimSpace(rec[gi])
			it.Source = it.Group
		}
		// Checked here, not only when read: without a split column the
		// files are never opened, and a list naming missing files is
		// still a broken input.
		if _, err := os.Stat(it.File); err != nil {
			return in, fmt.Errorf("%s line %d: %w", file, line, err)
		}
		classes[label] = true
		in.Items = append(in.Items, it)
	}
	if len(in.Items) == 0 {
		return in, fmt.Errorf("%s: no rows after the header", file)
	}
	for s := range splits {
		in.Splits = append(in.Splits, s)
	}
	sortSplits(in.Splits)
	for c := range classes {
		in.Classes = append(in.Classes, c)
	}
	slices.Sort(in.Classes)
	return in, nil
}
