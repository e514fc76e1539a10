package schema

import (
	"strings"
	"testing"
)

func TestShardIndexRoundTrip(t *testing.T) {
	shards := []Shard{
		{Format: FormatTFRecord, Split: Train, Path: "tfrecord/train-00000-of-00001.tfrecord", Samples: 9, Bytes: 90, SHA256: "t"},
		{Format: FormatWebDataset, Split: Train, Path: "webdataset/train-00000.tar", Samples: 5, Bytes: 51, SHA256: "a"},
		{Format: FormatWebDataset, Split: Train, Path: "webdataset/train-00001.tar", Samples: 4, Bytes: 41, SHA256: "b"},
		{Format: FormatWebDataset, Split: Test, Path: "webdataset/test-00000.tar", Samples: 2, Bytes: 21, SHA256: "c"},
	}
	data, err := MarshalIndex(IndexOf(FormatWebDataset, shards))
	if err != nil {
		t.Fatal(err)
	}
	// Splits in schema order, empty ones left out, urls relative to the index.
	want := `{
  "train": [
    {
      "url": "train-00000.tar",
      "nsamples": 5,
      "filesize": 51,
      "sha256": "a"
    },
    {
      "url": "train-00001.tar",
      "nsamples": 4,
      "filesize": 41,
      "sha256": "b"
    }
  ],
  "test": [
    {
      "url": "test-00000.tar",
      "nsamples": 2,
      "filesize": 21,
      "sha256": "c"
    }
  ]
}
`
	if string(data) != want {
		t.Errorf("index =\n%s\nwant\n%s", data, want)
	}
	x, err := ReadIndex(strings.NewReader(string(data)), "index.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Split(Train)) != 2 || x.Split(Val) != nil || x.Split(Test)[0].NSamples != 2 {
		t.Errorf("read back %+v", x)
	}
	if _, err := ReadIndex(strings.NewReader(`{"train": [{"url": "x", "samples": 3}]}`), "index.json"); err == nil || !strings.Contains(err.Error(), "index.json") {
		t.Errorf("unknown field: err = %v, want an error naming the file", err)
	}
}
