package wds

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/pyinterop"
)

// pySample is a sample in interop.py's JSON.
type pySample struct {
	Key     string     `json:"key"`
	Members []pyMember `json:"members"`
}

type pyMember struct {
	Ext  string   `json:"ext"`
	Data string   `json:"data"` // hex
	PAX  []string `json:"pax"`  // the PAX record keys python saw
}

func toPy(samples []Sample) []pySample {
	var out []pySample
	for _, s := range samples {
		p := pySample{Key: s.Key}
		for _, m := range s.Members {
			pax := []string{}
			if !isASCII(s.Key+m.Ext) || len(s.Key)+1+len(m.Ext) > 100 {
				pax = []string{"path"}
			}
			p.Members = append(p.Members, pyMember{Ext: m.Ext, Data: hex.EncodeToString(m.Data), PAX: pax})
		}
		out = append(out, p)
	}
	return out
}

// TestPythonReadsShard: Python's tarfile reads the shard, with the
// non-ASCII and long names as UTF-8 PAX "path" records and nothing else
// in PAX, every header the fixed one, and the samples grouped as written.
func TestPythonReadsShard(t *testing.T) {
	t.Parallel()
	samples := testSamples()
	var got []pySample
	if stderr, err := pyinterop.Read(t, "train-000000.tar", writeAll(t, samples), &got); err != nil {
		t.Fatalf("python read: %v\n%s", err, stderr)
	}
	if want := toPy(samples); !reflect.DeepEqual(got, want) {
		t.Errorf("python read\n%+v\nwant\n%+v", got, want)
	}
}

// TestReadsPythonShard: a shard Python's tarfile writes (PAX format, its
// own headers) is read here as the same samples.
func TestReadsPythonShard(t *testing.T) {
	t.Parallel()
	samples := testSamples()
	got, err := readAll(NewReader(bytes.NewReader(pyinterop.Write(t, toPy(samples)))))
	if err != nil {
		t.Fatal(err)
	}
	var read []Sample
	for _, s := range got {
		read = append(read, *s)
	}
	if g, w := toPy(read), toPy(samples); !reflect.DeepEqual(g, w) {
		t.Errorf("read\n%+v\nwant\n%+v", g, w)
	}
}

// TestPythonDetects shows the independent reader is not a rubber stamp:
// it rejects a key that comes back and a cut shard.
func TestPythonDetects(t *testing.T) {
	t.Parallel()
	samples := testSamples()
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"not adjacent", writeAll(t, []Sample{samples[0], samples[1], samples[0]}), "members of round_cell-0001 are not adjacent"},
		{"cut", writeAll(t, samples)[:1000], "val-000003.tar"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []pySample
			stderr, err := pyinterop.Read(t, "val-000003.tar", tt.data, &got)
			if err == nil || !strings.Contains(stderr, tt.want) {
				t.Errorf("python on a bad shard: err %v, stderr %q; want failure mentioning %q", err, stderr, tt.want)
			}
		})
	}
}
