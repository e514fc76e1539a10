package dataset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
	"github.com/augsplit/augsplit/writer"
)

// File names of a generated dataset (owned by writer; repeated here because
// dataset reads what writer writes and must not import its internals).
const (
	CardFile     = "dataset.json"
	ManifestFile = "manifest.jsonl"
	ClassesFile  = "classes.txt"
	PartialFile  = ".augsplit-partial"
)

// Formats a dataset can be written in (Card.Formats, Shard.Format).
const (
	FormatFolder     = "folder"
	FormatWebDataset = "webdataset"
	FormatTFRecord   = "tfrecord"
)

// MaxManifestLine bounds one manifest line: a record is a few hundred bytes
// plus its applied parameters; a longer line is corruption, not data.
const MaxManifestLine = 1 << 20

// maxCardBytes bounds dataset.json, which lists every source.
const maxCardBytes = 256 << 20

// Caps on the other files of an OUT, far above anything augsplit writes
// and far below "reads forever".
const (
	maxManifestBytes = 16 << 30 // ~30 million records
	maxClassesBytes  = 64 << 20
	// maxShardBytes caps a shard whose card entry gives no size.
	maxShardBytes = 64 << 30
)

// sampleMaxBytes caps one sample PNG of rec: twice its raw pixels at the
// widest layout, plus room for headers; DefaultMaxPixels' cap when the
// record gives no usable size.
func sampleMaxBytes(rec *writer.Record) int64 {
	w, h := int64(rec.Width), int64(rec.Height)
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return SourceMaxBytes(DefaultMaxPixels)
	}
	return 2*(8*w+1)*h + 1<<20
}

// shardMaxBytes is the size the card gives a shard, or maxShardBytes.
func shardMaxBytes(sh writer.Shard) int64 {
	if sh.Bytes > 0 {
		return sh.Bytes
	}
	return maxShardBytes
}

// IncompleteError is an OUT without its card: the card is written last, so
// its absence means the run that made OUT did not finish.
type IncompleteError struct{ Dir string }

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%s: dataset is incomplete (no %s): a run was interrupted; re-run the same command to finish it",
		e.Dir, CardFile)
}

// ManifestError is a manifest line that cannot be read.
type ManifestError struct {
	Path string
	Line int
	Err  error
}

func (e *ManifestError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *ManifestError) Unwrap() error { return e.Err }

// Generated is a finished augsplit OUT: its card and manifest.
type Generated struct {
	Dir     string
	Card    writer.Card
	Records []writer.Record // manifest order
}

// Open reads the card and manifest of an augsplit OUT. A missing card is
// *IncompleteError; a bad manifest line is *ManifestError.
func Open(dir string) (*Generated, error) {
	return OpenContext(context.Background(), dir)
}

// OpenContext is Open whose reads stop when ctx is done.
func OpenContext(ctx context.Context, dir string) (*Generated, error) {
	card, err := readCard(ctx, dir)
	if err != nil {
		return nil, err
	}
	g := &Generated{Dir: dir, Card: *card}
	mp := filepath.Join(dir, ManifestFile)
	f, err := safefile.Open(ctx, mp, maxManifestBytes)
	if err != nil {
		return nil, fmt.Errorf("open manifest: %w", err)
	}
	defer f.Close()
	ids := map[string]int{}
	err = ReadManifest(f, mp, func(line int, rec writer.Record) error {
		if prev, dup := ids[rec.ID]; dup {
			return &ManifestError{Path: mp, Line: line, Err: fmt.Errorf("id %q already used on line %d", rec.ID, prev)}
		}
		ids[rec.ID] = line
		g.Records = append(g.Records, rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// ReadCard reads only the card of an augsplit OUT (bounded, as Open does):
// for a summary of a dataset already verified, without its manifest.
func ReadCard(ctx context.Context, dir string) (*writer.Card, error) { return readCard(ctx, dir) }

func readCard(ctx context.Context, dir string) (*writer.Card, error) {
	cp := filepath.Join(dir, CardFile)
	f, err := safefile.Open(ctx, cp, maxCardBytes)
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return nil, fmt.Errorf("dataset folder: %w", serr)
		}
		return nil, &IncompleteError{Dir: dir}
	}
	if err != nil {
		return nil, fmt.Errorf("open dataset card: %w", err)
	}
	defer f.Close()
	var card writer.Card
	dec := json.NewDecoder(f)
	if err := dec.Decode(&card); err != nil {
		return nil, fmt.Errorf("%s: not a valid dataset card: %w", cp, err)
	}
	return &card, nil
}

// ReadManifest calls fn for each record of a manifest in order. Lines are
// bounded by MaxManifestLine; each must be one JSON record with a safe id,
// class and path. Errors are *ManifestError naming the file and line, or
// whatever fn returns.
func ReadManifest(r io.Reader, name string, fn func(line int, rec writer.Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxManifestLine)
	line := 0
	for sc.Scan() {
		line++
		rec, err := ParseRecord(sc.Bytes())
		if err != nil {
			return &ManifestError{Path: name, Line: line, Err: err}
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &ManifestError{Path: name, Line: line + 1, Err: fmt.Errorf("line longer than %d bytes", MaxManifestLine)}
		}
		return &ManifestError{Path: name, Line: line + 1, Err: err}
	}
	return nil
}

// ParseRecord parses one manifest line. Beyond JSON syntax it checks what
// a reader relies on for safety: an id and class usable as path elements,
// a known split, and a path that stays inside OUT.
func ParseRecord(line []byte) (writer.Record, error) {
	var rec writer.Record
	if len(bytes.TrimSpace(line)) == 0 {
		return rec, errors.New("empty line")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&rec); err != nil {
		return rec, fmt.Errorf("not a JSON record: %w", err)
	}
	if dec.More() {
		return rec, errors.New("text after the JSON record")
	}
	switch {
	case !safeName(rec.ID):
		return rec, fmt.Errorf("id %q: want letters, digits, '-' or '_'", rec.ID)
	case rec.Split != writer.Train && rec.Split != writer.Val && rec.Split != writer.Test:
		return rec, fmt.Errorf("split %q: want train, val or test", rec.Split)
	case !safeName(rec.Class):
		return rec, fmt.Errorf("class %q: want letters, digits, '-' or '_'", rec.Class)
	case rec.ClassIndex < 0:
		return rec, fmt.Errorf("class_index %d is negative", rec.ClassIndex)
	case !isSHA256(rec.SHA256):
		return rec, fmt.Errorf("sha256 %q: want 64 lowercase hex digits", rec.SHA256)
	case rec.Path != "" && !safeRel(rec.Path):
		return rec, fmt.Errorf("path %q: want a relative slash-separated path inside the dataset", rec.Path)
	}
	return rec, nil
}

// safeName accepts what SanitizeName can produce: letters, digits and
// combining marks of any script, '-' and '_', in valid UTF-8. Unicode is
// accepted already, ahead of the writer, so that datasets written once
// writer takes Unicode ids (Scan's UnicodeNames) can be read back; dots,
// separators, spaces and control characters stay refused.
func safeName(s string) bool {
	if s == "" || len(s) > 255 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' ||
			r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r))) {
			return false
		}
	}
	return true
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// safeRel accepts a clean relative slash path that cannot leave its root
// on any OS: no "..", no backslash, no drive colon, no control bytes.
func safeRel(p string) bool {
	if p == "" || p == "." || path.IsAbs(p) || path.Clean(p) != p || strings.ContainsAny(p, "\\:") {
		return false
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." || el == "." || el == "" {
			return false
		}
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return false
		}
	}
	return true
}

// isOUT reports whether root looks like an augsplit OUT (finished or not)
// rather than a plain ImageFolder.
func isOUT(root string) bool {
	for _, n := range []string{CardFile, ManifestFile, PartialFile} {
		if _, err := os.Lstat(filepath.Join(root, n)); err == nil {
			return true
		}
	}
	return false
}

// Classes returns the class list whose indexes are labels: classes.txt of
// an augsplit OUT (else its card), or for a plain ImageFolder the sorted
// union of the class folders of all its splits, so a class missing from
// one split does not shift the labels of the others.
func Classes(root string) ([]string, error) {
	if isOUT(root) {
		b, err := safefile.ReadFile(context.Background(), filepath.Join(root, ClassesFile), maxClassesBytes)
		if err == nil {
			var out []string
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, l)
				}
			}
			return out, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read classes: %w", err)
		}
		card, err := readCard(context.Background(), root)
		if err != nil {
			return nil, err
		}
		return card.Classes, nil
	}
	splits, err := subdirs(root)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, s := range splits {
		cls, err := subdirs(filepath.Join(root, s))
		if err != nil {
			return nil, err
		}
		for _, c := range cls {
			set[c] = true
		}
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no class folders: expected %s", root, filepath.Join(root, "<split>", "<class>", "<image>"))
	}
	return out, nil
}

// subdirs lists the non-hidden folders in dir, sorted.
func subdirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read folder: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !hidden(e.Name()) && e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Sample is one decoded sample handed to Walk's callback.
type Sample struct {
	Class  string
	Label  int            // index into the dataset's sorted class list
	Image  image.Image    // *image.Gray, *image.Gray16 or *image.NRGBA
	Record *writer.Record // nil for a plain ImageFolder
	// Path is the image file of a plain ImageFolder sample (root joined
	// with its path), to name it in a message; "" for an augsplit OUT,
	// whose Record says where the sample is.
	Path string
}

// Walk visits one split: an augsplit OUT in manifest order (its folder
// form, else its WebDataset shards, else its TFRecord shards), or a plain
// ImageFolder root/<split>/<class>/... in sorted path order. fn's error
// stops the walk and is returned.
func Walk(ctx context.Context, root, split string, fn func(Sample) error) error {
	return WalkFormat(ctx, root, split, "", fn)
}

// WalkFormat is Walk reading one particular form of an augsplit OUT
// (FormatFolder, FormatWebDataset or FormatTFRecord; "" chooses as Walk
// does), so that the forms can be compared.
func WalkFormat(ctx context.Context, root, split, format string, fn func(Sample) error) error {
	if !isOUT(root) {
		if format != "" && format != FormatFolder {
			return fmt.Errorf("%s: not an augsplit dataset, so it has no %s shards", root, format)
		}
		return walkImageFolder(ctx, root, split, fn)
	}
	g, err := OpenContext(ctx, root)
	if err != nil {
		return err
	}
	return g.Walk(ctx, split, format, fn)
}

func (g *Generated) hasFormat(f string) bool {
	for _, x := range g.Card.Formats {
		if x == f {
			return true
		}
	}
	return false
}

// shards lists the shards of one split and format in path order, which is
// the order the writer filled them.
func (g *Generated) shards(split, format string) []writer.Shard {
	var out []writer.Shard
	for _, s := range g.Card.Shards {
		if s.Split == split && s.Format == format {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Walk visits one split of g in manifest order; format as in WalkFormat.
func (g *Generated) Walk(ctx context.Context, split, format string, fn func(Sample) error) error {
	found := false
	for _, s := range g.Card.Splits {
		found = found || s == split
	}
	if !found {
		return fmt.Errorf("%s: no split %q (the dataset has %s)", g.Dir, split, strings.Join(g.Card.Splits, ", "))
	}
	if format == "" {
		switch {
		case g.hasFormat(FormatFolder):
			format = FormatFolder
		case len(g.shards(split, FormatWebDataset)) > 0:
			format = FormatWebDataset
		case len(g.shards(split, FormatTFRecord)) > 0:
			format = FormatTFRecord
		default:
			return fmt.Errorf("%s: split %q has neither image files nor shards", g.Dir, split)
		}
	}
	labels := map[string]int{}
	for i, c := range g.Card.Classes {
		labels[c] = i
	}
	var recs []*writer.Record
	for i := range g.Records {
		if g.Records[i].Split == split {
			rec := &g.Records[i]
			if l, ok := labels[rec.Class]; !ok || l != rec.ClassIndex {
				return fmt.Errorf("%s: record %q: class %q index %d does not match the card's class list",
					g.Dir, rec.ID, rec.Class, rec.ClassIndex)
			}
			recs = append(recs, rec)
		}
	}
	switch format {
	case FormatFolder:
		return g.walkFolder(ctx, recs, fn)
	case FormatWebDataset:
		return g.walkWebDataset(ctx, split, recs, fn)
	case FormatTFRecord:
		return g.walkTFRecord(ctx, split, recs, fn)
	}
	return fmt.Errorf("unknown format %q: want %s, %s or %s", format, FormatFolder, FormatWebDataset, FormatTFRecord)
}

func (g *Generated) walkFolder(ctx context.Context, recs []*writer.Record, fn func(Sample) error) error {
	for _, rec := range recs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rec.Path == "" {
			return fmt.Errorf("%s: record %q has no path: the dataset was not written in folder form", g.Dir, rec.ID)
		}
		p, err := Confine(g.Dir, rec.Path)
		if err != nil {
			return err
		}
		d, sum, err := decodeSample(ctx, p, rec)
		if err != nil {
			return err
		}
		if sum != rec.SHA256 {
			return fmt.Errorf("%s: sha256 %s does not match the manifest (%s): run augsplit verify",
				p, shortSHA(sum), shortSHA(rec.SHA256))
		}
		if err := fn(Sample{Class: rec.Class, Label: rec.ClassIndex, Image: d.Image, Record: rec}); err != nil {
			return err
		}
	}
	return nil
}

// decodeSample decodes the sample file p of rec, capped at the bytes its
// size can take.
func decodeSample(ctx context.Context, p string, rec *writer.Record) (*Decoded, string, error) {
	f, err := safefile.Open(ctx, p, sampleMaxBytes(rec))
	if err != nil {
		if safefile.IsRefused(err) || ctx.Err() != nil {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("open sample: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	d, err := decodeSeeker(p, f, DefaultMaxPixels, h)
	if err != nil {
		return nil, "", err
	}
	return d, hex.EncodeToString(h.Sum(nil)), nil
}

// decodeShardSample checks an encoded sample against its record and decodes it.
func decodeShardSample(where string, data []byte, rec *writer.Record) (image.Image, error) {
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != rec.SHA256 {
		return nil, fmt.Errorf("%s: image bytes do not match the manifest sha256 of %q: run augsplit verify", where, rec.ID)
	}
	img, _, err := Decode(where, bytes.NewReader(data), DefaultMaxPixels)
	return img, err
}

func (g *Generated) walkWebDataset(ctx context.Context, split string, recs []*writer.Record, fn func(Sample) error) error {
	byID := make(map[string]*writer.Record, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	n := 0
	for _, sh := range g.shards(split, FormatWebDataset) {
		sp, err := Confine(g.Dir, sh.Path)
		if err != nil {
			return err
		}
		err = eachWebDataset(ctx, sp, shardMaxBytes(sh), func(p string, s *wds.Sample) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			rec, ok := byID[s.Key]
			if !ok {
				return &ShardError{Path: p, Offset: s.Offset, Msg: fmt.Sprintf("sample %q is not in split %q of the manifest", s.Key, split)}
			}
			delete(byID, s.Key) // a second copy of the key is then reported as unknown
			cls, err := s.Class()
			if err != nil {
				return &ShardError{Path: p, Offset: s.Offset, Msg: "bad class", Err: err}
			}
			if cls != rec.ClassIndex {
				return &ShardError{Path: p, Offset: s.Offset, Msg: fmt.Sprintf("sample %q has class %d, manifest says %d", s.Key, cls, rec.ClassIndex)}
			}
			png, _ := s.Data("png")
			img, err := decodeShardSample(fmt.Sprintf("%s: sample %q", p, s.Key), png, rec)
			if err != nil {
				return err
			}
			n++
			return fn(Sample{Class: rec.Class, Label: rec.ClassIndex, Image: img, Record: rec})
		})
		if err != nil {
			return err
		}
	}
	if n != len(recs) {
		return fmt.Errorf("%s: webdataset shards of split %q hold %d samples, the manifest lists %d", g.Dir, split, n, len(recs))
	}
	return nil
}

func (g *Generated) walkTFRecord(ctx context.Context, split string, recs []*writer.Record, fn func(Sample) error) error {
	// TFRecord has no sample key: records are matched to the manifest by
	// the sha256 of their image, in order for equal images.
	bySHA := map[string][]*writer.Record{}
	for _, r := range recs {
		bySHA[r.SHA256] = append(bySHA[r.SHA256], r)
	}
	n := 0
	for _, sh := range g.shards(split, FormatTFRecord) {
		sp, err := Confine(g.Dir, sh.Path)
		if err != nil {
			return err
		}
		err = eachTFRecord(ctx, sp, shardMaxBytes(sh), func(p string, s *TFSample) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			sum := sha256.Sum256(s.Encoded)
			key := hex.EncodeToString(sum[:])
			q := bySHA[key]
			if len(q) == 0 {
				return &ShardError{Path: p, Offset: s.Offset, Msg: fmt.Sprintf("image (sha256 %s) is not in split %q of the manifest", shortSHA(key), split)}
			}
			rec := q[0]
			bySHA[key] = q[1:]
			if s.Label != rec.ClassIndex {
				return &ShardError{Path: p, Offset: s.Offset, Msg: fmt.Sprintf("sample %q has label %d, manifest says %d", rec.ID, s.Label, rec.ClassIndex)}
			}
			img, _, err := Decode(fmt.Sprintf("%s@%d", p, s.Offset), bytes.NewReader(s.Encoded), DefaultMaxPixels)
			if err != nil {
				return err
			}
			n++
			return fn(Sample{Class: rec.Class, Label: rec.ClassIndex, Image: img, Record: rec})
		})
		if err != nil {
			return err
		}
	}
	if n != len(recs) {
		return fmt.Errorf("%s: tfrecord shards of split %q hold %d samples, the manifest lists %d", g.Dir, split, n, len(recs))
	}
	return nil
}

// eachWebDataset streams the samples of one shard file.
func eachWebDataset(ctx context.Context, p string, max int64, fn func(p string, s *wds.Sample) error) error {
	f, err := safefile.Open(ctx, p, max)
	if err != nil {
		return fmt.Errorf("open shard: %w", err)
	}
	defer f.Close()
	r := wds.NewReader(bufio.NewReader(f))
	for {
		s, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return inShard(p, err)
		}
		if err := fn(p, s); err != nil {
			return err
		}
	}
}

// eachTFRecord streams the samples of one shard file.
func eachTFRecord(ctx context.Context, p string, max int64, fn func(p string, s *TFSample) error) error {
	f, err := safefile.Open(ctx, p, max)
	if err != nil {
		return fmt.Errorf("open shard: %w", err)
	}
	defer f.Close()
	r := tfrecord.NewReader(f)
	for {
		data, off, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return inShard(p, err)
		}
		s, err := ReadTFSample(p, off, data)
		if err != nil {
			return err
		}
		if err := fn(p, s); err != nil {
			return err
		}
	}
}

// walkImageFolder visits root/<split>/<class>/... in sorted path order,
// recursing into subfolders of a class as Keras does; hidden files and
// non-image files are skipped.
func walkImageFolder(ctx context.Context, root, split string, fn func(Sample) error) error {
	classes, err := Classes(root)
	if err != nil {
		return err
	}
	dir := filepath.Join(root, split)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s: no split folder %q: expected %s", root, split, filepath.Join(root, split, "<class>", "<image>"))
	}
	for label, class := range classes {
		cdir := filepath.Join(dir, class)
		if _, err := os.Stat(cdir); errors.Is(err, os.ErrNotExist) {
			continue
		}
		var files []string
		err := filepath.WalkDir(cdir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("walk %s: %w", p, err)
			}
			if p != cdir && hidden(d.Name()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !IsImageName(d.Name()) {
				return nil
			}
			// A linked image counts like a file (WalkDir reports the link
			// itself); a linked folder is not entered, so no loops.
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				files = append(files, p)
			} else if err != nil {
				return fmt.Errorf("image %s: %w", p, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Strings(files)
		for _, p := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			d, _, err := DecodeFile(ctx, p, DefaultMaxPixels)
			if err != nil {
				return err
			}
			if err := fn(Sample{Class: class, Label: label, Image: d.Image, Path: p}); err != nil {
				return err
			}
		}
	}
	return nil
}
