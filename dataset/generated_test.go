package dataset

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	b := buildOUT(t, outOptions{folder: true})
	g, err := Open(b.dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !reflect.DeepEqual(g.Records, b.records) {
		t.Errorf("Records differ from what was written")
	}
	if !reflect.DeepEqual(g.Card.Counts, b.card.Counts) || g.Card.ManifestSHA256 != b.card.ManifestSHA256 {
		t.Errorf("Card differs from what was written")
	}
}

func TestOpenIncomplete(t *testing.T) {
	t.Parallel()
	b := buildOUT(t, outOptions{folder: true})
	if err := os.Remove(filepath.Join(b.dir, schema.CardFile)); err != nil {
		t.Fatal(err)
	}
	_, err := Open(b.dir)
	var ie *IncompleteError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "re-run the same command") || !strings.Contains(err.Error(), b.dir) {
		t.Errorf("err = %v, want *IncompleteError naming the folder and the fix", err)
	}
	if _, err := Open(filepath.Join(b.dir, "nope")); err == nil || errors.As(err, &ie) {
		t.Errorf("missing folder: err = %v, want a plain error", err)
	}
}

// Names SanitizeName makes are names a manifest may hold (schema.ValidName),
// Unicode ones included.
func TestSanitizedNamesAreValid(t *testing.T) {
	t.Parallel()
	for _, name := range []string{SanitizeName("ünïcødé 細胞"), SanitizeName("u\u0308ber"), SanitizeName(strings.Repeat("細", 40)), SanitizeName("../a b.c")} {
		if !schema.ValidName(name) {
			t.Errorf("schema.ValidName(%q) = false for a SanitizeName result", name)
		}
	}
}

func TestOpenDuplicateID(t *testing.T) {
	t.Parallel()
	b := buildOUT(t, outOptions{folder: true})
	mp := filepath.Join(b.dir, schema.ManifestFile)
	m, _ := os.ReadFile(mp)
	first := m[:bytes.IndexByte(m, '\n')+1]
	filetest.Write(t, mp, append(m, first...))
	_, err := Open(b.dir)
	var me *schema.ManifestError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "already used on line 1") {
		t.Errorf("err = %v, want *schema.ManifestError for the repeated id", err)
	}
}

// walkIDs collects what Walk visits.
func walkIDs(t *testing.T, root, split, format string) (ids []string, labels []int) {
	t.Helper()
	err := WalkFormat(context.Background(), root, split, format, func(s Sample) error {
		if s.Record == nil {
			t.Fatal("Record is nil for an augsplit OUT")
		}
		if s.Class != s.Record.Class || s.Label != s.Record.ClassIndex {
			t.Errorf("%s: class %q label %d, record says %q %d", s.Record.ID, s.Class, s.Label, s.Record.Class, s.Record.ClassIndex)
		}
		ids = append(ids, s.Record.ID)
		labels = append(labels, s.Label)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk %s %s: %v", split, format, err)
	}
	return ids, labels
}

func TestWalkGenerated(t *testing.T) {
	t.Parallel()
	b := buildOUT(t, outOptions{folder: true, webdataset: true, tfrecord: true})
	for _, split := range []string{schema.Train, schema.Val} {
		want := b.idsOf(split)
		for _, format := range []string{"", schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord} {
			t.Run(split+"/"+format, func(t *testing.T) {
				t.Parallel()
				var got []string
				err := WalkFormat(context.Background(), b.dir, split, format, func(s Sample) error {
					got = append(got, s.Record.ID)
					if !sameGrey(s.Image, b.images[s.Record.ID]) {
						t.Errorf("%s: pixels differ", s.Record.ID)
					}
					if want := map[string]int{"alpha": 0, "beta": 1}[s.Class]; s.Label != want {
						t.Errorf("%s: label %d, want %d", s.Record.ID, s.Label, want)
					}
					return nil
				})
				if err != nil {
					t.Fatalf("Walk: %v", err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("order = %v, want manifest order %v", got, want)
				}
			})
		}
	}
}

func TestWalkShardsOnly(t *testing.T) {
	t.Parallel()
	for _, o := range []outOptions{{webdataset: true}, {tfrecord: true}} {
		b := buildOUT(t, o)
		ids, _ := walkIDs(t, b.dir, schema.Train, "")
		if want := b.idsOf(schema.Train); !reflect.DeepEqual(ids, want) {
			t.Errorf("%+v: order = %v, want %v", o, ids, want)
		}
	}
}

func TestWalkGeneratedErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    outOptions
		split   string
		format  string
		break_  func(t *testing.T, b *builtOUT)
		wantMsg string
	}{
		{"unknown split", outOptions{folder: true}, schema.Test, "", nil, `no split "test"`},
		{"changed file", outOptions{folder: true}, schema.Train, "", func(t *testing.T, b *builtOUT) {
			filetest.Write(t, filepath.Join(b.dir, filepath.FromSlash(b.records[0].Path)), filetest.PNG(t, grey(4, 3, 99)))
		}, "does not match the manifest"},
		{"no card", outOptions{folder: true}, schema.Train, "", func(t *testing.T, b *builtOUT) {
			os.Remove(filepath.Join(b.dir, schema.CardFile))
		}, "incomplete"},
		{"flipped tfrecord byte", outOptions{tfrecord: true}, schema.Train, "", func(t *testing.T, b *builtOUT) {
			p := filepath.Join(b.dir, filepath.FromSlash(b.card.Shards[1].Path))
			data, _ := os.ReadFile(p)
			data[len(data)-10] ^= 1
			filetest.Write(t, p, data)
		}, "train-00001-of-00002.tfrecord: at byte offset"},
		{"missing folder form", outOptions{webdataset: true}, schema.Train, schema.FormatFolder, nil, "no path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := buildOUT(t, tc.opts)
			if tc.break_ != nil {
				tc.break_(t, b)
			}
			err := WalkFormat(context.Background(), b.dir, tc.split, tc.format, func(Sample) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantMsg)
			}
		})
	}
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	b := buildOUT(t, outOptions{folder: true})
	stop := errors.New("stop")
	n := 0
	err := Walk(context.Background(), b.dir, schema.Train, func(Sample) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d calls, want the callback's error after 1", err, n)
	}
}

func TestWalkImageFolder(t *testing.T) {
	t.Parallel()
	root := filetest.Tree(t, map[string][]byte{
		"train/cat/2.png":      filetest.PNG(t, grey(2, 2, 1)),
		"train/cat/1.png":      filetest.PNG(t, grey(2, 2, 2)),
		"train/dog/a/b.png":    filetest.PNG(t, grey(2, 2, 3)),
		"train/dog/.hid.png":   []byte("hidden"),
		"train/dog/notes.txt":  []byte("not an image"),
		"val/dog/v.png":        filetest.PNG(t, grey(2, 2, 4)),
		"val/emu/e.png":        filetest.PNG(t, grey(2, 2, 5)), // only in val: still shifts no train label
		"test/.ignored/x.png":  filetest.PNG(t, grey(2, 2, 6)),
		"train/cat/sub/0a.png": filetest.PNG(t, grey(2, 2, 7)),
	})
	symlink(t, filepath.Join(root, "train", "cat", "1.png"), filepath.Join(root, "train", "dog", "linked.png"))
	classes, err := Classes(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cat", "dog", "emu"}; !reflect.DeepEqual(classes, want) {
		t.Errorf("Classes = %v, want %v", classes, want)
	}
	type visit struct {
		Class string
		Label int
		Seed  uint8
	}
	var got []visit
	err = Walk(context.Background(), root, "train", func(s Sample) error {
		if s.Record != nil {
			t.Errorf("Record set for a plain ImageFolder")
		}
		got = append(got, visit{s.Class, s.Label, s.Image.(*image.Gray).Pix[0]})
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	want := []visit{{"cat", 0, grey(2, 2, 2).Pix[0]}, {"cat", 0, grey(2, 2, 1).Pix[0]}, {"cat", 0, grey(2, 2, 7).Pix[0]}, {"dog", 1, grey(2, 2, 3).Pix[0]}, {"dog", 1, grey(2, 2, 2).Pix[0]}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("visits = %v, want %v", got, want)
	}
	if err := Walk(context.Background(), root, "holdout", func(Sample) error { return nil }); err == nil || !strings.Contains(err.Error(), "holdout") {
		t.Errorf("missing split: err = %v, want one naming it", err)
	}
}

func TestClassesOfOUT(t *testing.T) {
	t.Parallel()
	b := buildOUT(t, outOptions{folder: true})
	got, err := Classes(b.dir)
	if err != nil || !reflect.DeepEqual(got, []string{"alpha", "beta"}) {
		t.Errorf("Classes = %v, %v; want [alpha beta]", got, err)
	}
	os.Remove(filepath.Join(b.dir, schema.ClassesFile))
	got, err = Classes(b.dir)
	if err != nil || !reflect.DeepEqual(got, []string{"alpha", "beta"}) {
		t.Errorf("Classes without classes.txt = %v, %v; want the card's", got, err)
	}
}
