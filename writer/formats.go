package writer

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

// wdsMeta is the <key>.json member of a WebDataset sample.
type wdsMeta struct {
	Class      string          `json:"class"`
	ClassIndex int             `json:"class_index"`
	Source     string          `json:"source"`
	Variant    int             `json:"variant"`
	BitDepth   int             `json:"bit_depth"` // of the PNG: decoders that assume 8 would clip a 16-bit one
	Params     json.RawMessage `json:"params"`
}

func (o *Out) putWebDataset(s *Sample) error {
	o.jsonBuf.Reset()
	meta := wdsMeta{Class: s.Class, ClassIndex: s.ClassIndex, Source: s.Source, Variant: s.Variant, BitDepth: s.BitDepth, Params: s.Params}
	if err := o.jsonEnc.Encode(&meta); err != nil {
		return fmt.Errorf("sample %s: encode webdataset metadata: %w", s.ID, err)
	}
	js := o.jsonBuf.Bytes()
	js = js[:len(js)-1] // Encode's trailing newline
	o.clsBuf = strconv.AppendInt(o.clsBuf[:0], int64(s.ClassIndex), 10)

	// Members of one sample are adjacent and share the key (the id, which
	// has no dot), as WebDataset readers require.
	q := o.seq(schema.FormatWebDataset, s.Split)
	q.members = [...]wds.Member{{Ext: "png", Data: s.Data}, {Ext: "cls", Data: o.clsBuf}, {Ext: "json", Data: js}}
	sample := wds.Sample{Key: s.ID, Members: q.members[:]}
	sh, err := q.reserve(wds.EncodedSize(&sample))
	if err != nil {
		return err
	}
	err = sh.tw.WriteSample(&sample)
	q.members = [3]wds.Member{} // keep no reference to the caller's data
	if err != nil {
		return fmt.Errorf("write shard %s: %w", q.errPath(sh.index), err)
	}
	sh.samples++
	return nil
}

// Indexes of the Example features, in the sorted key order the encoding
// uses.
const (
	exParams = iota
	exBitDepth
	exChannels
	exLabel
	exText
	exEncoded
	exFilename
	exFormat
	exHeight
	exKeySHA256
	exSourceID
	exWidth
	exCount
)

var exKeys = [exCount]string{
	exParams:    "augsplit/params",
	exBitDepth:  "image/bit_depth",
	exChannels:  "image/channels",
	exLabel:     "image/class/label",
	exText:      "image/class/text",
	exEncoded:   "image/encoded",
	exFilename:  "image/filename",
	exFormat:    "image/format",
	exHeight:    "image/height",
	exKeySHA256: "image/key/sha256",
	exSourceID:  "image/source_id",
	exWidth:     "image/width",
}

var pngFormat = []byte("png")

// exampleOf encodes the tf.train.Example of s into o.exBuf.
func (o *Out) exampleOf(s *Sample) []byte {
	var (
		entries [exCount]tfrecord.NamedFeature
		bs      [exCount][1][]byte
		is      [exCount][1]int64
	)
	bytesF := func(i int, b []byte) {
		bs[i][0] = b
		entries[i] = tfrecord.NamedFeature{Key: exKeys[i], Feature: tfrecord.Feature{Kind: tfrecord.BytesKind, Bytes: bs[i][:]}}
	}
	intF := func(i int, v int) {
		is[i][0] = int64(v)
		entries[i] = tfrecord.NamedFeature{Key: exKeys[i], Feature: tfrecord.Feature{Kind: tfrecord.Int64Kind, Int64: is[i][:]}}
	}
	bytesF(exParams, s.Params)
	intF(exBitDepth, s.BitDepth)
	intF(exChannels, s.Channels)
	intF(exLabel, s.ClassIndex)
	bytesF(exText, []byte(s.Class))
	bytesF(exEncoded, s.Data)
	// The file name the sample has in the folder format, and the hex
	// sha256 of the encoded image: the keys TF's image datasets carry.
	ext := s.Ext
	if ext == "" {
		ext = ".png"
	}
	o.nameBuf = append(append(o.nameBuf[:0], s.ID...), ext...)
	bytesF(exFilename, o.nameBuf)
	bytesF(exFormat, pngFormat)
	intF(exHeight, s.Height)
	o.keyBuf = append(o.keyBuf[:0], s.SHA256...)
	bytesF(exKeySHA256, o.keyBuf)
	// source_id is the sample's own id: in TF's image conventions it
	// identifies the image itself, and the source path is in the manifest.
	bytesF(exSourceID, []byte(s.ID))
	intF(exWidth, s.Width)
	o.exBuf = tfrecord.AppendExample(o.exBuf[:0], entries[:])
	return o.exBuf
}

func (o *Out) putTFRecord(s *Sample) error {
	payload := o.exampleOf(s)
	q := o.seq(schema.FormatTFRecord, s.Split)
	sh, err := q.reserve(tfrecord.EncodedSize(len(payload)))
	if err != nil {
		return err
	}
	if err := sh.rec.WriteRecord(payload); err != nil {
		return fmt.Errorf("write shard %s: %w", q.errPath(sh.index), err)
	}
	sh.samples++
	return nil
}
