package generate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/hub"
	"github.com/augsplit/augsplit/internal/store"
	"github.com/augsplit/augsplit/plan"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/writer"
)

// IsURL reports whether out names a store by URL (s3://, gs://,
// azblob://, file://, mem://) rather than a local folder.
func IsURL(out string) bool { return store.IsURL(out) }

// OpenStore opens OUT: a local folder (a path, or a file:// URL) through
// fsys (nil means OS), which keeps the writer's FS seam under parts and
// seal, or a bucket.
func OpenStore(ctx context.Context, out string, fsys writer.FS) (store.Store, error) {
	if !IsURL(out) {
		return writer.DirStore(fsys, out), nil
	}
	st, err := openURL(ctx, out)
	if err != nil {
		return nil, err
	}
	if dir := st.Dir(); dir != "" {
		_ = st.Close()
		return writer.DirStore(fsys, dir), nil
	}
	return st, nil
}

// openURL opens a store by URL; tests replace it.
var openURL = store.Open

// IsPartRefusal reports whether err is a part's refusal of OUT that every
// retry repeats: OUT holds another run's plan (other flags or --in), card
// or unfinished run, or files augsplit did not write. The CLI exits 2 on
// it, which schedulers (a Kubernetes podFailurePolicy) take as "do not
// retry".
func IsPartRefusal(err error) bool {
	return errors.As(err, new(*writer.OtherRunError)) || errors.As(err, new(*writer.NotEmptyError))
}

// PartSummary is what a part did.
type PartSummary struct {
	Part, Parts int
	Units       int // units this part owns
	PlanUnits   int // units of the whole plan
	Skipped     int // of those, found done (a re-run)
	Samples     int // samples written
	Fingerprint string
}

// RunPart writes part `part` of `parts` of the run cfg describes: the
// units (one shard of one split each) whose index modulo parts is part,
// through the store of cfg.Out. A unit already done (its summary and
// objects are there) is skipped, so a part run twice, or two copies of
// it at once, write the same bytes. Seal merges the parts. ErrUpToDate:
// OUT already holds this run's card.
func RunPart(ctx context.Context, cfg Config, part, parts int, opts Options) (*PartSummary, error) {
	if parts < 1 || part < 0 || part >= parts {
		return nil, fmt.Errorf("part %d of %d: want 0 <= --part < --parts", part, parts)
	}
	if cfg.ShardBytes > 0 {
		return nil, errors.New("--shard-bytes decides shards while writing, so parts cannot own whole shards: use --shards or --shard-size with --parts")
	}
	r, err := prepare(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, r.cfg.Out, opts.FS)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if dir := st.Dir(); dir != "" {
		unlock, err := writer.LockPart(dir, opts.FS)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	planned := r.plan.Units()
	units := make([]writer.Unit, len(planned))
	for i, u := range planned {
		units[i] = writer.Unit{Index: u.Index, Split: u.Split, Shard: u.Shard, Shards: u.Shards, Start: u.Start, End: u.End}
	}
	formats := r.cfg.Formats
	if len(formats) == 0 {
		formats = []string{schema.FormatFolder}
	}
	var canon []string // schema order, as the card lists them
	for _, f := range schema.Formats() {
		if slices.Contains(formats, f) {
			canon = append(canon, f)
		}
	}
	rec := &writer.PlanRecord{Fingerprint: r.card.Fingerprint, Classes: r.classes, Formats: canon, Card: r.card, Units: units}
	err = writer.StartPart(ctx, st, writer.PartOptions{Plan: rec, Part: part, Parts: parts, FS: opts.FS})
	if err != nil {
		return nil, err
	}
	sum := &PartSummary{Part: part, Parts: parts, PlanUnits: len(units), Fingerprint: r.card.Fingerprint}
	var todo []writer.Unit
	var mine []plan.Unit
	for i, u := range units {
		if u.Index%parts != part {
			continue
		}
		sum.Units++
		done, err := writer.UnitDone(ctx, st, rec.Fingerprint, u)
		if err != nil {
			return nil, err
		}
		if done {
			sum.Skipped++
			continue
		}
		todo = append(todo, u)
		mine = append(mine, planned[i])
		sum.Samples += u.End - u.Start
	}
	us := &unitSink{st: st, units: todo, opts: writer.UnitOptions{Fingerprint: rec.Fingerprint, Classes: r.classes, Formats: canon, Config: r.card.Config}}
	if err := produce(ctx, r.cfg, r.tree, r.plan, mine, r.classes, us, opts.Progress); err != nil {
		us.abort()
		return nil, err
	}
	if us.cur != nil || us.next != len(todo) {
		us.abort()
		return nil, fmt.Errorf("part %d of %d: wrote %d of %d units", part, parts, us.next, len(todo))
	}
	if err := writer.CheckPlan(ctx, st, rec); err != nil {
		return nil, err
	}
	return sum, nil
}

// unitSink writes samples into consecutive units, opening each at its
// first sample and closing it at its last.
type unitSink struct {
	st    store.Store
	units []writer.Unit
	opts  writer.UnitOptions
	next  int // index in units of the next unit to open
	cur   *writer.UnitOut
	n     int // samples in cur
}

func (u *unitSink) Put(ctx context.Context, s *writer.Sample) error {
	if u.cur == nil {
		if u.next >= len(u.units) {
			return errors.New("more samples than the part's units hold")
		}
		// A seal may have finished while this copy of the part lagged (a
		// scheduler retried it): write nothing more into a sealed OUT.
		if _, err := u.st.Stat(ctx, schema.CardFile); err == nil {
			return writer.ErrUpToDate
		}
		o := u.opts
		o.Unit = u.units[u.next]
		w, err := writer.OpenUnit(ctx, u.st, o)
		if err != nil {
			return err
		}
		u.cur, u.n = w, 0
	}
	if err := u.cur.Put(ctx, s); err != nil {
		return err
	}
	u.n++
	unit := u.units[u.next]
	if u.n == unit.End-unit.Start {
		w := u.cur
		u.cur = nil
		u.next++
		if _, err := w.Close(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (u *unitSink) abort() {
	if u.cur != nil {
		u.cur.Abort()
		u.cur = nil
	}
}

// Seal merges the parts written to st into the finished dataset (see
// writer.Seal) with the hub metadata a one-machine run writes. A local
// OUT found already sealed is verified, as generate does.
func Seal(ctx context.Context, st store.Store, opts Options) (*schema.Card, error) {
	card, err := writer.Seal(ctx, st, writer.SealOptions{FS: opts.FS, Metadata: hub.Files, Log: opts.Log})
	if err != nil && st.Dir() != "" {
		return nil, checkUpToDate(ctx, st.Dir(), err)
	}
	return card, err
}

// ReadCard reads the card of a sealed OUT in st.
func ReadCard(ctx context.Context, st store.Store) (*schema.Card, error) {
	if dir := st.Dir(); dir != "" {
		return dataset.ReadCard(ctx, dir)
	}
	r, err := st.Open(ctx, schema.CardFile)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return schema.ReadCard(io.LimitReader(r, schema.MaxCardBytes), st.URL()+"/"+schema.CardFile)
}
