package dataset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

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
func sampleMaxBytes(rec *schema.Record) int64 {
	w, h := int64(rec.Width), int64(rec.Height)
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return SourceMaxBytes(DefaultMaxPixels)
	}
	return 2*(8*w+1)*h + 1<<20
}

// shardMaxBytes is the size the card gives a shard, or maxShardBytes.
func shardMaxBytes(sh schema.Shard) int64 {
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
		e.Dir, schema.CardFile)
}

// Generated is a finished augsplit OUT: its card and manifest.
type Generated struct {
	Dir     string
	Card    schema.Card
	Records []schema.Record // manifest order
}

// Open reads the card and manifest of an augsplit OUT. A missing card is
// *IncompleteError; a bad manifest line is *schema.ManifestError.
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
	mp := filepath.Join(dir, schema.ManifestFile)
	f, err := safefile.Open(ctx, mp, maxManifestBytes)
	if err != nil {
		return nil, fmt.Errorf("open manifest: %w", err)
	}
	defer f.Close()
	ids := map[string]int{}
	err = schema.ReadManifest(f, mp, func(line int, rec schema.Record) error {
		if prev, dup := ids[rec.ID]; dup {
			return &schema.ManifestError{Path: mp, Line: line, Err: fmt.Errorf("id %q already used on line %d", rec.ID, prev)}
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
func ReadCard(ctx context.Context, dir string) (*schema.Card, error) { return readCard(ctx, dir) }

func readCard(ctx context.Context, dir string) (*schema.Card, error) {
	cp := filepath.Join(dir, schema.CardFile)
	f, err := safefile.Open(ctx, cp, schema.MaxCardBytes)
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
	return schema.ReadCard(f, cp)
}

// isOUT reports whether root looks like an augsplit OUT (finished or not)
// rather than a plain ImageFolder.
func isOUT(root string) bool {
	for _, n := range []string{schema.CardFile, schema.ManifestFile, schema.MarkerFile} {
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
		b, err := safefile.ReadFile(context.Background(), filepath.Join(root, schema.ClassesFile), maxClassesBytes)
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
	Record *schema.Record // nil for a plain ImageFolder
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
// (schema.FormatFolder, schema.FormatWebDataset or schema.FormatTFRecord; "" chooses as Walk
// does), so that the forms can be compared.
func WalkFormat(ctx context.Context, root, split, format string, fn func(Sample) error) error {
	if !isOUT(root) {
		if format != "" && format != schema.FormatFolder {
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
func (g *Generated) shards(split, format string) []schema.Shard {
	var out []schema.Shard
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
		case g.hasFormat(schema.FormatFolder):
			format = schema.FormatFolder
		case len(g.shards(split, schema.FormatWebDataset)) > 0:
			format = schema.FormatWebDataset
		case len(g.shards(split, schema.FormatTFRecord)) > 0:
			format = schema.FormatTFRecord
		default:
			return fmt.Errorf("%s: split %q has neither image files nor shards", g.Dir, split)
		}
	}
	labels := map[string]int{}
	for i, c := range g.Card.Classes {
		labels[c] = i
	}
	var recs []*schema.Record
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
	case schema.FormatFolder:
		return g.walkFolder(ctx, recs, fn)
	case schema.FormatWebDataset:
		return g.walkWebDataset(ctx, split, recs, fn)
	case schema.FormatTFRecord:
		return g.walkTFRecord(ctx, split, recs, fn)
	}
	return fmt.Errorf("unknown format %q: want %s, %s or %s", format, schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord)
}

func (g *Generated) walkFolder(ctx context.Context, recs []*schema.Record, fn func(Sample) error) error {
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
func decodeSample(ctx context.Context, p string, rec *schema.Record) (*Decoded, string, error) {
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
func decodeShardSample(where string, data []byte, rec *schema.Record) (image.Image, error) {
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != rec.SHA256 {
		return nil, fmt.Errorf("%s: image bytes do not match the manifest sha256 of %q: run augsplit verify", where, rec.ID)
	}
	img, _, err := Decode(where, bytes.NewReader(data), DefaultMaxPixels)
	return img, err
}

func (g *Generated) walkWebDataset(ctx context.Context, split string, recs []*schema.Record, fn func(Sample) error) error {
	byID := make(map[string]*schema.Record, len(recs))
	for _, r := range recs {
		byID[r.ID] = r
	}
	n := 0
	for _, sh := range g.shards(split, schema.FormatWebDataset) {
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

func (g *Generated) walkTFRecord(ctx context.Context, split string, recs []*schema.Record, fn func(Sample) error) error {
	n := 0
	err := g.eachTFRecordOf(ctx, split, recs, func(p string, s *TFSample, rec *schema.Record) error {
		if rec == nil {
			sum := sha256.Sum256(s.Encoded)
			return &ShardError{Path: p, Offset: s.Offset, Msg: fmt.Sprintf("image (sha256 %s) is not in split %q of the manifest", shortSHA(hex.EncodeToString(sum[:])), split)}
		}
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
	if n != len(recs) {
		return fmt.Errorf("%s: tfrecord shards of split %q hold %d samples, the manifest lists %d", g.Dir, split, n, len(recs))
	}
	return nil
}

// eachTFRecordOf runs fn on every record of split's TFRecord shards with
// the manifest record it holds, or nil when recs has none left for it.
// TFRecord has no sample key: records are matched to the manifest by the
// sha256 of their image, in order for equal images. walk and pick share it,
// so both read shards the same way.
func (g *Generated) eachTFRecordOf(ctx context.Context, split string, recs []*schema.Record, fn func(p string, s *TFSample, rec *schema.Record) error) error {
	bySHA := map[string][]*schema.Record{}
	for _, r := range recs {
		bySHA[r.SHA256] = append(bySHA[r.SHA256], r)
	}
	for _, sh := range g.shards(split, schema.FormatTFRecord) {
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
			var rec *schema.Record
			if q := bySHA[key]; len(q) > 0 {
				rec, bySHA[key] = q[0], q[1:]
			}
			return fn(p, s, rec)
		})
		if err != nil {
			return err
		}
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
