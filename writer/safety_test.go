package writer

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/augsplit/augsplit/schema"
)

// Issue 11, row 1: Force removes only what augsplit can prove it wrote.

func TestForeignFilesUnderAugsplitNamesAreRefused(t *testing.T) {
	t.Parallel()
	all := []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		foreign string
	}{
		{"no dataset (the issue's repro)", func(t *testing.T, dir string) {
			put(t, dir, "test/unit_test.go", "t")
			put(t, dir, "train/IMPORTANT.csv", "d")
		}, "test/unit_test.go"},
		{"a file in a finished dataset's split folder", func(t *testing.T, dir string) {
			write(t, dir, Options{Classes: testClasses, Fingerprint: "fp0", Formats: all, ShardSize: 4}, makeSamples(12))
			put(t, dir, "train/IMPORTANT.csv", "d")
		}, "train/IMPORTANT.csv"},
		{"an unlisted image in a class folder", func(t *testing.T, dir string) {
			write(t, dir, Options{Classes: testClasses, Fingerprint: "fp0"}, makeSamples(12))
			put(t, dir, "train/"+testClasses[0]+"/holiday.png", "x")
		}, "train/" + testClasses[0] + "/holiday.png"},
		{"a folder in a shard folder", func(t *testing.T, dir string) {
			write(t, dir, Options{Classes: testClasses, Fingerprint: "fp0", Formats: all, ShardSize: 4}, makeSamples(12))
			put(t, dir, "webdataset/mine/notes.txt", "x")
		}, "webdataset/mine"},
		{"a manifest that is not the card's", func(t *testing.T, dir string) {
			write(t, dir, Options{Classes: testClasses, Fingerprint: "fp0"}, makeSamples(12))
			put(t, dir, schema.ManifestFile, "{}\n")
		}, schema.ManifestFile},
		{"a dataset.json augsplit did not seal", func(t *testing.T, dir string) {
			put(t, dir, schema.CardFile, `{"fingerprint":"x"}`)
		}, schema.CardFile},
		{"a file in an unfinished run's split folder", func(t *testing.T, dir string) {
			put(t, dir, schema.MarkerFile, "fp0\n")
			put(t, dir, "val/a/x-1.png", "x")
			put(t, dir, "val/notes.md", "x")
		}, "val/notes.md"},
	}
	for _, tt := range tests {
		for _, force := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{true: ", force"}[force], func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				tt.setup(t, dir)
				before := snapshot(t, dir)
				o, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1", Force: force})
				if o != nil {
					o.Abort()
				}
				var ne *NotEmptyError
				if !errors.As(err, &ne) || ne.Foreign != tt.foreign {
					t.Fatalf("Open = %v, want a *NotEmptyError naming %s", err, tt.foreign)
				}
				if msg := err.Error(); !strings.Contains(msg, tt.foreign) || strings.Contains(msg, "--force") {
					t.Errorf("error %q: want it to name %s and not suggest --force, which would not help", msg, tt.foreign)
				}
				if after := snapshot(t, dir); !mapsEqual(before, after) {
					t.Errorf("a refused Open changed the folder: %v -> %v", sortedKeys(before), sortedKeys(after))
				}
			})
		}
	}
}

func put(t *testing.T, dir, rel, data string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestForceRemovesWhatTheCardListsWithPictures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	all := []string{schema.FormatFolder, schema.FormatWebDataset, schema.FormatTFRecord}
	write(t, dir, Options{Classes: testClasses, Fingerprint: "fp0", Formats: all, ShardSize: 4}, makeSamples(20))
	put(t, dir, "preview.png", "old picture")
	put(t, dir, "train/"+tempPrefix+"x", "stale")
	put(t, dir, "keep/me.txt", "mine")
	o, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Abort()
	got := sortedKeys(snapshot(t, dir))
	want := []string{schema.MarkerFile, schema.LockFile, "keep/me.txt"}
	var rest []string
	for _, k := range got {
		if !IsTemp(filepath.Base(k)) {
			rest = append(rest, k)
		}
	}
	if strings.Join(rest, ",") != strings.Join(sortedKeysOf(want), ",") {
		t.Errorf("after Force: %v, want %v (the old dataset gone, keep/ kept)", rest, sortedKeysOf(want))
	}
	for _, d := range []string{"train", "webdataset", "tfrecord"} {
		if _, err := os.Stat(filepath.Join(dir, d)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s/ left after Force (stat: %v)", d, err)
		}
	}
}

func sortedKeysOf(names []string) []string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = ""
	}
	return sortedKeys(m)
}

func TestUnsafeOutFolders(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{"/": "root folder", repo: "git repository"}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		dirs[home+"/"] = "home folder"
	}
	for dir, why := range dirs {
		for _, force := range []bool{false, true} {
			o, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1", Force: force})
			if o != nil {
				o.Abort()
			}
			var ue *UnsafeDirError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), why) {
				t.Errorf("Open(%s, force %v) = %v, want an *UnsafeDirError saying %q", dir, force, err, why)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(repo, schema.LockFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused Open left a lock file in the repository")
	}
}

// Row 9: a run killed while it created its marker left only a temporary.
func TestKilledDuringMarkerCreationResumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	put(t, dir, tempPrefix+schema.MarkerFile+"-123456", "fp")
	put(t, dir, schema.LockFile, "99999\n")
	write(t, dir, Options{Classes: testClasses, Fingerprint: "fp1"}, makeSamples(6))
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temporaries left: %v", tmp)
	}
	if _, err := os.Stat(filepath.Join(dir, schema.LockFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("lock file left after the run (stat: %v)", err)
	}
}

// Row 3: one run per OUT.
func TestSecondOpenIsLockedOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, fp := range []string{"fp1", "fp2"} {
		_, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: fp, Force: true})
		var le *LockedError
		if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
			t.Fatalf("second Open (%s) = %v, want a *LockedError naming pid %d", fp, err, os.Getpid())
		}
	}
	s := makeSamples(6)
	for i := range s {
		if err := o.Put(context.Background(), &s[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Commit(testCard(testClasses)); err != nil {
		t.Fatal(err)
	}
	// Released at the end of the run.
	if _, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1"}); !errors.Is(err, ErrUpToDate) {
		t.Fatalf("Open after the first run = %v, want ErrUpToDate", err)
	}
	o2, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp2", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	o2.Abort()
	if _, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp2"}); err != nil && errors.As(err, new(*LockedError)) {
		t.Errorf("lock kept after Abort: %v", err)
	}
}

// markerFS fails the removal of the run marker with err.
type markerFS struct {
	noSyncFS
	err error
}

func (m markerFS) Remove(path string) error {
	if filepath.Base(path) == schema.MarkerFile {
		_ = OS.Remove(path)
		return &fs.PathError{Op: "remove", Path: path, Err: m.err}
	}
	return OS.Remove(path)
}

// Row 2: a card is never left without its manifest.
func TestMarkerRemovalFailureKeepsManifest(t *testing.T) {
	t.Parallel()
	for _, e := range []syscall.Errno{syscall.ENOENT, syscall.EIO} {
		t.Run(e.Error(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			o, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1", FS: markerFS{noSyncFS: noSyncFS{OS}, err: e},
				Formats: []string{schema.FormatFolder, schema.FormatWebDataset}, ShardSize: 3})
			if err != nil {
				t.Fatal(err)
			}
			s := makeSamples(12)
			for i := range s {
				if err := o.Put(context.Background(), &s[i]); err != nil {
					t.Fatal(err)
				}
			}
			err = o.Commit(testCard(testClasses))
			o.Abort()
			if e == syscall.ENOENT && err != nil {
				t.Errorf("Commit = %v; a marker already gone is a finished run", err)
			}
			if e == syscall.EIO && err == nil {
				t.Errorf("Commit hid a failed marker removal")
			}
			for _, f := range []string{schema.CardFile, schema.ManifestFile} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s missing after Commit and Abort: %v", f, err)
				}
			}
			if _, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1"}); !errors.Is(err, ErrUpToDate) {
				t.Errorf("re-run = %v, want ErrUpToDate", err)
			}
		})
	}
}
