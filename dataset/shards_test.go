package dataset

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/tfrecord"
	"github.com/augsplit/augsplit/wds"
)

func TestReadTFSample(t *testing.T) {
	ok := tfrecord.Example{
		"image/encoded":     tfrecord.BytesFeature([]byte("PNG")),
		"image/class/label": tfrecord.Int64Feature(2),
		"image/class/text":  tfrecord.BytesFeature([]byte("spiky")),
	}.Marshal()
	s, err := ReadTFSample("s", 40, ok)
	if err != nil || string(s.Encoded) != "PNG" || s.Label != 2 || s.Class != "spiky" || s.Offset != 40 {
		t.Errorf("ReadTFSample = %+v, %v", s, err)
	}
	image := tfrecord.BytesFeature([]byte("x"))
	tests := []struct {
		name string
		ex   tfrecord.Example
		want string
	}{
		{"no image", tfrecord.Example{"image/class/label": tfrecord.Int64Feature(1)}, "image/encoded"},
		{"no label", tfrecord.Example{"image/encoded": image}, "image/class/label"},
		{"negative label", tfrecord.Example{"image/encoded": image, "image/class/label": tfrecord.Int64Feature(-3)}, "image/class/label"},
		{"two labels", tfrecord.Example{"image/encoded": image, "image/class/label": tfrecord.Int64Feature(1, 2)}, "image/class/label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTFSample("x.tfrecord", 12, tc.ex.Marshal())
			var se *ShardError
			if !errors.As(err, &se) || se.Offset != 12 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want *ShardError at 12 naming %s", err, tc.want)
			}
		})
	}
	if _, err := ReadTFSample("x.tfrecord", 12, []byte{0xff}); err == nil || !strings.Contains(err.Error(), "bad record payload") {
		t.Errorf("garbage payload: err = %v", err)
	}
}

// TestInShard: an error of either codec reader is named after its shard,
// in the one format verify and Walk print.
func TestInShard(t *testing.T) {
	var rec bytes.Buffer
	if err := tfrecord.NewWriter(&rec).WriteRecord([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	_, _, tfErr := tfrecord.NewReader(bytes.NewReader(rec.Bytes()[:rec.Len()-1])).Next()
	_, wdsErr := wds.NewReader(bytes.NewReader(make([]byte, 512))).Next()
	other := errors.New("disk on fire")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{tfErr, "shard t.tfrecord: at byte offset 0: truncated record: data CRC missing (3 of 4 bytes)"},
		{wdsErr, "shard t.tfrecord: at byte offset 512: truncated: no end-of-archive marker"},
		{other, "shard t.tfrecord: disk on fire"},
		{io.ErrUnexpectedEOF, "shard t.tfrecord: unexpected EOF"},
	} {
		err := inShard("t.tfrecord", tc.err)
		if err.Error() != tc.want {
			t.Errorf("inShard(%v) = %q, want %q", tc.err, err, tc.want)
		}
		if tc.err == other && !errors.Is(err, other) {
			t.Errorf("inShard(%v) does not wrap it", tc.err)
		}
	}
}
