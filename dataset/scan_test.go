package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/schema"
)

func TestScan(t *testing.T) {
	a1, a2, b1 := filetest.PNG(t, grey(4, 3, 1)), filetest.PNG(t, grey(5, 2, 2)), filetest.PNG(t, grey(3, 3, 3))
	root := filetest.Tree(t, map[string][]byte{
		"round/x.png":         a1,
		"round/sub/y.PNG":     a2,
		"round/.hidden.png":   []byte("not even an image"),
		"round/notes.txt":     []byte("ignored"),
		"spiky/z.png":         b1,
		"spiky/README":        []byte("ignored"),
		".git/config":         []byte("hidden folder"),
		"spiky/.DS_Store/foo": []byte("hidden"),
	})
	tree, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	wantClasses := []Class{{Name: "round", Dir: "round", Sources: 2}, {Name: "spiky", Dir: "spiky", Sources: 1}}
	if !reflect.DeepEqual(tree.Classes, wantClasses) {
		t.Errorf("Classes = %+v, want %+v", tree.Classes, wantClasses)
	}
	wantSources := []Source{
		{Class: "round", Path: "round/sub/y.PNG", Stem: "y", SHA256: filetest.SHA256(a2), Width: 5, Height: 2, Format: FormatPNG},
		{Class: "round", Path: "round/x.png", Stem: "x", SHA256: filetest.SHA256(a1), Width: 4, Height: 3, Format: FormatPNG},
		{Class: "spiky", Path: "spiky/z.png", Stem: "z", SHA256: filetest.SHA256(b1), Width: 3, Height: 3, Format: FormatPNG},
	}
	if !reflect.DeepEqual(tree.Sources, wantSources) {
		t.Errorf("Sources =\n%+v\nwant\n%+v", tree.Sources, wantSources)
	}
	if tree.NonImages != 2 {
		t.Errorf("NonImages = %d, want 2", tree.NonImages)
	}
	if len(tree.Skipped)+len(tree.Renamed) != 0 {
		t.Errorf("unexpected skipped %v, renamed %v", tree.Skipped, tree.Renamed)
	}
	// Hidden entries are still ignored, but no longer silently.
	if tree.Hidden != 3 || len(tree.Warnings) != 1 || !strings.Contains(tree.Warnings[0], "ignored 3 hidden") {
		t.Errorf("Hidden = %d, warnings %q, want 3 and one line saying so", tree.Hidden, tree.Warnings)
	}
	img, err := tree.Load(context.Background(), tree.Sources[1])
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !sameGrey(img, grey(4, 3, 1)) {
		t.Errorf("Load returned other pixels")
	}
}

func TestScanErrors(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	tests := []struct {
		name    string
		files   map[string][]byte
		setup   func(t *testing.T, root string)
		opts    ScanOptions
		check   func(error) bool
		wantMsg []string // substrings; "ROOT" is replaced by the root
	}{
		{
			name:    "no class subfolders",
			files:   map[string][]byte{"a.png": png1, "b.png": png2},
			check:   func(err error) bool { var e *NoClassesError; return errors.As(err, &e) },
			wantMsg: []string{"ROOT", "no class subfolders", "one folder per class"},
		},
		{
			name:    "empty folder",
			setup:   func(t *testing.T, root string) {},
			check:   func(err error) bool { var e *NoClassesError; return errors.As(err, &e) },
			wantMsg: []string{"ROOT", "no class subfolders"},
		},
		{
			name:    "empty class folder",
			files:   map[string][]byte{"a/x.png": png1, "b/notes.txt": []byte("x")},
			check:   func(err error) bool { var e *EmptyClassError; return errors.As(err, &e) },
			wantMsg: []string{filepath.Join("ROOT", "b"), "no images", "1 non-image"},
		},
		{
			name:    "single class",
			files:   map[string][]byte{"a/x.png": png1},
			check:   func(err error) bool { var e *ClassCountError; return errors.As(err, &e) },
			wantMsg: []string{"ROOT", "need at least 2 classes"},
		},
		{
			name:    "corrupt image",
			files:   map[string][]byte{"a/x.png": png1, "b/bad.png": png2[:len(png2)/2]},
			opts:    ScanOptions{SkipBadFlag: "--skip-bad"},
			check:   func(err error) bool { var e *DecodeError; return errors.As(err, &e) },
			wantMsg: []string{filepath.Join("ROOT", "b", "bad.png"), "--skip-bad"},
		},
		{
			// eval scans class folders too, and has no --skip-bad.
			name:  "corrupt image, no flag to advise",
			files: map[string][]byte{"a/x.png": png1, "b/bad.png": png2[:len(png2)/2]},
			check: func(err error) bool {
				var e *DecodeError
				return errors.As(err, &e) && !strings.Contains(err.Error(), "--")
			},
			wantMsg: []string{filepath.Join("ROOT", "b", "bad.png"), "fix or remove them"},
		},
		{
			name:    "text file named .png",
			files:   map[string][]byte{"a/x.png": png1, "b/y.png": []byte("hello")},
			check:   func(err error) bool { var e *DecodeError; return errors.As(err, &e) },
			wantMsg: []string{filepath.Join("ROOT", "b", "y.png")},
		},
		{
			name:    "decompression bomb",
			files:   map[string][]byte{"a/x.png": png1, "b/bomb.png": hugePNG(100000, 100000)},
			opts:    ScanOptions{MaxPixelsFlag: "--max-pixels"},
			check:   func(err error) bool { var e *TooLargeError; return errors.As(err, &e) },
			wantMsg: []string{"bomb.png", "--max-pixels"},
		},
		{
			name:  "decompression bomb, no flag to advise",
			files: map[string][]byte{"a/x.png": png1, "b/bomb.png": hugePNG(100000, 100000)},
			check: func(err error) bool {
				var e *TooLargeError
				return errors.As(err, &e) && !strings.Contains(err.Error(), "--")
			},
			wantMsg: []string{"bomb.png", "downscale"},
		},
		{
			name:    "over a lowered pixel limit",
			files:   map[string][]byte{"a/x.png": png1, "b/y.png": png2},
			opts:    ScanOptions{MaxPixels: 15},
			check:   func(err error) bool { var e *TooLargeError; return errors.As(err, &e) },
			wantMsg: []string{"x.png", "limit of 15"},
		},
		{
			name:    "same content in two classes",
			files:   map[string][]byte{"a/x.png": png1, "b/copy.png": png1, "b/y.png": png2},
			check:   func(err error) bool { var e *LabelConflictError; return errors.As(err, &e) },
			wantMsg: []string{"a/x.png", "b/copy.png", "label conflict"},
		},
		{
			name:  "symlink outside the input",
			files: map[string][]byte{"a/x.png": png1, "b/y.png": png2},
			setup: func(t *testing.T, root string) {
				outside := filepath.Join(t.TempDir(), "o.png")
				filetest.Write(t, outside, filetest.PNG(t, grey(2, 2, 9)))
				symlink(t, outside, filepath.Join(root, "b", "o.png"))
			},
			check:   func(err error) bool { var e *SymlinkError; return errors.As(err, &e) },
			wantMsg: []string{filepath.Join("ROOT", "b", "o.png"), "outside", "--follow-symlinks"},
		},
		{
			name:  "symlinked folder loop",
			files: map[string][]byte{"a/x.png": png1, "b/y.png": png2},
			setup: func(t *testing.T, root string) {
				symlink(t, filepath.Join(root, "b"), filepath.Join(root, "b", "again"))
			},
			check:   func(err error) bool { var e *SymlinkError; return errors.As(err, &e) },
			wantMsg: []string{filepath.Join("ROOT", "b", "again"), "loop"},
		},
		{
			name:  "symlink chain loop",
			files: map[string][]byte{"a/x.png": png1, "b/y.png": png2},
			setup: func(t *testing.T, root string) {
				symlink(t, filepath.Join(root, "b", "q.png"), filepath.Join(root, "b", "p.png"))
				symlink(t, filepath.Join(root, "b", "p.png"), filepath.Join(root, "b", "q.png"))
			},
			check:   func(err error) bool { var e *SymlinkError; return errors.As(err, &e) },
			wantMsg: []string{filepath.Join("ROOT", "b", "p.png"), "loop"},
		},
		{
			name:  "dangling symlink",
			files: map[string][]byte{"a/x.png": png1, "b/y.png": png2},
			setup: func(t *testing.T, root string) {
				symlink(t, filepath.Join(root, "gone.png"), filepath.Join(root, "b", "z.png"))
			},
			check:   func(err error) bool { var e *SymlinkError; return errors.As(err, &e) },
			wantMsg: []string{filepath.Join("ROOT", "b", "z.png"), "dangling"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := filetest.Tree(t, tc.files)
			if tc.setup != nil {
				tc.setup(t, root)
			}
			tree, err := Scan(context.Background(), root, tc.opts)
			if err == nil {
				t.Fatalf("Scan succeeded with %d sources, want an error", len(tree.Sources))
			}
			if !tc.check(err) {
				t.Errorf("err = %v (%T), wrong type", err, err)
			}
			for _, w := range tc.wantMsg {
				w = strings.ReplaceAll(w, "ROOT", root)
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestScanSkipBad(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	root := filetest.Tree(t, map[string][]byte{
		"a/x.png":    png1,
		"a/bad.png":  png1[:20],
		"b/y.png":    png2,
		"b/bomb.png": hugePNG(100000, 100000),
		"b/zero.jpg": {},
	})
	tree, err := Scan(context.Background(), root, ScanOptions{SkipBad: true})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var got []string
	for _, s := range tree.Skipped {
		got = append(got, s.Path)
		if s.Reason == "" {
			t.Errorf("%s skipped without a reason", s.Path)
		}
	}
	for _, s := range tree.Skipped {
		// --skip-bad was passed: advising it in the card is noise.
		if strings.Contains(s.Reason, "--skip-bad") {
			t.Errorf("%s: reason %q advises --skip-bad", s.Path, s.Reason)
		}
	}
	if want := []string{"a/bad.png", "b/bomb.png", "b/zero.jpg"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Skipped = %v, want %v", got, want)
	}
	if len(tree.Sources) != 2 {
		t.Errorf("%d sources, want 2", len(tree.Sources))
	}

	// A class whose only image is bad is empty, even with --skip-bad.
	root = filetest.Tree(t, map[string][]byte{"a/x.png": png1, "b/bad.png": png1[:20]})
	_, err = Scan(context.Background(), root, ScanOptions{SkipBad: true})
	var ec *EmptyClassError
	if !errors.As(err, &ec) || ec.Skipped != 1 {
		t.Errorf("err = %v, want *EmptyClassError with 1 skipped", err)
	}
}

func TestScanDuplicateInOneClass(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	root := filetest.Tree(t, map[string][]byte{"a/x.png": png1, "a/x-copy.png": png1, "b/y.png": png2})
	tree, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if got := len(tree.Sources); got != 2 {
		t.Errorf("%d sources, want 2 (the copy counted once)", got)
	}
	if len(tree.Warnings) != 1 || !strings.Contains(tree.Warnings[0], "a/x-copy.png") || !strings.Contains(tree.Warnings[0], "a/x.png") {
		t.Errorf("Warnings = %q, want one naming both copies", tree.Warnings)
	}
}

func TestScanFollowSymlinks(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	root := filetest.Tree(t, map[string][]byte{"a/x.png": png1})
	outside := t.TempDir()
	filetest.Write(t, filepath.Join(outside, "y.png"), png2)
	symlink(t, outside, filepath.Join(root, "b"))
	// An in-tree link is always fine.
	symlink(t, filepath.Join(root, "a", "x.png"), filepath.Join(root, "a", "same.png"))

	if _, err := Scan(context.Background(), root, ScanOptions{}); err == nil {
		t.Fatal("outside folder link accepted without FollowSymlinks")
	}
	tree, err := Scan(context.Background(), root, ScanOptions{FollowSymlinks: true})
	if err != nil {
		t.Fatalf("Scan with FollowSymlinks: %v", err)
	}
	var paths []string
	for _, s := range tree.Sources {
		paths = append(paths, s.Path)
	}
	if want := []string{"a/same.png", "b/y.png"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("sources = %v, want %v (a/x.png a duplicate of the link)", paths, want)
	}
}

func TestScanSanitisesNames(t *testing.T) {
	root := filetest.Tree(t, map[string][]byte{
		"round cells/img 1.png": filetest.PNG(t, grey(4, 4, 1)),
		"round cells/img_1.png": filetest.PNG(t, grey(4, 4, 2)),
		"b/\x01ctl.png":         filetest.PNG(t, grey(4, 4, 3)),
		"b/ok.png":              filetest.PNG(t, grey(4, 4, 4)),
		"c/ok.png":              filetest.PNG(t, grey(4, 4, 5)),
	})
	tree, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var names []string
	for _, c := range tree.Classes {
		names = append(names, c.Name)
	}
	if want := []string{"b", "c", "round_cells"}; !reflect.DeepEqual(names, want) {
		t.Errorf("classes = %v, want %v", names, want)
	}
	stems := map[string]bool{}
	for _, s := range tree.Sources {
		if !safeNameRE.MatchString(s.Stem) || !safeNameRE.MatchString(s.Class) {
			t.Errorf("%s: unsafe class %q or stem %q", s.Path, s.Class, s.Stem)
		}
		if stems[strings.ToLower(s.Stem)] {
			t.Errorf("stem %q used twice", s.Stem)
		}
		stems[strings.ToLower(s.Stem)] = true
	}
	renamed := map[string]string{}
	for _, r := range tree.Renamed {
		renamed[r.From] = r.To
	}
	for _, from := range []string{"round cells", "round cells/img 1.png", `"b/\x01ctl.png"`, "b/ok.png", "c/ok.png"} {
		if renamed[from] == "" {
			t.Errorf("Renamed has no entry for %q: %v", from, tree.Renamed)
		}
	}
	// img_1 needed no change, so it keeps its name; only "img 1", which
	// sanitises to the same, gets a hash.
	if to, ok := renamed["round cells/img_1.png"]; ok {
		t.Errorf("round cells/img_1.png renamed to %q, want it kept", to)
	}
}

func TestScanPermissions(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	tests := []struct {
		name   string
		locked string // made unreadable
	}{
		{"unreadable file", "b/y.png"},
		{"unreadable folder", "b/sub"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := filetest.Tree(t, map[string][]byte{"a/x.png": png1, "b/y.png": png2, "b/sub/z.png": filetest.PNG(t, grey(2, 2, 7))})
			p := filepath.Join(root, filepath.FromSlash(tc.locked))
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(p, 0o755) })
			readable := false
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				_, err = os.ReadDir(p)
				readable = err == nil
			} else {
				_, err = os.ReadFile(p)
				readable = err == nil
			}
			if readable {
				t.Skip("permission bits do not stop reads here (running as root)")
			}
			_, err := Scan(context.Background(), root, ScanOptions{SkipBad: true})
			if err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, os.ErrPermission) {
				t.Errorf("err = %v, want a permission error naming %s (even with SkipBad)", err, p)
			}
		})
	}
}

func TestLoadDetectsChangedSource(t *testing.T) {
	root := filetest.Tree(t, map[string][]byte{"a/x.png": filetest.PNG(t, grey(4, 4, 1)), "b/y.png": filetest.PNG(t, grey(4, 4, 2))})
	tree, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	filetest.Write(t, filepath.Join(root, "a", "x.png"), filetest.PNG(t, grey(4, 4, 3)))
	_, err = tree.Load(context.Background(), tree.Sources[0])
	var ce *ChangedError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "x.png") {
		t.Errorf("Load after change: err = %v, want *ChangedError naming x.png", err)
	}
}

func TestScanCancelled(t *testing.T) {
	root := filetest.Tree(t, map[string][]byte{"a/x.png": filetest.PNG(t, grey(4, 4, 1)), "b/y.png": filetest.PNG(t, grey(4, 4, 2))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, root, ScanOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestScanReportsHidden(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	root := filetest.Tree(t, map[string][]byte{
		"a/x.png":         png1,
		"a/.thumbs/t.png": png1,
		"b/y.png":         png2,
		".raw/r1.png":     png1,
		".raw/sub/r2.jpg": png2,
		".raw/notes.txt":  []byte("x"),
		".git/config":     []byte("x"),
		".DS_Store":       []byte("x"),
	})
	tree, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if tree.Hidden != 4 {
		t.Errorf("Hidden = %d, want 4 (.raw, .git, .DS_Store, a/.thumbs)", tree.Hidden)
	}
	want := []string{
		root + `: ignored hidden folder ".raw" (2 image(s)); remove the leading '.' to use it as a class`,
		root + ": ignored 3 hidden file(s) or folder(s) (names starting with '.')",
	}
	if !reflect.DeepEqual(tree.Warnings, want) {
		t.Errorf("Warnings =\n%q\nwant\n%q", tree.Warnings, want)
	}
	if len(tree.Sources) != 2 {
		t.Errorf("%d sources, want 2: hidden images are not used", len(tree.Sources))
	}
}

func TestScanListsAllBadFiles(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	files := map[string][]byte{
		"a/x.png":     png1,
		"a/bad.png":   png1[:20],
		"b/y.png":     png2,
		"b/abomb.png": hugePNG(100000, 100000),
		"c/only.png":  []byte("not an image"), // c has no good image: still listed, not "empty"
	}
	for i := range 25 {
		files[fmt.Sprintf("b/bad%02d.png", i)] = png2[:30]
	}
	root := filetest.Tree(t, files)
	_, err := Scan(context.Background(), root, ScanOptions{SkipBadFlag: "--skip-bad"})
	var bf *BadFilesError
	if !errors.As(err, &bf) {
		t.Fatalf("err = %v, want *BadFilesError", err)
	}
	if bf.Total != 28 || len(bf.Errs) != maxListedBad {
		t.Errorf("Total %d, listed %d, want 28 and %d", bf.Total, len(bf.Errs), maxListedBad)
	}
	msg := err.Error()
	for _, w := range []string{
		"28 image file(s) cannot be read",
		filepath.Join(root, "a", "bad.png") + ": cannot decode image",
		filepath.Join(root, "b", "bad00.png"),
		filepath.Join(root, "b", "abomb.png") + ": image is 100000x100000",
		"... and 8 more",
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not mention %q:\n%s", w, msg)
		}
	}
	if n := strings.Count(msg, "--skip-bad"); n != 1 {
		t.Errorf("--skip-bad advised %d times, want once:\n%s", n, msg)
	}
	var de *DecodeError
	if !errors.As(err, &de) || de.Path != filepath.Join(root, "a", "bad.png") {
		t.Errorf("errors.As(*DecodeError) = %v, want the first bad file", de)
	}
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Errorf("errors.As(*TooLargeError) fails on %v", err)
	}
	var ec *EmptyClassError
	if errors.As(err, &ec) {
		t.Errorf("class c reported empty, want its bad file listed")
	}
}

func TestScanUnicodeNames(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	root := filetest.Tree(t, map[string][]byte{
		"細胞/核.png":         png1,
		"ünïcødé 細胞/x.png": png2,
	})
	tree, err := Scan(context.Background(), root, ScanOptions{UnicodeNames: true})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var got []string
	for _, s := range tree.Sources {
		got = append(got, s.Class+"/"+s.Stem)
	}
	if want := []string{"ünïcødé_細胞/x", "細胞/核"}; !reflect.DeepEqual(got, want) {
		t.Errorf("class/stem = %q, want %q", got, want)
	}

	// By default names stay ASCII, because writer still refuses non-ASCII
	// sample ids ("<class>_<stem>_<variant>").
	tree, err = Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for _, s := range tree.Sources {
		if !safeNameRE.MatchString(s.Class) || !safeNameRE.MatchString(s.Stem) {
			t.Errorf("%s: class %q, stem %q, want ASCII", s.Path, s.Class, s.Stem)
		}
	}
}

// A folder named correctly keeps its name when another one sanitises to it.
func TestScanKeepsSafeClassName(t *testing.T) {
	png1, png2 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2))
	root := filetest.Tree(t, map[string][]byte{"a_b/x.png": png1, "a b/y.png": png2})
	tree, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	names := map[string]string{}
	for _, c := range tree.Classes {
		names[c.Dir] = c.Name
	}
	if names["a_b"] != "a_b" || !strings.HasPrefix(names["a b"], "a_b_") {
		t.Errorf("class names %v, want a_b kept and \"a b\" hashed", names)
	}
}

// TestScanUnicodeNormalForms: a class folder in decomposed form (NFD, as
// macOS writes names) gets the precomposed (NFC) name a Linux copy would
// have, recorded as a rename; two folders that are one name in two forms
// are refused with both named, not made two classes.
func TestScanUnicodeNormalForms(t *testing.T) {
	png1, png2, png3 := filetest.PNG(t, grey(4, 4, 1)), filetest.PNG(t, grey(4, 4, 2)), filetest.PNG(t, grey(4, 4, 3))
	nfd, nfc := "u\u0308ber", "\u00fcber"
	root := filetest.Tree(t, map[string][]byte{nfd + "/a.png": png1, "other/b.png": png2})
	tree, err := Scan(context.Background(), root, ScanOptions{UnicodeNames: true})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if c := tree.Classes[1]; c.Name != nfc || c.Dir != nfd {
		t.Errorf("class %+v, want name %q from folder %q", c, nfc, nfd)
	}
	if !slices.Contains(tree.Renamed, schema.Renamed{From: nfd, To: nfc}) {
		t.Errorf("renamed %v lacks %q -> %q", tree.Renamed, nfd, nfc)
	}

	root = filetest.Tree(t, map[string][]byte{nfd + "/a.png": png1, nfc + "/b.png": png2, "other/c.png": png3})
	for _, opts := range []ScanOptions{{UnicodeNames: true}, {}} {
		_, err = Scan(context.Background(), root, opts)
		var nf *NormalFormError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), strconv.Quote(nfd)) || !strings.Contains(err.Error(), strconv.Quote(nfc)) {
			t.Errorf("unicode names %v: err %v, want a NormalFormError naming %q and %q", opts.UnicodeNames, err, nfd, nfc)
		}
	}
}
