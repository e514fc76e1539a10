package dataset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/internal/shardio"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

// VerifyReport lists what does not hold in a generated dataset.
type VerifyReport struct {
	Problems []string // each names the file and what changed
	Checked  int      // files and shard samples whose checksum was recomputed
}

// OK reports whether nothing was found.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

func (r *VerifyReport) add(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Verify rechecks an augsplit OUT against its own card and manifest: every
// checksum, every count, every class in every split, every shard's bytes,
// framing and samples, and no unexpected files. What it finds goes in the
// report; an error means checking could not be done at all (OUT missing or
// unreadable). A missing card is reported as an incomplete dataset.
func Verify(ctx context.Context, dir string) (*VerifyReport, error) {
	rep := &VerifyReport{}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("dataset folder: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("dataset %s: not a folder", dir)
	}
	card, err := readCard(ctx, dir)
	if err != nil {
		var inc *IncompleteError
		if errors.As(err, &inc) || !isIOError(err) {
			rep.add("%v", err)
			return rep, nil
		}
		return nil, err
	}
	if raw, err := safefile.ReadFile(ctx, filepath.Join(dir, schema.CardFile), schema.MaxCardBytes); err == nil {
		if msg := schema.CheckCardSeal(raw); msg != "" {
			rep.add("%s: %s", schema.CardFile, msg)
		}
	}
	v := &verifier{ctx: ctx, dir: dir, card: card, rep: rep}
	if err := v.run(); err != nil {
		return nil, err
	}
	return rep, nil
}

// isIOError separates "could not read" from "read, but wrong".
func isIOError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && !safefile.IsRefused(err)
}

type verifier struct {
	ctx  context.Context
	dir  string
	card *schema.Card
	rep  *VerifyReport
	recs []schema.Record
}

func (v *verifier) run() error {
	c := v.card
	// What the card says of itself (sorted classes, every class in every
	// split, counts that add up, split levels) is the same check the
	// writer makes before sealing.
	v.rep.Problems = append(v.rep.Problems, c.Check()...)
	classIdx := map[string]int{}
	for i, cl := range c.Classes {
		if _, dup := classIdx[cl]; !dup {
			classIdx[cl] = i
		}
	}
	if b, err := safefile.ReadFile(v.ctx, filepath.Join(v.dir, schema.ClassesFile), maxClassesBytes); err == nil {
		want := strings.Join(c.Classes, "\n")
		if got := strings.TrimRight(string(b), "\n"); got != want {
			v.rep.add("%s: does not list the card's classes in order (%q)", schema.ClassesFile, c.Classes)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		v.rep.add("%s: missing", schema.ClassesFile)
	} else if safefile.IsRefused(err) {
		v.rep.add("%v", err)
	} else {
		return fmt.Errorf("read classes: %w", err)
	}
	splits := map[string]bool{}
	for _, s := range c.Splits {
		splits[s] = true
	}

	if ok, err := v.readManifest(); err != nil || !ok {
		// Without a manifest every other check would only repeat that it
		// is missing.
		return err
	}

	counts := map[string]map[string]int{}
	for _, rec := range v.recs {
		if !splits[rec.Split] {
			v.rep.add("%s: %q is in split %q, which the card does not list", schema.ManifestFile, rec.ID, rec.Split)
		}
		if i, ok := classIdx[rec.Class]; !ok {
			v.rep.add("%s: %q has class %q, which the card does not list", schema.ManifestFile, rec.ID, rec.Class)
		} else if i != rec.ClassIndex {
			v.rep.add("%s: %q has class_index %d, the card's class list says %d", schema.ManifestFile, rec.ID, rec.ClassIndex, i)
		}
		if counts[rec.Class] == nil {
			counts[rec.Class] = map[string]int{}
		}
		counts[rec.Class][rec.Split]++
	}
	if len(v.recs) != c.Total {
		v.rep.add("%s: lists %d samples, the card's total is %d", schema.ManifestFile, len(v.recs), c.Total)
	}
	for _, cl := range unionKeys(counts, c.Counts) {
		for _, s := range unionKeys(counts[cl], c.Counts[cl]) {
			if got, want := counts[cl][s], c.Counts[cl][s]; got != want {
				v.rep.add("class %q split %q: manifest has %d samples, the card says %d", cl, s, got, want)
			}
		}
	}

	if err := v.checkMetadata(); err != nil {
		return err
	}
	folder := false
	for _, f := range c.Formats {
		folder = folder || f == schema.FormatFolder
	}
	if folder {
		if err := v.checkFiles(); err != nil {
			return err
		}
	}
	return v.checkShards()
}

// maxMetadataBytes bounds croissant.json and README.md, which grow with
// the classes and shards they list.
const maxMetadataBytes = 64 << 20

// checkMetadata rehashes the files the card seals in Metadata
// (croissant.json, README.md): a hand edit shows.
func (v *verifier) checkMetadata() error {
	for _, m := range v.card.Metadata {
		p, err := Confine(v.dir, m.Path)
		if err != nil {
			v.rep.add("%s: metadata path %q is not inside the dataset", schema.CardFile, m.Path)
			continue
		}
		b, err := safefile.ReadFile(v.ctx, p, maxMetadataBytes)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			v.rep.add("%s: missing (the card lists it)", m.Path)
			continue
		case safefile.IsRefused(err):
			v.rep.add("%s: %v", m.Path, err)
			continue
		case err != nil:
			return fmt.Errorf("read %s: %w", m.Path, err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != m.SHA256 {
			v.rep.add("%s: sha256 is %s, the card says %s: the file was changed after it was written", m.Path, got, m.SHA256)
		}
	}
	return nil
}

func unionKeys[V any](a, b map[string]V) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readManifest checks the manifest's checksum and reads it, reporting bad
// lines and going on past them so one edit does not hide others. ok is
// false when there is no manifest to check against.
func (v *verifier) readManifest() (ok bool, err error) {
	mp := filepath.Join(v.dir, schema.ManifestFile)
	f, err := safefile.Open(v.ctx, mp, maxManifestBytes)
	if errors.Is(err, os.ErrNotExist) {
		v.rep.add("%s: missing (the card lists %d samples)", schema.ManifestFile, v.card.Total)
		return false, nil
	}
	if safefile.IsRefused(err) {
		v.rep.add("%v", err)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open manifest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReader(io.TeeReader(f, h))
	ids := map[string]int{}
	for line := 1; ; line++ {
		b, err := readLine(br, schema.MaxManifestLine)
		if err == io.EOF {
			break
		}
		if errors.Is(err, errLineTooLong) {
			v.rep.add("%s:%d: line longer than %d bytes; stopped reading the manifest", schema.ManifestFile, line, schema.MaxManifestLine)
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read manifest: %w", err)
		}
		rec, err := schema.ParseRecord(b)
		if err != nil {
			v.rep.add("%s:%d: %v", schema.ManifestFile, line, err)
			continue
		}
		if prev, dup := ids[rec.ID]; dup {
			v.rep.add("%s:%d: id %q already used on line %d", schema.ManifestFile, line, rec.ID, prev)
			continue
		}
		ids[rec.ID] = line
		v.recs = append(v.recs, rec)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != v.card.ManifestSHA256 {
		v.rep.add("%s: sha256 is %s, the card says %s: the manifest was changed after it was written",
			schema.ManifestFile, sum, v.card.ManifestSHA256)
	}
	return true, nil
}

var errLineTooLong = errors.New("line too long")

// readLine returns one line without its newline, refusing to buffer more
// than max bytes of it. The rest of an overlong line is not consumed.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > max+1 {
			return nil, errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(buf) == 0 {
				return nil, io.EOF
			}
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(buf, []byte("\n")), nil
	}
}

// checkFiles rehashes every file the manifest names and looks for files
// in the split folders that it does not name.
func (v *verifier) checkFiles() error {
	listed := map[string]bool{}
	for _, rec := range v.recs {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		if rec.Path == "" {
			v.rep.add("%s: %q has no path, but the card lists the folder format", schema.ManifestFile, rec.ID)
			continue
		}
		listed[rec.Path] = true
		// The extension is .png for generate and the file's own format
		// for `augsplit split`.
		ext := path.Ext(rec.Path)
		if !schema.ValidExt(ext) {
			ext = ".png"
		}
		if want := schema.SamplePath(rec.Split, rec.Class, rec.ID, ext); rec.Path != want {
			v.rep.add("%s: %q has path %s, want %s", schema.ManifestFile, rec.ID, rec.Path, want)
		}
		p, err := Confine(v.dir, rec.Path)
		if err != nil {
			v.rep.add("%s: %q has a path outside the dataset (%v)", schema.ManifestFile, rec.ID, err)
			continue
		}
		sum, _, err := hashFile(v.ctx, p, sampleMaxBytes(&rec))
		if v.ctx.Err() != nil {
			return v.ctx.Err()
		}
		if errors.Is(err, os.ErrNotExist) {
			v.rep.add("%s: missing (listed in the manifest as %q)", rec.Path, rec.ID)
			continue
		}
		if err != nil {
			v.rep.add("%s: cannot read: %v", rec.Path, err)
			continue
		}
		v.rep.Checked++
		if sum != rec.SHA256 {
			v.rep.add("%s: sha256 is %s, the manifest says %s: the file was changed", rec.Path, sum, rec.SHA256)
		}
	}
	for _, s := range v.card.Splits {
		if err := v.extraFiles(s, listed); err != nil {
			return err
		}
	}
	return nil
}

// extraFiles reports files under dir/rel that are not in listed.
func (v *verifier) extraFiles(rel string, listed map[string]bool) error {
	root := filepath.Join(v.dir, rel)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && p == root {
				v.rep.add("%s/: missing", rel)
				return nil
			}
			v.rep.add("%s: cannot read: %v", p, err)
			return nil
		}
		if d.IsDir() {
			return nil
		}
		r, err := filepath.Rel(v.dir, p)
		if err != nil {
			return fmt.Errorf("relative path of %s: %w", p, err)
		}
		r = filepath.ToSlash(r)
		if !listed[r] {
			v.rep.add("%s: unexpected file, not in the manifest", r)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk %s: %w", root, err)
	}
	return nil
}

func hashFile(ctx context.Context, p string, max int64) (string, int64, error) {
	f, err := safefile.Open(ctx, p, max)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// checkShards compares each shard with the card (bytes, sha256, samples),
// validates its framing, and matches its samples to the manifest.
func (v *verifier) checkShards() error {
	bySplit := map[string][]schema.Record{}
	for _, r := range v.recs {
		bySplit[r.Split] = append(bySplit[r.Split], r)
	}
	listed := map[string]bool{}
	formats := map[string]bool{}
	for _, f := range v.card.Formats {
		formats[f] = true
	}
	type key struct{ format, split string }
	seen := map[key]int{}
	matches := map[key]*shardMatch{}
	for _, sh := range v.card.Shards {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		p, err := Confine(v.dir, sh.Path)
		if err != nil {
			v.rep.add("%s: shard path %q is not inside the dataset", schema.CardFile, sh.Path)
			continue
		}
		listed[sh.Path] = true
		if !formats[sh.Format] {
			v.rep.add("%s: shard %s has format %q, which the card's formats do not list", schema.CardFile, sh.Path, sh.Format)
		}
		k := key{sh.Format, sh.Split}
		if matches[k] == nil {
			matches[k] = newShardMatch(bySplit[sh.Split])
		}
		n, err := v.checkShard(sh, p, matches[k])
		if err != nil {
			return err
		}
		seen[key{sh.Format, sh.Split}] += n
	}
	for _, f := range []string{schema.FormatWebDataset, schema.FormatTFRecord} {
		if !formats[f] {
			continue
		}
		for _, s := range v.card.Splits {
			if got, want := seen[key{f, s}], len(bySplit[s]); got != want {
				v.rep.add("%s shards of split %q hold %d samples, the manifest lists %d", f, s, got, want)
			}
		}
		if err := v.checkIndex(f); err != nil {
			return err
		}
		listed[f+"/"+schema.IndexFile] = true
		if err := v.extraShardFiles(f, listed); err != nil {
			return err
		}
	}
	return nil
}

// checkIndex compares OUT/<format>/index.json with the card's shards of
// that format: a loader sizes its epoch from the index, so a stale or
// edited one is a problem. Cards older than 0.3.0 had no index.
func (v *verifier) checkIndex(format string) error {
	name := format + "/" + schema.IndexFile
	raw, err := safefile.ReadFile(v.ctx, filepath.Join(v.dir, format, schema.IndexFile), schema.MaxCardBytes)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if !olderThan(v.card.Version, 0, 3) {
			v.rep.add("%s: missing: the shard index lists each split's shards and sample counts (re-run the command that made the dataset)", name)
		}
		return nil
	case safefile.IsRefused(err):
		v.rep.add("%s: %v", name, err)
		return nil
	case err != nil:
		if cerr := v.ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("read %s: %w", name, err)
	}
	got, err := schema.ReadIndex(bytes.NewReader(raw), name)
	if err != nil {
		v.rep.add("%v", err)
		return nil
	}
	want := schema.IndexOf(format, v.card.Shards)
	for _, s := range schema.Splits() {
		if g, w := got.Split(s), want.Split(s); !slices.Equal(g, w) {
			v.rep.add("%s: split %q lists %d shards (%v), the card %d (%v)", name, s, len(g), indexCounts(g), len(w), indexCounts(w))
		}
	}
	return nil
}

// indexCounts is "url:nsamples" per entry, for a readable problem.
func indexCounts(es []schema.IndexEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.URL + ":" + strconv.Itoa(e.NSamples)
	}
	return out
}

// olderThan reports whether version ("MAJOR.MINOR.PATCH") is below
// major.minor; an unreadable version is not older.
func olderThan(version string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(version, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma < major || (ma == major && mi < minor)
}

func (v *verifier) extraShardFiles(dir string, listed map[string]bool) error {
	entries, err := os.ReadDir(filepath.Join(v.dir, dir))
	if errors.Is(err, os.ErrNotExist) {
		v.rep.add("%s/: missing, but the card lists the %s format", dir, dir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read shard folder: %w", err)
	}
	for _, e := range entries {
		if r := dir + "/" + e.Name(); !listed[r] {
			v.rep.add("%s: unexpected file, not in the card's shard list", r)
		}
	}
	return nil
}

// shardMatch pairs shard samples with manifest records across all shards
// of one split and format, so a key repeated in two shards is caught.
// Images are matched by id where the format has one (WebDataset keys) and
// by content and label otherwise (TFRecord).
type shardMatch struct {
	byID  map[string]*schema.Record
	bySHA map[string]int
}

func newShardMatch(recs []schema.Record) *shardMatch {
	m := &shardMatch{byID: map[string]*schema.Record{}, bySHA: map[string]int{}}
	for i := range recs {
		m.byID[recs[i].ID] = &recs[i]
		m.bySHA[fmt.Sprint(recs[i].SHA256, "/", recs[i].ClassIndex)]++
	}
	return m
}

// checkShard reads one shard once, hashing it while the format reader
// validates it. It returns the number of samples read.
func (v *verifier) checkShard(sh schema.Shard, p string, m *shardMatch) (int, error) {
	// One byte over the card's size is enough to say the size is wrong.
	f, err := safefile.Open(v.ctx, p, shardMaxBytes(sh)+1)
	if errors.Is(err, os.ErrNotExist) {
		v.rep.add("%s: missing (listed in the card)", sh.Path)
		return 0, nil
	}
	if v.ctx.Err() != nil {
		return 0, v.ctx.Err()
	}
	if err != nil {
		v.rep.add("%s: cannot read: %v", sh.Path, err)
		return 0, nil
	}
	defer f.Close()
	h := sha256.New()
	cr := &shardio.Counter{R: io.TeeReader(bufio.NewReader(f), h)}
	n := 0
	var readErr error
	byID, bySHA := m.byID, m.bySHA
	switch sh.Format {
	case schema.FormatWebDataset:
		r := wds.NewReader(cr)
		for {
			s, err := r.Next()
			if err != nil {
				if err != io.EOF {
					readErr = inShard(sh.Path, err)
				}
				break
			}
			n++
			v.rep.Checked++
			rec, ok := byID[s.Key]
			if !ok {
				v.rep.add("%s: sample %q is not in split %q of the manifest (or appears twice)", sh.Path, s.Key, sh.Split)
				continue
			}
			delete(byID, s.Key)
			if cls, err := s.Class(); err != nil {
				v.rep.add("%s: %v", sh.Path, err)
			} else if cls != rec.ClassIndex {
				v.rep.add("%s: sample %q has class %d, the manifest says %d", sh.Path, s.Key, cls, rec.ClassIndex)
			}
			png, _ := s.Data("png")
			sum := sha256.Sum256(png)
			if got := hex.EncodeToString(sum[:]); got != rec.SHA256 {
				v.rep.add("%s: sample %q: png sha256 is %s, the manifest says %s", sh.Path, s.Key, got, rec.SHA256)
			}
		}
	case schema.FormatTFRecord:
		r := tfrecord.NewReader(cr)
		for {
			data, off, err := r.Next()
			if err != nil {
				if err != io.EOF {
					readErr = inShard(sh.Path, err)
				}
				break
			}
			n++
			v.rep.Checked++
			s, err := ReadTFSample(sh.Path, off, data)
			if err != nil {
				v.rep.add("%v", err)
				continue
			}
			sum := sha256.Sum256(s.Encoded)
			k := fmt.Sprint(hex.EncodeToString(sum[:]), "/", s.Label)
			if bySHA[k] == 0 {
				v.rep.add("%s: record at byte offset %d (label %d) matches no sample of split %q in the manifest",
					sh.Path, off, s.Label, sh.Split)
				continue
			}
			bySHA[k]--
		}
	default:
		v.rep.add("%s: shard %s has unknown format %q", schema.CardFile, sh.Path, sh.Format)
		return 0, nil
	}
	if readErr != nil {
		v.rep.add("%v", readErr)
	}
	// Hash what the reader did not consume (after an error, or padding
	// after the tar end marker) so size and checksum cover the whole file.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		if safefile.IsRefused(err) {
			v.rep.add("%s: more bytes than the card's %d", sh.Path, sh.Bytes)
			return n, nil
		}
		return n, fmt.Errorf("read shard %s: %w", p, err)
	}
	if cr.N != sh.Bytes {
		v.rep.add("%s: %d bytes, the card says %d", sh.Path, cr.N, sh.Bytes)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != sh.SHA256 {
		v.rep.add("%s: sha256 is %s, the card says %s: the shard was changed", sh.Path, sum, sh.SHA256)
	}
	if n != sh.Samples {
		v.rep.add("%s: holds %d samples, the card says %d", sh.Path, n, sh.Samples)
	}
	return n, nil
}
