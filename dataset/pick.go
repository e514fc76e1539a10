package dataset

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/wds"
)

// errPicked stops a shard scan once every wanted sample was found.
var errPicked = errors.New("every wanted sample found")

// Images decodes the samples of g that recs name, keyed by record ID: from
// their files when the folder form was written, else from the split's
// WebDataset shards, else its TFRecord shards, reading each split's shards
// only until every wanted sample is found and decoding only those. A
// sample's bytes are checked against its record's sha256. A record whose
// sample is in no form g holds is an error naming it.
func (g *Generated) Images(ctx context.Context, recs []*schema.Record) (map[string]image.Image, error) {
	out := make(map[string]image.Image, len(recs))
	bySplit := map[string][]*schema.Record{}
	for _, rec := range recs {
		if rec.Path != "" {
			p, err := Confine(g.Dir, rec.Path)
			if err != nil {
				return nil, err
			}
			d, sum, err := decodeSample(ctx, p, rec)
			if err != nil {
				return nil, err
			}
			if sum != rec.SHA256 {
				return nil, fmt.Errorf("%s: sha256 %s does not match the manifest (%s): run augsplit verify", p, shortSHA(sum), shortSHA(rec.SHA256))
			}
			out[rec.ID] = d.Image
			continue
		}
		bySplit[rec.Split] = append(bySplit[rec.Split], rec)
	}
	for split, want := range bySplit {
		var err error
		switch {
		case len(g.shards(split, schema.FormatWebDataset)) > 0:
			err = g.pickWebDataset(ctx, split, want, out)
		case len(g.shards(split, schema.FormatTFRecord)) > 0:
			err = g.pickTFRecord(ctx, split, want, out)
		default:
			return nil, fmt.Errorf("%s: sample %q has no file and split %q has no shards", g.Dir, want[0].ID, split)
		}
		if err != nil {
			return nil, err
		}
		for _, rec := range want {
			if out[rec.ID] == nil {
				return nil, fmt.Errorf("%s: sample %q of split %q is in none of its shards: run augsplit verify", g.Dir, rec.ID, split)
			}
		}
	}
	return out, nil
}

func (g *Generated) pickWebDataset(ctx context.Context, split string, want []*schema.Record, out map[string]image.Image) error {
	byID := make(map[string]*schema.Record, len(want))
	for _, r := range want {
		byID[r.ID] = r
	}
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
				return nil
			}
			delete(byID, s.Key)
			png, _ := s.Data("png")
			img, err := decodeShardSample(fmt.Sprintf("%s: sample %q", p, s.Key), png, rec)
			if err != nil {
				return err
			}
			out[rec.ID] = img
			if len(byID) == 0 {
				return errPicked
			}
			return nil
		})
		if errors.Is(err, errPicked) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (g *Generated) pickTFRecord(ctx context.Context, split string, want []*schema.Record, out map[string]image.Image) error {
	left := len(want)
	err := g.eachTFRecordOf(ctx, split, want, func(p string, s *TFSample, rec *schema.Record) error {
		if rec == nil {
			return nil
		}
		img, err := decodeShardSample(fmt.Sprintf("%s@%d", p, s.Offset), s.Encoded, rec)
		if err != nil {
			return err
		}
		out[rec.ID] = img
		if left--; left == 0 {
			return errPicked
		}
		return nil
	})
	if errors.Is(err, errPicked) {
		return nil
	}
	return err
}
