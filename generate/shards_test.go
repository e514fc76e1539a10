package generate

import (
	"context"
	"image"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

// With the default sharding a 600-sample val split gets several
// WebDataset shards (enough for WebLoader(num_workers=2) and more), of
// sizes differing by at most one, named <split>-NNNNN.tar, and the index
// lists exactly the card's shards with their counts. The layout does not
// depend on --workers.
func TestDefaultShards(t *testing.T) {
	in := t.TempDir()
	for _, class := range []string{"a", "b"} {
		for s := range 5 {
			g := image.NewGray(image.Rect(0, 0, 8, 8))
			for i := range g.Pix {
				g.Pix[i] = uint8(i*7 + s*31 + int(class[0])*3)
			}
			filetest.WritePNG(t, filepath.Join(in, class, "s"+strconv.Itoa(s)+".png"), g)
		}
	}
	var layouts [][]schema.Shard
	for _, workers := range []int{1, 2} {
		cfg := small(t, in, workers)
		cfg.Size = Size{}
		cfg.PerSource = 300
		cfg.Formats = []string{schema.FormatWebDataset, schema.FormatTFRecord}
		card, err := Run(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		layouts = append(layouts, card.Shards)
		if n := card.Counts["a"][schema.Val] + card.Counts["b"][schema.Val]; n != 600 {
			t.Fatalf("val has %d samples, the test wants 600", n)
		}
		per := map[string][]schema.Shard{}
		for _, sh := range card.Shards {
			per[sh.Format+" "+sh.Split] = append(per[sh.Format+" "+sh.Split], sh)
		}
		val := per[schema.FormatWebDataset+" "+schema.Val]
		if len(val) < 2 {
			t.Errorf("a 600-sample val split got %d webdataset shards, want 2 or more", len(val))
		}
		for key, shards := range per {
			lo, hi := shards[0].Samples, shards[0].Samples
			for i, sh := range shards {
				lo, hi = min(lo, sh.Samples), max(hi, sh.Samples)
				var want string
				if sh.Format == schema.FormatWebDataset {
					want = sh.Split + "-" + pad5(i) + ".tar"
				} else {
					want = sh.Split + "-" + pad5(i) + "-of-" + pad5(len(shards)) + ".tfrecord"
				}
				if got := path.Base(sh.Path); got != want {
					t.Errorf("%s shard %d is %s, want %s", key, i, got, want)
				}
			}
			if hi-lo > 1 {
				t.Errorf("%s shards hold %d to %d samples: not balanced", key, lo, hi)
			}
		}
		for _, format := range cfg.Formats {
			name := filepath.Join(cfg.Out, format, schema.IndexFile)
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			x, err := schema.ReadIndex(f, name)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, split := range schema.Splits() {
				var want []schema.IndexEntry
				for _, sh := range per[format+" "+split] {
					want = append(want, schema.IndexEntry{URL: path.Base(sh.Path), NSamples: sh.Samples, FileSize: sh.Bytes, SHA256: sh.SHA256})
				}
				if got := x.Split(split); !slices.Equal(got, want) {
					t.Errorf("%s %s: %+v, want %+v", name, split, got, want)
				}
			}
		}
	}
	if !slices.Equal(layouts[0], layouts[1]) {
		t.Errorf("shards differ between --workers 1 and 2")
	}
}

func pad5(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 5 {
		s = "0" + s
	}
	return s
}

// TestShardBytesOrder: with --shard-bytes shards roll by size, so the plan
// has no fixed units; generate still writes every sample, in the same
// split-major order as a run sharded by count.
func TestShardBytesOrder(t *testing.T) {
	ids := func(shardBytes int64) ([]string, *schema.Card) {
		cfg := small(t, cells, 2)
		cfg.Formats = []string{schema.FormatWebDataset}
		cfg.ShardBytes = shardBytes
		card, err := Run(context.Background(), cfg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range readManifest(t, cfg.Out) {
			out = append(out, r.Split+"/"+r.ID)
		}
		return out, card
	}
	want, _ := ids(0)
	got, card := ids(4 << 10)
	if !slices.Equal(got, want) {
		t.Errorf("--shard-bytes run wrote %d samples in another order than the run sharded by count (%d)", len(got), len(want))
	}
	if card.Total != len(want) {
		t.Errorf("card total %d, want %d", card.Total, len(want))
	}
}
