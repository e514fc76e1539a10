package writer

import (
	"bufio"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/schema"
)

// shardSeq writes the shards of one (format, split): it opens a shard
// lazily, rolls to the next one when the sample or byte limit would be
// crossed, and records every closed shard.
type shardSeq struct {
	o       *Out
	format  string // schema.FormatWebDataset | schema.FormatTFRecord
	split   string
	trailer int64 // bytes written when a shard is closed (tar end blocks)
	planned int   // shards known up front (len(sizes)); 0 = decided at Commit
	sizes   []int // planned samples per shard (PlanShards); nil = roll at the limits
	next    int   // index of the next shard to open
	cur     *shardFile
	// deferred holds closed shards still under their temporary names,
	// waiting for the "-of-" total that only Commit knows.
	deferred []*shardFile
	// files is every shard this sequence created, so Abort can find the
	// temporary ones whatever state they were left in.
	files []*shardFile
}

// shardFile is one shard being streamed to disk under a temporary name.
type shardFile struct {
	index  int
	f      File
	tmp    string // absolute temporary path
	bw     *bufio.Writer
	st     *stream
	closed bool
	shard  schema.Shard
}

// name is the shard's path relative to OUT, or a provisional one while the
// "-of-" total is unknown.
func (q *shardSeq) name(index, total int) string {
	if q.format == schema.FormatTFRecord && total == 0 {
		return path.Join(schema.FormatTFRecord, fmt.Sprintf("%s-%05d-of-(pending)", q.split, index))
	}
	return ShardName(q.format, q.split, index, total)
}

// errPath names shard index in errors: the absolute path it will have.
func (q *shardSeq) errPath(index int) string {
	return filepath.Join(q.o.dir, filepath.FromSlash(q.name(index, q.planned)))
}

// knownName is the final name of shard index when it can be given now.
func (q *shardSeq) knownName(index int) (string, bool) {
	if q.format == schema.FormatWebDataset {
		return q.name(index, 0), true
	}
	if q.planned > 0 {
		return q.name(index, q.planned), true
	}
	return "", false
}

// limit is the number of samples shard index holds when full.
func (q *shardSeq) limit(index int) int {
	switch {
	case q.sizes != nil:
		return q.sizes[index]
	case q.o.opts.ShardSize > 0:
		return q.o.opts.ShardSize
	}
	return DefaultShardSize
}

// PlanShards is schema.PlanShards: the shard sizes of a split of n
// samples. Kept here so callers of the writer need not know where the
// rule lives.
func PlanShards(n, shards, size int) []int { return schema.PlanShards(n, shards, size) }

// reserve makes sure a shard is open that can take a sample of size bytes,
// closing the current one first when it is full. A sample larger than
// ShardBytes on its own still gets a shard (of one sample).
func (q *shardSeq) reserve(size int64) (*shardFile, error) {
	o := q.o
	if c := q.cur; c != nil {
		full := c.st.samples >= q.limit(c.index) ||
			(o.opts.ShardBytes > 0 && c.st.n+size+q.trailer > o.opts.ShardBytes)
		if !full {
			return c, nil
		}
		if err := q.closeCurrent(); err != nil {
			return nil, err
		}
	}
	if q.planned > 0 && q.next >= q.planned {
		return nil, fmt.Errorf("split %q has more samples than the %d planned (%d %s shards)", q.split, o.opts.SplitCounts[q.split], q.planned, q.format)
	}
	dir := filepath.Join(o.dir, filepath.FromSlash(path.Dir(q.name(0, 1))))
	if err := o.mkdir(dir); err != nil {
		return nil, err
	}
	f, err := o.fs.CreateTemp(dir, fmt.Sprintf("%s%s-%05d-*", tempPrefix, q.split, q.next))
	if err != nil {
		return nil, fmt.Errorf("create shard %s: %w", q.errPath(q.next), err)
	}
	s := &shardFile{index: q.next, f: f, tmp: f.Name(), bw: bufio.NewWriterSize(f, 256<<10)}
	s.st = newStream(q.format, s.bw)
	q.next++
	q.cur = s
	q.files = append(q.files, s)
	return s, nil
}

// closeCurrent finishes the open shard: trailer, flush, sync, close and,
// when its final name is known, rename.
func (q *shardSeq) closeCurrent() error {
	s := q.cur
	if s == nil {
		return nil
	}
	name := q.errPath(s.index)
	if err := s.st.finish(); err != nil {
		return fmt.Errorf("write shard %s: %w", name, err)
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("write shard %s: %w", name, err)
	}
	if err := s.f.Chmod(fileMode); err != nil {
		return fmt.Errorf("write shard %s: %w", name, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("write shard %s: %w", name, err)
	}
	s.closed = true
	q.cur = nil
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("write shard %s: %w", name, err)
	}
	s.shard = s.st.shard(q.format, q.split, "")
	// Drop the buffers: files outlives the shard and memory must not grow
	// with the number of shards.
	s.bw, s.st, s.f = nil, nil, nil
	final, ok := q.knownName(s.index)
	if !ok {
		q.deferred = append(q.deferred, s)
		return nil
	}
	return q.rename(s, final)
}

func (q *shardSeq) rename(s *shardFile, final string) error {
	if err := q.o.fs.Rename(s.tmp, filepath.Join(q.o.dir, filepath.FromSlash(final))); err != nil {
		return fmt.Errorf("write shard %s: %w", filepath.Join(q.o.dir, filepath.FromSlash(final)), err)
	}
	s.tmp = ""
	s.shard.Path = final
	q.o.shards = append(q.o.shards, s.shard)
	return nil
}

// finish closes the open shard and gives every shard its final name.
func (q *shardSeq) finish() error {
	if err := q.closeCurrent(); err != nil {
		return err
	}
	if q.planned > 0 && q.next != q.planned {
		return fmt.Errorf("split %q: wrote %d %s shards but %d were planned from %d samples; the shard names would be wrong", q.split, q.next, q.format, q.planned, q.o.opts.SplitCounts[q.split])
	}
	total := q.next
	for _, s := range q.deferred {
		if err := q.rename(s, q.name(s.index, total)); err != nil {
			return err
		}
	}
	q.deferred = nil
	return nil
}

// abort removes whatever this sequence still holds under temporary names.
func (q *shardSeq) abort() {
	for _, s := range q.files {
		if !s.closed {
			s.closed = true
			_ = s.f.Close()
		}
		if s.tmp != "" {
			_ = q.o.fs.Remove(s.tmp)
			s.tmp = ""
		}
	}
	q.cur, q.deferred, q.files = nil, nil, nil
}

// sortedShards is every finished shard by format, then path: for a
// split, shard order.
func (o *Out) sortedShards() []schema.Shard {
	shards := slices.Clone(o.shards)
	slices.SortFunc(shards, func(a, b schema.Shard) int {
		if c := strings.Compare(a.Format, b.Format); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	return shards
}

// writeIndexes writes OUT/<format>/index.json for each shard format, after
// the shards and before the manifest and card.
func (o *Out) writeIndexes() error {
	shards := o.sortedShards()
	for _, format := range []string{schema.FormatWebDataset, schema.FormatTFRecord} {
		if !slices.Contains(o.opts.Formats, format) {
			continue
		}
		data, err := schema.MarshalIndex(schema.IndexOf(format, shards))
		if err != nil {
			return err
		}
		dir := filepath.Join(o.dir, format)
		if err := o.mkdir(dir); err != nil {
			return err
		}
		if err := WriteFileAtomic(o.fs, filepath.Join(dir, schema.IndexFile), data); err != nil {
			return err
		}
	}
	return nil
}
