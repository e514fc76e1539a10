package writer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

// This file is what Out (one machine) and UnitOut (one unit of a part)
// share: checking a sample, encoding it for the shard formats and
// streaming a shard. A shard's bytes must not depend on which of the two
// wrote it, so both go through this code and nothing else.

// checkSample refuses a sample that does not fit the dataset being
// written, so that a manifest can only hold records the card will agree
// with.
func checkSample(s *Sample, splits, classes []string, classIdx map[string]int) error {
	if err := schema.CheckID(s.ID); err != nil {
		return &SampleError{ID: s.ID, Field: "id", Reason: "invalid sample id: " + err.Error()}
	}
	if !slices.Contains(splits, s.Split) {
		return &SampleError{ID: s.ID, Field: "split", Reason: fmt.Sprintf("unknown split %q (this dataset was opened for %s)", s.Split, strings.Join(splits, ", "))}
	}
	want, ok := classIdx[s.Class]
	if !ok {
		return &SampleError{ID: s.ID, Field: "class", Reason: fmt.Sprintf("class %q is not in the class list the writer was opened with (%s)", s.Class, listSome(classes))}
	}
	if s.ClassIndex != want {
		return &SampleError{ID: s.ID, Field: "class_index", Reason: fmt.Sprintf("class_index %d does not match class %q, which is %d in the sorted class list", s.ClassIndex, s.Class, want)}
	}
	return nil
}

// fillSample sets what Put fills: Params "[]" for none, and SHA256 when
// empty (into sum as well); a non-empty SHA256 must be well formed and is
// decoded into sum rather than hashed again (verify recomputes every one
// from the files).
func fillSample(s *Sample, sum *[sha256.Size]byte) error {
	if len(s.Params) == 0 {
		s.Params = json.RawMessage("[]")
	}
	if s.SHA256 == "" {
		*sum = sha256.Sum256(s.Data)
		s.SHA256 = hex.EncodeToString(sum[:])
		return nil
	}
	if !lowerHex(s.SHA256, 2*sha256.Size) {
		return &SampleError{ID: s.ID, Field: "sha256", Reason: fmt.Sprintf("malformed sha256 %q: want 64 lower-case hex digits, or none to have it computed", s.SHA256)}
	}
	if _, err := hex.Decode(sum[:], []byte(s.SHA256)); err != nil {
		return fmt.Errorf("sample %q: decode sha256: %w", s.ID, err) // unreachable after lowerHex
	}
	return nil
}

// sampleExt is the folder format's extension of s.
func sampleExt(s *Sample) (string, error) {
	ext := s.Ext
	if ext == "" {
		ext = ".png"
	}
	if !schema.ValidExt(ext) {
		return "", &SampleError{ID: s.ID, Field: "ext", Reason: fmt.Sprintf("bad file extension %q: want a dot and 1 to 5 lower-case letters or digits", ext)}
	}
	return ext, nil
}

// encoder encodes samples for the shard formats, reusing its buffers: a
// WebDataset sample or a TFRecord Example it returns is valid until the
// next call.
type encoder struct {
	jsonBuf bytes.Buffer
	jsonEnc *json.Encoder
	exBuf   []byte
	nameBuf []byte // image/filename scratch
	keyBuf  []byte // image/key/sha256 scratch
	clsBuf  []byte
	members [3]wds.Member
}

// wdsMeta is the <key>.json member of a WebDataset sample.
type wdsMeta struct {
	Class      string          `json:"class"`
	ClassIndex int             `json:"class_index"`
	Source     string          `json:"source"`
	Variant    int             `json:"variant"`
	BitDepth   int             `json:"bit_depth"` // of the PNG: decoders that assume 8 would clip a 16-bit one
	Params     json.RawMessage `json:"params"`
}

// webdataset returns the WebDataset sample of s. Call release when it is
// written, so that the encoder keeps no reference to the caller's data.
func (e *encoder) webdataset(s *Sample) (wds.Sample, error) {
	if e.jsonEnc == nil {
		e.jsonEnc = json.NewEncoder(&e.jsonBuf)
	}
	e.jsonBuf.Reset()
	meta := wdsMeta{Class: s.Class, ClassIndex: s.ClassIndex, Source: s.Source, Variant: s.Variant, BitDepth: s.BitDepth, Params: s.Params}
	if err := e.jsonEnc.Encode(&meta); err != nil {
		return wds.Sample{}, fmt.Errorf("sample %s: encode webdataset metadata: %w", s.ID, err)
	}
	js := e.jsonBuf.Bytes()
	js = js[:len(js)-1] // Encode's trailing newline
	e.clsBuf = strconv.AppendInt(e.clsBuf[:0], int64(s.ClassIndex), 10)
	// Members of one sample are adjacent and share the key (the id, which
	// has no dot), as WebDataset readers require.
	e.members = [...]wds.Member{{Ext: "png", Data: s.Data}, {Ext: "cls", Data: e.clsBuf}, {Ext: "json", Data: js}}
	return wds.Sample{Key: s.ID, Members: e.members[:]}, nil
}

func (e *encoder) release() { e.members = [3]wds.Member{} }

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

// example encodes the tf.train.Example of s into e.exBuf.
func (e *encoder) example(s *Sample) []byte {
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
	e.nameBuf = append(append(e.nameBuf[:0], s.ID...), ext...)
	bytesF(exFilename, e.nameBuf)
	bytesF(exFormat, pngFormat)
	intF(exHeight, s.Height)
	e.keyBuf = append(e.keyBuf[:0], s.SHA256...)
	bytesF(exKeySHA256, e.keyBuf)
	// source_id is the sample's own id: in TF's image conventions it
	// identifies the image itself, and the source path is in the manifest.
	bytesF(exSourceID, []byte(s.ID))
	intF(exWidth, s.Width)
	e.exBuf = tfrecord.AppendExample(e.exBuf[:0], entries[:])
	return e.exBuf
}

// stream is one shard's byte stream: it hashes and counts everything on
// its way to out, so a shard's sha256 and size cost no second read.
type stream struct {
	out     io.Writer
	h       hash.Hash
	n       int64
	samples int
	tw      *wds.Writer      // webdataset only
	rec     *tfrecord.Writer // tfrecord only
}

func newStream(format string, out io.Writer) *stream {
	s := &stream{out: out, h: sha256.New()}
	if format == schema.FormatWebDataset {
		s.tw = wds.NewWriter(s)
	} else {
		s.rec = tfrecord.NewWriter(s)
	}
	return s
}

func (s *stream) Write(p []byte) (int, error) {
	s.h.Write(p)
	s.n += int64(len(p))
	return s.out.Write(p)
}

// writeWDS and writeExample add one sample; the error is the codec's,
// for the caller to name the shard.
func (s *stream) writeWDS(x *wds.Sample) error {
	if err := s.tw.WriteSample(x); err != nil {
		return err
	}
	s.samples++
	return nil
}

func (s *stream) writeExample(payload []byte) error {
	if err := s.rec.WriteRecord(payload); err != nil {
		return err
	}
	s.samples++
	return nil
}

// finish writes the format's trailer (tar end blocks); out is not flushed.
func (s *stream) finish() error {
	if s.tw != nil {
		return s.tw.Close()
	}
	return nil
}

// shard describes the finished stream as a card entry.
func (s *stream) shard(format, split, path string) schema.Shard {
	return schema.Shard{Format: format, Split: split, Path: path, Samples: s.samples, Bytes: s.n, SHA256: hex.EncodeToString(s.h.Sum(nil))}
}

// ShardName is the path, relative to OUT, of shard index of total of a
// split in a shard format: webdataset/<split>-%05d.tar,
// tfrecord/<split>-%05d-of-%05d.tfrecord.
func ShardName(format, split string, index, total int) string {
	if format == schema.FormatWebDataset {
		return schema.FormatWebDataset + "/" + fmt.Sprintf("%s-%05d.tar", split, index)
	}
	return schema.FormatTFRecord + "/" + fmt.Sprintf("%s-%05d-of-%05d.tfrecord", split, index, total)
}
