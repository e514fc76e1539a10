package writer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/augsplit/augsplit/schema"
)

// What augsplit may remove from OUT is what it can prove it wrote; the rest
// is the user's, and a user's file under one of augsplit's names is a
// refusal, --force or not (issue 11: --force used to remove train/, test/
// and the rest whole).

// pictures are what augsplit preview writes into a finished dataset; old
// ones would mislead next to a new dataset, so Force removes them, but only
// from a folder that holds a sealed augsplit card.
var pictures = []string{"preview.png", "splits.png"}

// augsplitNames are the entries of OUT augsplit writes to: where a foreign
// file is refused rather than kept.
func augsplitNames() []string {
	return append(append(schema.Splits(), schema.FormatWebDataset, schema.FormatTFRecord,
		schema.ManifestFile, schema.CardFile, schema.ClassesFile, schema.MarkerFile,
		schema.StageDir, schema.PartsDir, schema.CroissantFile, schema.ReadmeFile), pictures...)
}

// shardName matches the shard files the writer names (shard.go).
// Five digits since 0.3.0 (six before; a sealed card proves older names)
// and more once a split has 100000 shards; index.json is the shard index.
var shardName = regexp.MustCompile(`^((train|val|test)-[0-9]{5,}(\.tar|-of-[0-9]{5,}\.tfrecord|-of-\(pending\))|index\.json)$`)

// sampleExts are the extensions of the sample files augsplit writes
// (generated PNGs; split copies sources in their own format).
var sampleExts = []string{".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}

// survey is what Open found in OUT.
type survey struct {
	owned   []string // files augsplit wrote, relative, slash separated; the card first
	dirs    []string // augsplit's folders, deepest first (removed when empty)
	temps   []string // augsplit's temporary files (IsTemp), anywhere
	foreign string   // first entry under an augsplit name it cannot prove it wrote
	other   string   // first top-level entry that is not augsplit's (kept)
}

// empty reports whether OUT holds no file but augsplit's temporaries
// (folders under augsplit's names may remain: they are removed if empty).
func (s *survey) empty() bool { return len(s.owned) == 0 && s.other == "" && s.foreign == "" }

// sealedCard reads OUT's card when it is one augsplit sealed, else nil.
func (o *Out) sealedCard() *schema.Card {
	data, err := o.fs.ReadFile(o.path(schema.CardFile))
	if err != nil || schema.CheckCardSeal(data) != "" {
		return nil
	}
	card, err := schema.ReadCard(strings.NewReader(string(data)), schema.CardFile)
	if err != nil {
		return nil
	}
	return card
}

// listed returns the files a sealed card proves augsplit wrote: its
// manifest (when its sha256 is the card's) and the manifest's samples, the
// card's shards, classes.txt, the card itself and the pictures.
func (o *Out) listed(card *schema.Card) map[string]bool {
	set := map[string]bool{schema.CardFile: true, schema.ClassesFile: true, schema.MarkerFile: true}
	for _, p := range pictures {
		set[p] = true
	}
	for _, sh := range card.Shards {
		if schema.ValidPath(sh.Path) {
			set[sh.Path] = true
		}
	}
	for _, f := range card.Formats {
		if f == schema.FormatWebDataset || f == schema.FormatTFRecord {
			set[f+"/"+schema.IndexFile] = true
		}
	}
	// croissant.json and README.md are ours when their bytes are the
	// ones the card seals: a README.md the user wrote over it is kept.
	for _, m := range card.Metadata {
		if data, err := o.fs.ReadFile(o.path(m.Path)); err == nil && schema.ValidPath(m.Path) {
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) == m.SHA256 {
				set[m.Path] = true
			}
		}
	}
	r, err := o.fs.Open(o.path(schema.ManifestFile))
	if err != nil {
		return set
	}
	defer r.Close()
	h := sha256.New()
	var paths []string
	err = schema.ReadManifest(io.TeeReader(r, h), schema.ManifestFile, func(_ int, rec schema.Record) error {
		if rec.Path != "" {
			paths = append(paths, rec.Path)
		}
		return nil
	})
	if err != nil || hex.EncodeToString(h.Sum(nil)) != card.ManifestSHA256 {
		return set // not the card's manifest: it and the samples are unproven
	}
	set[schema.ManifestFile] = true
	for _, p := range paths {
		set[p] = true
	}
	return set
}

// shaped reports whether rel has the shape of a file an unfinished run
// writes: OUT's own files, <split>/<class>/<id><ext> (also staged, below
// schema.StageDir), <format>/<shard>.
// Used only when the run marker shows augsplit was writing OUT, which
// lists no files before its card.
func shaped(rel string) bool {
	if partsFile(rel) {
		return true
	}
	parts := strings.Split(rel, "/")
	switch len(parts) {
	case 1:
		return slices.Contains([]string{schema.ManifestFile, schema.ClassesFile, schema.MarkerFile, schema.CroissantFile, schema.ReadmeFile}, rel)
	case 2:
		return (parts[0] == schema.FormatWebDataset || parts[0] == schema.FormatTFRecord) && shardName.MatchString(parts[1])
	case 3:
		ext := path.Ext(parts[2])
		return schema.IsSplit(parts[0]) && schema.ValidName(parts[1]) &&
			slices.Contains(sampleExts, ext) && schema.CheckID(strings.TrimSuffix(parts[2], ext)) == nil
	case 4:
		return parts[0] == schema.StageDir && shaped(path.Join(parts[1:]...))
	}
	return false
}

// partsFile reports whether rel is one of the files parts keep under
// schema.PartsDir until seal (plan record, parts count, units' manifests
// and summaries).
func partsFile(rel string) bool {
	if rel == schema.PartsPlanFile {
		return true
	}
	if unit, ok := strings.CutPrefix(rel, schema.PartsUnitsDir+"/"); ok {
		return unitFile.MatchString(unit)
	}
	if name, ok := strings.CutPrefix(rel, schema.PartsDir+"/"); ok {
		return partsName.MatchString(name)
	}
	return false
}

// survey sorts OUT's entries into augsplit's (proven by card, listed, or
// by marker and shape), temporaries, foreign ones under augsplit's names,
// and the user's other entries.
func (o *Out) survey(card *schema.Card, marker bool) (*survey, error) {
	s := &survey{}
	var set map[string]bool
	if card != nil {
		set = o.listed(card)
	}
	ours := func(rel string) bool {
		if set != nil {
			return set[rel]
		}
		return marker && shaped(rel)
	}
	var walk func(rel string) error
	walk = func(rel string) error {
		entries, err := o.fs.ReadDir(filepath.Join(o.dir, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("list %s: %w", filepath.Join(o.dir, filepath.FromSlash(rel)), err)
		}
		for _, e := range entries {
			r := path.Join(rel, e.Name())
			switch {
			case IsTemp(e.Name()) && !e.IsDir():
				s.temps = append(s.temps, r)
			case e.IsDir() && e.Type()&fs.ModeSymlink == 0 && sampleTree(rel): // split and class folders
				if err := walk(r); err != nil {
					return err
				}
			case e.Type().IsRegular() && ours(r):
				s.owned = append(s.owned, r)
			default:
				if s.foreign == "" {
					s.foreign = r
				}
			}
		}
		s.dirs = append(s.dirs, rel)
		return nil
	}
	entries, err := o.fs.ReadDir(o.dir)
	if err != nil {
		return nil, fmt.Errorf("list output folder: %w", err)
	}
	names := augsplitNames()
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == schema.LockFile:
		case IsTemp(name) && !e.IsDir():
			s.temps = append(s.temps, name)
		case !slices.Contains(names, name):
			if s.other == "" {
				s.other = name
			}
		case e.IsDir() && e.Type()&fs.ModeSymlink == 0 && (schema.IsSplit(name) || name == schema.StageDir || name == schema.PartsDir || name == schema.FormatWebDataset || name == schema.FormatTFRecord):
			if err := walk(name); err != nil {
				return nil, err
			}
		case e.Type().IsRegular() && ours(name):
			s.owned = append(s.owned, name)
		default:
			if s.foreign == "" {
				s.foreign = name
			}
		}
	}
	// The card goes first: a card must never outlive its manifest or
	// samples, and without it OUT reads as unfinished.
	slices.SortStableFunc(s.owned, func(a, b string) int {
		return rank(a) - rank(b)
	})
	slices.SortStableFunc(s.dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	return s, nil
}

// sampleTree reports whether rel is a folder whose subfolders hold samples:
// a split folder, the staging folder, or a split folder inside it.
func sampleTree(rel string) bool {
	if schema.IsSplit(rel) || rel == schema.StageDir || rel == schema.PartsDir {
		return true
	}
	sp, ok := strings.CutPrefix(rel, schema.StageDir+"/")
	return ok && schema.IsSplit(sp)
}

// rank orders removal: card, pictures, samples and shards, classes.txt,
// manifest, marker.
func rank(rel string) int {
	switch {
	case rel == schema.CardFile:
		return 0
	case slices.Contains(pictures, rel):
		return 1
	case rel == schema.ClassesFile:
		return 3
	case rel == schema.ManifestFile:
		return 4
	case rel == schema.MarkerFile:
		return 5
	}
	return 2
}

// remove deletes the survey's files, temporaries and then augsplit's
// folders that are left empty, and nothing else.
func (o *Out) remove(s *survey) error {
	for _, rel := range s.owned {
		if err := o.fs.Remove(filepath.Join(o.dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("force: %w", err)
		}
	}
	if err := o.removeTempFiles(s); err != nil {
		return err
	}
	for _, rel := range s.dirs {
		err := o.fs.Remove(filepath.Join(o.dir, filepath.FromSlash(rel)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !isNotEmpty(err) {
			return fmt.Errorf("force: %w", err)
		}
	}
	return nil
}

func (o *Out) removeTempFiles(s *survey) error {
	for _, rel := range s.temps {
		if err := o.fs.Remove(filepath.Join(o.dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clean up temporary files: %w", err)
		}
	}
	return nil
}

// isNotEmpty reports a folder that still holds something: kept, as it is
// then not only augsplit's.
func isNotEmpty(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}

// checkSafeDir refuses an OUT that must never be one: the root folder, the
// user's home folder and a folder holding a version-control root.
func (o *Out) checkSafeDir() error {
	abs, err := filepath.Abs(o.dir)
	if err != nil {
		return fmt.Errorf("output folder %s: %w", o.dir, err)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	if abs == filepath.VolumeName(abs)+string(filepath.Separator) {
		return &UnsafeDirError{Dir: o.dir, Why: "the root folder"}
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		if r, err := filepath.EvalSymlinks(home); err == nil {
			home = r
		}
		if filepath.Clean(home) == abs {
			return &UnsafeDirError{Dir: o.dir, Why: "your home folder"}
		}
	}
	for _, vcs := range []struct{ dir, name string }{{".git", "git"}, {".hg", "Mercurial"}, {".svn", "Subversion"}} {
		if _, err := o.fs.Stat(filepath.Join(o.dir, vcs.dir)); err == nil {
			return &UnsafeDirError{Dir: o.dir, Why: fmt.Sprintf("a %s repository (it holds %s)", vcs.name, vcs.dir)}
		}
	}
	return nil
}
