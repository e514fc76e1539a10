package generate

import (
	"errors"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/conf"
)

// FuzzApplyFile: any config file either applies cleanly or fails with an
// error that names the file (a *conf.Error, the pipeline's mistakes
// included); it never panics.
func FuzzApplyFile(f *testing.F) {
	for _, seed := range []string{
		"",
		"per_source: 3\nval: 0.25\nsize: 64x48\n",
		"formats: [folder, webdataset]\nshard_size: 10\n",
		"pipeline:\n  - {name: rotate, degrees: [0, 90], border: wrap}\n  - {name: gamma, p: 0.5}\n",
		"train:\n  epochs: 3\n",
		"vall: 0.2\n",
		"size: [1, 2]\n",
		"- a\n- b\n",
		"seed: -1\n",
		"pipeline: {name: rotate}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Defaults()
		err := c.ApplyFile("fuzz.yaml", data)
		if err == nil {
			if _, yerr := c.YAML(); yerr != nil {
				t.Fatalf("applied config does not render: %v", yerr)
			}
			return
		}
		var ce *conf.Error
		if !errors.As(err, &ce) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		if ce.File != "fuzz.yaml" || !strings.HasPrefix(err.Error(), "fuzz.yaml:") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
