package train

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/generate"
	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

// TestGroupsAreTheUnitOfEvidence: after `split --group-regex`, a patient's
// files are one source of evidence for train's interval and --cv folds,
// not one each (QA found a patient in both train and val of a fold).
func TestGroupsAreTheUnitOfEvidence(t *testing.T) {
	t.Parallel()
	in, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	k := 0
	for _, class := range []string{"a", "b"} {
		for p := range 4 {
			for f := range 3 {
				filetest.WritePNG(t, filepath.Join(in, class, fmt.Sprintf("pat%d_%d.png", p, f)), stripe("gray8", 32, k))
				k++
			}
		}
	}
	card, err := generate.Split(context.Background(), generate.SplitConfig{In: in, Out: out, Val: 0.25, Seed: 1, GroupRegex: `^(pat\d+)_`}, generate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range card.Sources {
		if want := strings.SplitN(filepath.Base(s.Path), "_", 2)[0]; s.Group != want {
			t.Errorf("card source %s: group %q, want %q", s.Path, s.Group, want)
		}
	}
	d, err := LoadSplits(context.Background(), out, []string{schema.Train, schema.Val}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]string{}
	for _, sp := range []string{schema.Train, schema.Val} {
		set := d.Sets[sp]
		for i := range set.N {
			id := set.SourceID(i)
			if !strings.HasPrefix(id, "group ") {
				t.Fatalf("%s sample %d: source %q, want its group", sp, i, id)
			}
			if w, ok := where[id]; ok && w != sp {
				t.Errorf("%s is in %s and %s", id, w, sp)
			}
			where[id] = sp
		}
	}
	val := map[string]bool{}
	for i := range d.Sets[schema.Val].N {
		val[d.Sets[schema.Val].SourceID(i)] = true
	}
	if len(val) != 2 || len(where) != 8 {
		t.Errorf("val holds %d groups of %d in all; want 2 of 8 (one patient per class)", len(val), len(where))
	}
}
