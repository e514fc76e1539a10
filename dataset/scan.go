package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/schema"
)

// ScanOptions set the limits and policies of Scan.
type ScanOptions struct {
	MaxPixels      int  // per image; <= 0 means DefaultMaxPixels
	SkipBad        bool // skip (and list) files that fail to decode instead of failing
	FollowSymlinks bool // allow symlinks that point outside the scanned folder
	// UnicodeNames keeps non-ASCII letters and digits in class names and
	// stems (SanitizeName) instead of reducing them to ASCII ("細胞" stays
	// "細胞" rather than "x_<hash>"). generate and split turn it on; the
	// writer accepts such ids and writes their tar members as PAX.
	UnicodeNames bool
	// SkipBadFlag and MaxPixelsFlag name the caller's flags that errors
	// may advise ("--skip-bad", "--max-pixels"); "" leaves that advice out,
	// for a command without such a flag.
	SkipBadFlag, MaxPixelsFlag string
}

// Tree is a scanned labelled source folder. It holds no pixels: Load
// decodes a source again when it is needed, so memory does not grow with
// the number of sources.
type Tree struct {
	Root      string
	Classes   []Class  // sorted by output name
	Sources   []Source // sorted by class, then path
	Skipped   []schema.Skipped
	NonImages int // files without an image extension, ignored
	Hidden    int // files and folders whose name starts with '.', ignored (each hidden class folder also has a Warnings line)
	Renamed   []schema.Renamed
	Warnings  []string

	maxPixels int
}

// Class is one class folder.
type Class struct {
	Name    string // sanitised, as written to OUT and classes.txt
	Dir     string // folder name as found under Root
	Sources int    // number of distinct sources
}

// Source is one input image.
type Source struct {
	Class  string // sanitised class name
	Path   string // relative to Root, slash separated
	Stem   string // sanitised file stem, unique in the whole tree (for sample ids)
	SHA256 string // of the file bytes
	Width  int
	Height int
	Format string // png, jpeg, tiff, bmp or gif (sniffed, not from the extension)
	// What decoding does besides reading pixels (see Decoded), for the
	// caller to say and record. Width and Height are after Orientation,
	// as the image is used.
	Orientation int
	Frames      int
	Reduced     bool
}

// imageExts are the extensions Scan treats as images. A file with one of
// them that does not decode is an error; any other file is counted and
// ignored.
var imageExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".tif": true, ".tiff": true,
	".bmp": true, ".gif": true,
}

// IsImageName reports whether name has an image extension Scan reads.
func IsImageName(name string) bool {
	return imageExts[strings.ToLower(filepath.Ext(name))]
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// maxListedBad bounds the files a BadFilesError lists: enough to fix a
// batch at a time, short enough to read in a terminal.
const maxListedBad = 20

// BadFilesError is every image file of the scan that could not be read
// (*DecodeError or *TooLargeError), so that they can all be fixed before
// the next run rather than one per run. Errs holds the first maxListedBad
// in scan order; errors.As reaches each of them.
type BadFilesError struct {
	Errs  []error
	Total int
	// SkipBadFlag is advised as the way to leave the files out; "" when
	// the command has no such flag.
	SkipBadFlag string
}

func (e *BadFilesError) Error() string {
	var b strings.Builder
	if e.SkipBadFlag != "" {
		fmt.Fprintf(&b, "%d image file(s) cannot be read; fix or remove them, or pass %s to leave them out (they are listed in the card):", e.Total, e.SkipBadFlag)
	} else {
		fmt.Fprintf(&b, "%d image file(s) cannot be read; fix or remove them:", e.Total)
	}
	for _, err := range e.Errs {
		b.WriteString("\n\t")
		b.WriteString(badReason(err))
	}
	if more := e.Total - len(e.Errs); more > 0 {
		fmt.Fprintf(&b, "\n\t... and %d more", more)
	}
	return b.String()
}

func (e *BadFilesError) Unwrap() []error { return e.Errs }

// badReason describes one unreadable file without DecodeError's advice:
// in a BadFilesError the advice is given once, and in the card's skipped
// list the files were already left out.
func badReason(err error) string {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.reason()
	}
	return err.Error()
}

// isBadFile reports whether err is a problem of the file itself (which
// --skip-bad skips) rather than of the tree or the system: its content, or
// what it is (a named pipe, a device, too many bytes).
func isBadFile(err error) bool {
	var de *DecodeError
	var tl *TooLargeError
	return errors.As(err, &de) || errors.As(err, &tl) || safefile.IsRefused(err)
}

// NoClassesError is a folder with no class subfolders.
type NoClassesError struct{ Dir string }

func (e *NoClassesError) Error() string {
	return fmt.Sprintf("%s: no class subfolders: expected one folder per class, e.g. %s",
		e.Dir, filepath.Join(e.Dir, "<class>", "<image>.png"))
}

// EmptyClassError is a class folder without a single usable image.
type EmptyClassError struct {
	Dir       string
	NonImages int
	Skipped   int
}

func (e *EmptyClassError) Error() string {
	return fmt.Sprintf("%s: class folder has no images (%d non-image files, %d skipped): "+
		"expected PNG, JPEG, TIFF, BMP or GIF files; add images or remove the folder",
		e.Dir, e.NonImages, e.Skipped)
}

// ClassCountError is a tree with fewer than two classes.
type ClassCountError struct {
	Dir     string
	Classes []string
}

func (e *ClassCountError) Error() string {
	return fmt.Sprintf("%s: found %d class folder(s) %q: need at least 2 classes, one subfolder each",
		e.Dir, len(e.Classes), e.Classes)
}

// LabelConflictError is the same content under two classes: one of the
// labels is wrong, and either way the sample would be in train and val.
type LabelConflictError struct {
	SHA256 string
	A, B   string // paths, relative to the root
}

func (e *LabelConflictError) Error() string {
	return fmt.Sprintf("label conflict: %s and %s have the same content (sha256 %s) but are in different classes; "+
		"remove the one with the wrong label", e.A, e.B, shortSHA(e.SHA256))
}

// SymlinkError is a symlink Scan refuses: a loop, a dangling link, or one
// pointing outside the scanned folder without FollowSymlinks.
type SymlinkError struct {
	Path   string
	Target string
	Msg    string
}

func (e *SymlinkError) Error() string {
	if e.Target == "" {
		return fmt.Sprintf("%s: symlink %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: symlink to %s %s", e.Path, e.Target, e.Msg)
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

type scanner struct {
	ctx      context.Context
	root     string // as given, cleaned
	realRoot string
	opts     ScanOptions
	tree     *Tree

	bad         []error // unreadable files without SkipBad, the first maxListedBad
	badTotal    int
	hiddenOther int // hidden entries not reported by a Warnings line of their own

	sanitize func(string) string // class names and stems: SanitizeName or ASCII only
}

// Scan reads a labelled source folder: one subfolder per class, images
// found recursively inside each. Every image is hashed and fully decoded
// once (and dropped), so a corrupt file fails the scan, not the run.
func Scan(ctx context.Context, dir string, opts ScanOptions) (*Tree, error) {
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = DefaultMaxPixels
	}
	s, err := newScanner(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	classDirs, err := s.classDirs()
	if err != nil {
		return nil, err
	}
	all, err := s.scanClasses(classDirs)
	if err != nil {
		return nil, err
	}
	if err := s.dedupe(all); err != nil {
		return nil, err
	}
	s.collect(all)
	return s.tree, nil
}

// newScanner checks that dir is a folder and resolves its real path, the
// reference for symlinks that point outside it.
func newScanner(ctx context.Context, dir string, opts ScanOptions) (*scanner, error) {
	root := filepath.Clean(dir)
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("input folder: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("input %s: not a folder: expected one subfolder per class", root)
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("input folder: %w", err)
	}
	if real, err = filepath.Abs(real); err != nil {
		return nil, fmt.Errorf("input folder: %w", err)
	}
	s := &scanner{ctx: ctx, root: root, realRoot: real, opts: opts,
		tree: &Tree{Root: root, maxPixels: opts.MaxPixels}}
	s.sanitize = sanitizeASCII
	if opts.UnicodeNames {
		s.sanitize = SanitizeName
	}
	return s, nil
}

// classDirs lists the class folders of the root: at least two, hidden
// entries skipped (and reported), loose files counted.
func (s *scanner) classDirs() ([]string, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("read input folder: %w", err)
	}
	var classDirs []string
	loose := 0
	for _, e := range entries {
		if hidden(e.Name()) {
			s.skipHiddenTop(filepath.Join(s.root, e.Name()), e.Name())
			continue
		}
		isDir, err := s.entryIsDir(filepath.Join(s.root, e.Name()), e, map[string]bool{s.realRoot: true})
		if err != nil {
			return nil, err
		}
		if isDir {
			classDirs = append(classDirs, e.Name())
		} else {
			loose++
		}
	}
	if len(classDirs) == 0 {
		return nil, &NoClassesError{Dir: s.root}
	}
	if loose > 0 {
		s.tree.Warnings = append(s.tree.Warnings,
			fmt.Sprintf("%s: %d file(s) outside any class folder ignored", s.root, loose))
	}
	if len(classDirs) < 2 {
		return nil, &ClassCountError{Dir: s.root, Classes: classDirs}
	}
	return classDirs, nil
}

// classFound is one class folder's sources, before duplicates are removed.
type classFound struct {
	dir  string // as found under the root
	name string // sanitised, unique: the class name
	srcs []Source
}

// NormalFormError is two class folders whose names differ only in their
// Unicode normal form ("über" precomposed, NFC, and decomposed, NFD, as
// macOS writes it): one class to the user, two folders to the file system.
// Merging them behind the user's back could hide a real mistake, and
// keeping both would make two classes of one, so Scan refuses.
type NormalFormError struct {
	Root string
	A, B string // the folder names, as found
}

func (e *NormalFormError) Error() string {
	return fmt.Sprintf("%s: class folders %s and %s have the same name in different Unicode forms (precomposed and decomposed, as macOS writes names; one was probably copied from another machine): move the images of one into the other and remove it",
		e.Root, strconv.Quote(e.A), strconv.Quote(e.B))
}

// sameNormalForm refuses two class folders that are one name in NFC.
func sameNormalForm(root string, classDirs []string) error {
	seen := map[string]string{}
	for _, d := range classDirs {
		k := norm.NFC.String(d)
		if prev, ok := seen[k]; ok {
			a, b := min(prev, d), max(prev, d)
			return &NormalFormError{Root: root, A: a, B: b}
		}
		seen[k] = d
	}
	return nil
}

// scanClasses scans every class folder and returns them sorted by class
// name. Unreadable images are gathered into one BadFilesError.
func (s *scanner) scanClasses(classDirs []string) ([]classFound, error) {
	if err := sameNormalForm(s.root, classDirs); err != nil {
		return nil, err
	}
	names := uniqueNames(classDirs, func(s string) string { return s }, s.sanitize)
	var all []classFound
	for _, d := range classDirs {
		srcs, err := s.scanClass(d, names[d])
		if err != nil {
			return nil, err
		}
		all = append(all, classFound{dir: d, name: names[d], srcs: srcs})
	}
	if s.badTotal > 0 {
		return nil, &BadFilesError{Errs: s.bad, Total: s.badTotal, SkipBadFlag: s.opts.SkipBadFlag}
	}

	if s.hiddenOther > 0 {
		s.tree.Warnings = append(s.tree.Warnings, fmt.Sprintf(
			"%s: ignored %d hidden file(s) or folder(s) (names starting with '.')", s.root, s.hiddenOther))
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	return all, nil
}

// dedupe handles duplicate content: across classes it is a wrong label;
// within a class the copy adds nothing but weight, so it is counted once.
func (s *scanner) dedupe(all []classFound) error {
	first := map[string]Source{}
	for i := range all {
		kept := all[i].srcs[:0]
		for _, src := range all[i].srcs {
			if prev, ok := first[src.SHA256]; ok {
				if prev.Class != src.Class {
					return &LabelConflictError{SHA256: src.SHA256, A: prev.Path, B: src.Path}
				}
				s.tree.Warnings = append(s.tree.Warnings, fmt.Sprintf(
					"%s and %s have the same content; counted once", prev.Path, src.Path))
				continue
			}
			first[src.SHA256] = src
			kept = append(kept, src)
		}
		all[i].srcs = kept
		if len(kept) == 0 {
			return &EmptyClassError{Dir: filepath.Join(s.root, all[i].dir)}
		}
	}
	return nil
}

// collect fills the tree's classes and sources, gives every source a stem
// unique in the tree, and records each renamed class and file.
func (s *scanner) collect(all []classFound) {
	var paths []string
	for _, f := range all {
		if f.name != f.dir {
			s.tree.Renamed = append(s.tree.Renamed, schema.Renamed{From: quoteName(f.dir), To: f.name})
		}
		s.tree.Classes = append(s.tree.Classes, Class{Name: f.name, Dir: f.dir, Sources: len(f.srcs)})
		for _, src := range f.srcs {
			paths = append(paths, src.Path)
		}
		s.tree.Sources = append(s.tree.Sources, f.srcs...)
	}
	stems := uniqueNames(paths, func(p string) string {
		b := path.Base(p)
		return strings.TrimSuffix(b, path.Ext(b))
	}, s.sanitize)
	for i := range s.tree.Sources {
		src := &s.tree.Sources[i]
		src.Stem = stems[src.Path]
		b := path.Base(src.Path)
		if orig := strings.TrimSuffix(b, path.Ext(b)); orig != src.Stem {
			s.tree.Renamed = append(s.tree.Renamed, schema.Renamed{From: quoteName(src.Path), To: src.Stem})
		}
	}
}

// skipHiddenTop records a hidden entry of the root. A hidden folder there
// may well be a class the user meant (".raw"), so it gets a warning of its
// own with the number of images it holds; other hidden entries are
// counted with the rest.
func (s *scanner) skipHiddenTop(p, name string) {
	s.tree.Hidden++
	fi, err := os.Stat(p)
	if err != nil || !fi.IsDir() {
		s.hiddenOther++
		return
	}
	images, seen := 0, 0
	more := ""
	// Only counting: errors (unreadable subfolders) just stop the count
	// there, WalkDir does not follow symlinks, so loops cannot hang it, and
	// the walk is bounded so a hidden cache of millions of files does not
	// slow every scan down.
	_ = filepath.WalkDir(p, func(_ string, d os.DirEntry, err error) error {
		if seen++; seen > maxHiddenWalk {
			more = "at least "
			return filepath.SkipAll
		}
		if err == nil && !d.IsDir() && IsImageName(d.Name()) {
			images++
		}
		return nil
	})
	if images == 0 {
		// .git, .cache and the like: not a class anyone meant.
		s.hiddenOther++
		return
	}
	s.tree.Warnings = append(s.tree.Warnings, fmt.Sprintf(
		"%s: ignored hidden folder %q (%s%d image(s)); remove the leading '.' to use it as a class", s.root, name, more, images))
}

// bigImagePixels is the size from which Scan frees a decoded image at once.
const bigImagePixels = 16 << 20

// maxHiddenWalk bounds the entries skipHiddenTop looks at in one hidden
// folder.
const maxHiddenWalk = 100000

// entryIsDir follows a symlink entry under the policy (loops, outside
// links) and reports whether it is a folder. ancestors are the real paths
// of the folders on the way down, for loop detection.
func (s *scanner) entryIsDir(p string, e os.DirEntry, ancestors map[string]bool) (bool, error) {
	if e.Type()&os.ModeSymlink == 0 {
		return e.IsDir(), nil
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, &SymlinkError{Path: p, Msg: "points to nothing (dangling)"}
		}
		// EvalSymlinks gives up after 255 hops: a chain of links in a loop.
		return false, &SymlinkError{Path: p, Msg: fmt.Sprintf("cannot be resolved, probably a loop: %v", err)}
	}
	if target, err = filepath.Abs(target); err != nil {
		return false, fmt.Errorf("resolve %s: %w", p, err)
	}
	if !within(s.realRoot, target) && !s.opts.FollowSymlinks {
		return false, &SymlinkError{Path: p, Target: target,
			Msg: "points outside the input folder; pass --follow-symlinks to allow it"}
	}
	fi, err := os.Stat(p)
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", p, err)
	}
	if fi.IsDir() && ancestors[target] {
		return false, &SymlinkError{Path: p, Target: target, Msg: "is a loop: it points to a folder that contains it"}
	}
	return fi.IsDir(), nil
}

// scanClass walks one class folder recursively in sorted order.
func (s *scanner) scanClass(dir, class string) ([]Source, error) {
	classPath := filepath.Join(s.root, dir)
	real, err := filepath.EvalSymlinks(classPath)
	if err != nil {
		return nil, fmt.Errorf("class folder %s: %w", classPath, err)
	}
	real, _ = filepath.Abs(real)
	ancestors := map[string]bool{s.realRoot: true, real: true}
	var srcs []Source
	nonImages, skipped, bad := 0, 0, 0
	var walk func(p, rel string) error
	walk = func(p, rel string) error {
		entries, err := os.ReadDir(p)
		if err != nil {
			return fmt.Errorf("read folder %s: %w", p, err)
		}
		for _, e := range entries {
			if err := s.ctx.Err(); err != nil {
				return err
			}
			if hidden(e.Name()) {
				s.tree.Hidden++
				s.hiddenOther++
				continue
			}
			ep := filepath.Join(p, e.Name())
			erel := path.Join(rel, e.Name())
			isDir, err := s.entryIsDir(ep, e, ancestors)
			if err != nil {
				return err
			}
			if isDir {
				r, err := filepath.EvalSymlinks(ep)
				if err != nil {
					return fmt.Errorf("resolve %s: %w", ep, err)
				}
				r, _ = filepath.Abs(r)
				ancestors[r] = true
				err = walk(ep, erel)
				delete(ancestors, r)
				if err != nil {
					return err
				}
				continue
			}
			if !IsImageName(e.Name()) {
				nonImages++
				continue
			}
			src, err := s.readSource(ep, erel, class)
			if err != nil && isBadFile(err) {
				if s.opts.SkipBad {
					skipped++
					// The card records paths relative to the input folder,
					// never the machine's (issue 11).
					s.tree.Skipped = append(s.tree.Skipped, schema.Skipped{Path: EscapePath(erel), Reason: strings.ReplaceAll(badReason(err), ep, EscapePath(erel))})
					continue
				}
				// Go on: the user gets the whole list in one run.
				bad++
				s.badTotal++
				if len(s.bad) < maxListedBad {
					s.bad = append(s.bad, err)
				}
				continue
			}
			if err != nil {
				return err
			}
			srcs = append(srcs, src)
		}
		return nil
	}
	if err := walk(classPath, dir); err != nil {
		return nil, err
	}
	s.tree.NonImages += nonImages
	sort.Slice(srcs, func(i, j int) bool { return srcs[i].Path < srcs[j].Path })
	if len(srcs) == 0 && bad == 0 {
		// With unreadable files the class is not empty, it is broken: Scan
		// reports those files instead.
		return nil, &EmptyClassError{Dir: classPath, NonImages: nonImages, Skipped: skipped}
	}
	return srcs, nil
}

func (s *scanner) readSource(p, rel, class string) (Source, error) {
	d, sum, err := DecodeFile(s.ctx, p, s.opts.MaxPixels)
	if err != nil {
		var tl *TooLargeError
		if errors.As(err, &tl) {
			tl.Flag = s.opts.MaxPixelsFlag
		}
		return Source{}, err
	}
	b := d.Image.Bounds()
	if b.Dx()*b.Dy() >= bigImagePixels {
		// The pixels are dropped here and decoded again when used; left
		// to the GC's pacing, the two copies would coexist (2x the peak).
		d.Image = nil
		runtime.GC()
	}
	return Source{Class: class, Path: rel, SHA256: sum, Width: b.Dx(), Height: b.Dy(), Format: d.Format,
		Orientation: d.Orientation, Frames: d.Frames, Reduced: d.Reduced}, nil
}

// DecodeFile decodes the image file at p as DecodeImage does and returns
// the sha256 (hex) of all of its bytes, hashed in the read that decodes
// it. The file must be a regular one (a FIFO or a device is refused
// without blocking: *safefile.NotRegularError) of at most
// SourceMaxBytes(maxPixels) bytes, and reading stops when ctx is done.
func DecodeFile(ctx context.Context, p string, maxPixels int) (*Decoded, string, error) {
	f, err := safefile.Open(ctx, p, SourceMaxBytes(maxPixels))
	if err != nil {
		if safefile.IsRefused(err) || ctx.Err() != nil {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("open image: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	d, err := decodeSeeker(p, f, maxPixels, h)
	if err != nil {
		return nil, "", err
	}
	return d, hex.EncodeToString(h.Sum(nil)), nil
}

// ChangedError is a source whose bytes changed between Scan and Load:
// the run would no longer be what the card says.
type ChangedError struct {
	Path       string
	Want, Have string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s: file changed since it was scanned (sha256 %s, was %s); re-run the command",
		e.Path, shortSHA(e.Have), shortSHA(e.Want))
}

// Load decodes src again, checking that its bytes are still the ones Scan
// hashed. The result is normalised as by Decode.
func (t *Tree) Load(ctx context.Context, src Source) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := filepath.Join(t.Root, filepath.FromSlash(src.Path))
	d, sum, err := DecodeFile(ctx, p, t.maxPixels)
	if err != nil {
		return nil, err
	}
	if sum != src.SHA256 {
		return nil, &ChangedError{Path: p, Want: src.SHA256, Have: sum}
	}
	return d.Image, nil
}
