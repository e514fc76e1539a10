package writer

import (
	"fmt"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

func (o *Out) putWebDataset(s *Sample) error {
	sample, err := o.enc.webdataset(s)
	if err != nil {
		return err
	}
	defer o.enc.release()
	q := o.seq(schema.FormatWebDataset, s.Split)
	sh, err := q.reserve(wds.EncodedSize(&sample))
	if err != nil {
		return err
	}
	if err := sh.st.writeWDS(&sample); err != nil {
		return fmt.Errorf("write shard %s: %w", q.errPath(sh.index), err)
	}
	return nil
}

func (o *Out) putTFRecord(s *Sample) error {
	payload := o.enc.example(s)
	q := o.seq(schema.FormatTFRecord, s.Split)
	sh, err := q.reserve(tfrecord.EncodedSize(len(payload)))
	if err != nil {
		return err
	}
	if err := sh.st.writeExample(payload); err != nil {
		return fmt.Errorf("write shard %s: %w", q.errPath(sh.index), err)
	}
	return nil
}
