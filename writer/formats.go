package writer

import (
	"archive/tar"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// tarModTime is the mtime of every WebDataset member: a fixed instant, so
// shards are byte-identical from run to run.
var tarModTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// wdsMeta is the <key>.json member of a WebDataset sample.
type wdsMeta struct {
	Class      string          `json:"class"`
	ClassIndex int             `json:"class_index"`
	Source     string          `json:"source"`
	Variant    int             `json:"variant"`
	Params     json.RawMessage `json:"params"`
}

// tarBlocks is the space a member of n bytes takes: header plus data
// padded to 512-byte blocks.
func tarBlocks(n int) int64 { return 512 + (int64(n)+511)/512*512 }

// tarMember is the space a member named name with n data bytes takes,
// including the PAX extended header written before it when the name is not
// ASCII (see tarFormat), so that ShardBytes stays exact.
func tarMember(name string, n int) int64 {
	size := tarBlocks(n)
	if !isASCII(name) {
		// archive/tar writes the extended header as a member of its own
		// whose data is the records; "path" is the only one, since the
		// fixed ModTime is whole seconds, the other times are zero and
		// uname/gname are empty.
		size += tarBlocks(len(paxRecord("path", name)))
	}
	return size
}

// tarFormat is USTAR for ASCII names, so shards of ASCII ids stay byte for
// byte what they always were, and PAX otherwise: archive/tar refuses
// non-ASCII names in USTAR, and PAX carries them as a UTF-8 "path" record
// that tar readers (Python's tarfile, GNU tar, webdataset) understand.
func tarFormat(name string) tar.Format {
	if isASCII(name) {
		return tar.FormatUSTAR
	}
	return tar.FormatPAX
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// paxRecord formats a PAX record as archive/tar does: "<len> <k>=<v>\n",
// where <len> counts the whole record including its own digits.
func paxRecord(k, v string) string {
	const padding = 3 // ' ', '=' and '\n'
	size := len(k) + len(v) + padding
	size += len(strconv.Itoa(size))
	record := strconv.Itoa(size) + " " + k + "=" + v + "\n"
	if len(record) != size { // adding the digits added a digit
		size = len(record)
		record = strconv.Itoa(size) + " " + k + "=" + v + "\n"
	}
	return record
}

func (o *Out) putWebDataset(s *Sample) error {
	o.jsonBuf.Reset()
	meta := wdsMeta{Class: s.Class, ClassIndex: s.ClassIndex, Source: s.Source, Variant: s.Variant, Params: s.Params}
	if err := o.jsonEnc.Encode(&meta); err != nil {
		return fmt.Errorf("sample %s: encode webdataset metadata: %w", s.ID, err)
	}
	js := o.jsonBuf.Bytes()
	js = js[:len(js)-1] // Encode's trailing newline
	o.clsBuf = strconv.AppendInt(o.clsBuf[:0], int64(s.ClassIndex), 10)

	q := o.seq(FormatWebDataset, s.Split)
	sh, err := q.reserve(tarMember(s.ID+".png", len(s.Data)) + tarMember(s.ID+".cls", len(o.clsBuf)) + tarMember(s.ID+".json", len(js)))
	if err != nil {
		return err
	}
	// Members of one sample are adjacent and share the key (the id, which
	// has no dot), as WebDataset readers require.
	for _, m := range [...]struct {
		ext  string
		data []byte
	}{{".png", s.Data}, {".cls", o.clsBuf}, {".json", js}} {
		name := s.ID + m.ext
		hdr := tar.Header{
			Typeflag: tar.TypeReg,
			Name:     name,
			Size:     int64(len(m.data)),
			Mode:     int64(fileMode),
			ModTime:  tarModTime,
			Format:   tarFormat(name),
		}
		if err := sh.tw.WriteHeader(&hdr); err != nil {
			return fmt.Errorf("write shard %s: %w", q.errPath(sh.index), err)
		}
		if _, err := sh.tw.Write(m.data); err != nil {
			return fmt.Errorf("write shard %s: %w", q.errPath(sh.index), err)
		}
	}
	// Flush pads the last member to a block boundary now, so the byte
	// count reserve sees is exact.
	if err := sh.tw.Flush(); err != nil {
		return fmt.Errorf("write shard %s: %w", q.errPath(sh.index), err)
	}
	sh.samples++
	return nil
}

// Indexes of the Example features, in the sorted key order the encoding
// uses.
const (
	exParams = iota
	exChannels
	exLabel
	exText
	exEncoded
	exFormat
	exHeight
	exSourceID
	exWidth
	exCount
)

var exKeys = [exCount]string{
	exParams:   "augsplit/params",
	exChannels: "image/channels",
	exLabel:    "image/class/label",
	exText:     "image/class/text",
	exEncoded:  "image/encoded",
	exFormat:   "image/format",
	exHeight:   "image/height",
	exSourceID: "image/source_id",
	exWidth:    "image/width",
}

var pngFormat = []byte("png")

// exampleOf encodes the tf.train.Example of s into o.exBuf.
func (o *Out) exampleOf(s *Sample) []byte {
	var (
		entries [exCount]NamedFeature
		bs      [exCount][1][]byte
		is      [exCount][1]int64
	)
	bytesF := func(i int, b []byte) {
		bs[i][0] = b
		entries[i] = NamedFeature{Key: exKeys[i], Feature: Feature{Kind: BytesKind, Bytes: bs[i][:]}}
	}
	intF := func(i int, v int) {
		is[i][0] = int64(v)
		entries[i] = NamedFeature{Key: exKeys[i], Feature: Feature{Kind: Int64Kind, Int64: is[i][:]}}
	}
	bytesF(exParams, s.Params)
	intF(exChannels, s.Channels)
	intF(exLabel, s.ClassIndex)
	bytesF(exText, []byte(s.Class))
	bytesF(exEncoded, s.Data)
	bytesF(exFormat, pngFormat)
	intF(exHeight, s.Height)
	// source_id is the sample's own id: in TF's image conventions it
	// identifies the image itself, and the source path is in the manifest.
	bytesF(exSourceID, []byte(s.ID))
	intF(exWidth, s.Width)
	o.exBuf = AppendExample(o.exBuf[:0], entries[:])
	return o.exBuf
}

func (o *Out) putTFRecord(s *Sample) error {
	payload := o.exampleOf(s)
	q := o.seq(FormatTFRecord, s.Split)
	sh, err := q.reserve(int64(TFRecordOverhead + len(payload)))
	if err != nil {
		return err
	}
	// The frame is streamed in three writes rather than copied whole.
	var hdr [12]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(payload)))
	binary.LittleEndian.PutUint32(hdr[8:], MaskedCRC32C(hdr[:8]))
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], MaskedCRC32C(payload))
	for _, b := range [...][]byte{hdr[:], payload, tail[:]} {
		if _, err := sh.Write(b); err != nil {
			return fmt.Errorf("write shard %s: %w", q.errPath(sh.index), err)
		}
	}
	sh.samples++
	return nil
}
