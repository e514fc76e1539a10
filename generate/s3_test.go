package generate

import (
	// The tests write to mem:// and s3:// buckets.
	_ "github.com/augsplit/augsplit/internal/store/bucket"

	"context"
	"fmt"
	"testing"

	"github.com/augsplit/augsplit/internal/s3test"
)

// Issue 13 on a real S3-protocol server (gofakes3 through gocloud's
// s3blob): parts for N in 1, 2, 3, 7 then seal, downloaded, are the
// one-machine bytes; and generate --out s3://... is too.
func TestPartsOnS3(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an S3 server")
	}
	srv := s3test.New(t, "augsplit")
	in := makeSources(t, []string{"ant", "bee", "cat"}, 4)
	cfg := partsConfig(t, in)
	want := oneMachine(t, cfg)
	for _, n := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			cfg := cfg
			cfg.Out = srv.URL(fmt.Sprintf("parts%d/data", n))
			runParts(t, cfg, n, n == 3)
			st, err := OpenStore(context.Background(), cfg.Out, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := Seal(context.Background(), st, Options{}); err != nil {
				t.Fatal(err)
			}
			sameTree(t, fmt.Sprintf("%d parts on S3", n), download(t, cfg.Out), want)
		})
	}
	cfg.Out = srv.URL("one/data")
	if _, err := Run(context.Background(), cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "generate --out s3://", download(t, cfg.Out), want)
}
