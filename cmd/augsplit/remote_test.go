package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/filetest"
	"github.com/augsplit/augsplit/internal/s3test"
	"github.com/augsplit/augsplit/internal/store"
)

// upload copies every file under dir to the store at root, keys relative
// to dir.
func upload(t *testing.T, dir, root string) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		return uploadFile(ctx, s, p, filepath.ToSlash(rel))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// noFetchLeft checks that every temporary folder of a fetch was removed.
func noFetchLeft(t *testing.T, tmp string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(tmp, "augsplit-fetch-*"))
	if len(left) > 0 {
		t.Errorf("fetched copies left behind: %q", left)
	}
}

// verify, audit and preview of an s3:// dataset; a changed object is caught
// by a fresh fetch.
func TestVerifyBucket(t *testing.T) {
	srv := s3test.New(t, "data")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := runCLI("generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "3", "--size", "24", "--quiet"); code != 0 {
		t.Fatalf("generate exit %d: %s", code, stderr)
	}
	url := srv.URL("runs/ds")
	upload(t, out, url)

	stdout, stderr, code := runCLI("verify", url)
	if code != 0 {
		t.Fatalf("verify %s: exit %d\n%s%s", url, code, stdout, stderr)
	}
	if !strings.Contains(stderr, "fetched ") || !strings.Contains(stdout, "OK s3://data/runs/ds:") {
		t.Errorf("verify should say what it fetched and name the URL without its options:\n%s%s", stdout, stderr)
	}
	noFetchLeft(t, tmp)

	if _, stderr, code := runCLI("audit", url); code != 0 {
		t.Errorf("audit %s: exit %d: %s", url, code, stderr)
	}
	stdout, stderr, code = runCLI("preview", url, "--per-class", "1")
	if code != 0 || !strings.Contains(stdout, "s3://data/runs/ds/preview.png") {
		t.Errorf("preview %s: exit %d: %s%s", url, code, stdout, stderr)
	}
	s, _ := store.Open(context.Background(), url)
	defer s.Close()
	if _, err := s.Stat(context.Background(), "preview.png"); err != nil {
		t.Errorf("preview.png not uploaded: %v", err)
	}

	// Change one byte of one sample in the bucket: verify must fail naming it.
	keys, _ := s.List(context.Background(), "val/")
	victim := keys[0]
	r, _ := s.Open(context.Background(), victim)
	b, _ := io.ReadAll(r)
	r.Close()
	b[len(b)/2] ^= 1
	w, _ := s.Create(context.Background(), victim)
	w.Write(b)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = runCLI("verify", url)
	if code != 1 || !strings.Contains(stdout+stderr, pathBase(victim)) {
		t.Errorf("verify after changing %s: exit %d, want 1 naming it:\n%s%s", victim, code, stdout, stderr)
	}
	noFetchLeft(t, tmp)

	// A prefix with nothing under it is an error, not an empty dataset.
	if err := run(context.Background(), []string{"verify", srv.URL("runs/typo")}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "no objects") {
		t.Errorf("verify of an empty prefix: %v", err)
	}
}

func pathBase(key string) string { return key[strings.LastIndex(key, "/")+1:] }

// generate --in s3://... makes the same samples and manifest as from the
// local folder; only what records --in itself (the card, and the files
// that carry its fingerprint) differs.
func TestGenerateFromBucket(t *testing.T) {
	srv := s3test.New(t, "src")
	url := srv.URL("cells")
	upload(t, "../../testdata/cells", url)
	local := filepath.Join(t.TempDir(), "local")
	remote := filepath.Join(t.TempDir(), "remote")
	args := []string{"--per-source", "3", "--size", "24", "--quiet", "--seed", "5"}
	if _, stderr, code := runCLI(append([]string{"generate", "--in", "../../testdata/cells", "--out", local}, args...)...); code != 0 {
		t.Fatalf("generate local: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runCLI(append([]string{"generate", "--in", url, "--out", remote}, args...)...); code != 0 {
		t.Fatalf("generate --in %s: exit %d: %s", url, code, stderr)
	}
	var differ []string
	n := 0
	filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(local, p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(remote, rel))
		if err != nil || !bytes.Equal(a, b) {
			differ = append(differ, filepath.ToSlash(rel))
		}
		return nil
	})
	if countFiles(remote) != n {
		t.Errorf("%d files from the bucket, %d from the folder", countFiles(remote), n)
	}
	t.Logf("differ: %q", differ)
	for _, f := range differ {
		if !slices.Contains([]string{"dataset.json", "croissant.json", "README.md"}, f) {
			t.Errorf("%s differs between --in folder and --in bucket", f)
		}
	}
	var card struct {
		Config struct {
			In string `json:"in"`
		} `json:"config"`
	}
	b, _ := os.ReadFile(filepath.Join(remote, "dataset.json"))
	if err := json.Unmarshal(b, &card); err != nil || card.Config.In != "s3://src/cells" {
		t.Errorf("card records in = %q (%v), want s3://src/cells without the endpoint", card.Config.In, err)
	}
	// Issue 13: generate --out s3://... (part 0 of 1, then seal) writes
	// the bytes of --out folder, and verify reads them back.
	if _, stderr, code := runCLI(append([]string{"generate", "--in", "../../testdata/cells", "--out", srv.URL("out")}, args...)...); code != 0 {
		t.Fatalf("generate --out s3://: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runCLI("verify", srv.URL("out")); code != 0 {
		t.Errorf("verify of generate --out s3://: exit %d: %s", code, stderr)
	}
	st, err := store.Open(context.Background(), srv.URL("out"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := st.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != n {
		t.Errorf("generate --out s3:// wrote %d objects, --out folder %d files: %q", len(keys), n, keys)
	}
	for _, k := range keys {
		r, err := st.Open(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if want, err := os.ReadFile(filepath.Join(local, filepath.FromSlash(k))); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s in the bucket differs from --out folder's", k)
		}
	}
}

// train, eval and predict read data and models from a bucket.
func TestTrainEvalPredictFromBucket(t *testing.T) {
	srv := s3test.New(t, "ml")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	data := t.TempDir()
	writeImageFolder(t, data, map[string]int{"train": 6, "val": 2}, trainClasses[:3])
	dataURL := srv.URL("data")
	upload(t, data, dataURL)
	runDir := filepath.Join(t.TempDir(), "run")
	if _, errOut, code := runTrainCLI("train", "--data", dataURL, "--holdout", srv.URL("data/val"), "--out", runDir, "--epochs", "1", "--blocks", "2", "--dense", "4"); code != 0 {
		t.Fatalf("train --data %s: exit %d: %s", dataURL, code, errOut)
	}
	upload(t, runDir, srv.URL("run"))
	modelURL := strings.Replace(srv.URL("run"), "/run?", "/run/model.bin?", 1)
	stdout, errOut, code := runTrainCLI("eval", "--model", modelURL, "--data", dataURL, "--json")
	var r evalResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 || r.Images != 6 || r.Data != "s3://ml/data" {
		t.Fatalf("eval from the bucket: exit %d, %v, %+v\n%s", code, err, r, errOut)
	}
	img := filepath.Join(data, "val", trainClasses[0], "00.png")
	if _, err := os.Stat(img); err != nil {
		entries, _ := os.ReadDir(filepath.Join(data, "val", trainClasses[0]))
		img = filepath.Join(data, "val", trainClasses[0], entries[0].Name())
	}
	if _, errOut, code := runTrainCLI("predict", "--model", modelURL, img); code != 0 {
		t.Errorf("predict --model %s: exit %d: %s", modelURL, code, errOut)
	}
	noFetchLeft(t, tmp)
}

// generate refuses a bucket --out under a bucket --in (or the reverse, or
// the same prefix) with exit 2, before fetching or writing anything.
func TestGenerateBucketOutInsideIn(t *testing.T) {
	srv := s3test.New(t, "b")
	upload(t, "../../testdata/cells", srv.URL("src/photos"))
	for _, c := range []struct{ in, out, want string }{
		{srv.URL("src/photos"), srv.URL("src/photos/out"), "the output folder is inside the input folder"},
		{srv.URL("src/photos"), srv.URL("src/photos"), "they are the same folder"},
		{srv.URL("src/photos/cat"), srv.URL("src"), "the input folder is inside the output folder"},
	} {
		_, stderr, code := runTrainCLI("generate", "--in", c.in, "--out", c.out, "--per-source", "1", "--quiet")
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("generate --in %s --out %s: exit %d, want 2 saying %q: %s", c.in, c.out, code, c.want, stderr)
		}
		if strings.Contains(stderr, "fetched") {
			t.Errorf("generate fetched the sources before refusing: %s", stderr)
		}
	}
	s, _ := store.Open(context.Background(), srv.URL("src/photos"))
	defer s.Close()
	keys, _ := s.List(context.Background(), "out/")
	if len(keys) > 0 {
		t.Errorf("generate wrote into the sources: %q", keys)
	}
	// Another prefix of the same bucket is fine.
	if _, stderr, code := runTrainCLI("generate", "--in", srv.URL("src/photos"), "--out", srv.URL("data/cells"), "--per-source", "3", "--size", "16", "--quiet"); code != 0 {
		t.Errorf("generate into a sibling prefix: exit %d: %s", code, stderr)
	}
}

// A URL missing a slash or with an unknown scheme is exit 2 naming the
// mistake, for every command, before anything is created: not a local
// folder "s3:" nor a "no such file".
func TestMalformedURLs(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--in", "../../testdata/cells", "--out", "s3:/b/x?endpoint=http://127.0.0.1:1&region=r"}, "looks like a URL missing a slash: write s3://b/x"},
		{[]string{"generate", "--in", "s4://b/src", "--out", "out"}, "unknown scheme s4 (known: s3, gs, azblob, file, mem)"},
		{[]string{"verify", "s4://b/x"}, "s4://b/x: unknown scheme s4 (known: s3, gs, azblob, file, mem)"},
		{[]string{"audit", "gs:/b/x"}, "looks like a URL missing a slash: write gs://b/x"},
		{[]string{"preview", "s3:/b/x"}, "looks like a URL missing a slash"},
		{[]string{"seal", "s3:/b/x"}, "looks like a URL missing a slash"},
		{[]string{"train", "--data", "s3:/b/x"}, "looks like a URL missing a slash"},
		{[]string{"eval", "--model", "s5://b/m.bin", "--data", "d"}, "unknown scheme s5"},
		{[]string{"predict", "--model", "s3:/b/m.bin", "x.png"}, "looks like a URL missing a slash"},
	} {
		_, stderr, code := runTrainCLI(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, want 2 saying %q:\n%s", c.args, code, c.want, stderr)
		}
	}
	if ents, _ := os.ReadDir("."); len(ents) > 0 {
		t.Errorf("a malformed URL created %s in the working folder", ents[0].Name())
	}
}

// Messages and reports about a fetched dataset name its URL, never the
// temporary folder it was read from (gone when the user reads them).
func TestFetchedNamedByURL(t *testing.T) {
	srv := s3test.New(t, "qa")
	t.Setenv("TMPDIR", t.TempDir())
	grey := t.TempDir()
	filetest.WritePNG(t, filepath.Join(grey, "a.png"), mixedImage("gray8", 8, 1))
	greyURL := srv.URL("grey")
	upload(t, grey, greyURL)
	out := filepath.Join(t.TempDir(), "out")
	if _, stderr, code := runCLI("generate", "--in", "../../testdata/cells", "--out", out, "--per-source", "3", "--size", "16", "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	if err := os.Remove(filepath.Join(out, "dataset.json")); err != nil {
		t.Fatal(err)
	}
	dsURL := srv.URL("ds")
	upload(t, out, dsURL)
	upload(t, filepath.Join("..", "..", "testdata", "cells"), srv.URL("model-dir")) // a PNG is no model
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", dsURL}, "s3://qa/ds"},
		{[]string{"verify", dsURL, "--json"}, "s3://qa/ds"},
		{[]string{"train", "--data", greyURL, "--out", filepath.Join(t.TempDir(), "run"), "--epochs", "1"}, "s3://qa/grey"},
		{[]string{"eval", "--model", strings.Replace(srv.URL("model-dir"), "/model-dir?", "/model-dir/round/round-01.png?", 1), "--data", greyURL}, "s3://qa/model-dir/round/round-01.png"},
		{[]string{"audit", greyURL}, "s3://qa/grey"},
		{[]string{"preview", greyURL}, "s3://qa/grey"},
		{[]string{"generate", "--in", greyURL, "--out", filepath.Join(t.TempDir(), "o")}, "s3://qa/grey: no class subfolders"},
	} {
		stdout, stderr, code := runTrainCLI(c.args...)
		all := stdout + stderr
		if code == 0 || strings.Contains(all, "augsplit-fetch-") || !strings.Contains(all, c.want) {
			t.Errorf("%q: exit %d, want a failure naming %q and no temporary folder:\n%s", c.args[:2], code, c.want, all)
		}
	}
}

// A suggested command line pastes into a POSIX shell as it reads: a URL
// with & and spaces is single-quoted, and sh hands it back whole.
func TestHintQuoted(t *testing.T) {
	srv := s3test.New(t, "qab")
	url := srv.URL("my data ü/x")
	_, stderr, code := runTrainCLI("generate", "--in", "../../testdata/cells", "--out", url, "--per-source", "3", "--size", "16")
	if code != 0 {
		t.Fatalf("generate --out %s: exit %d: %s", url, code, stderr)
	}
	_, hint, ok := strings.Cut(stderr, "check with: augsplit verify ")
	hint, _, _ = strings.Cut(hint, "\n")
	if !ok || hint != "'"+url+"'" {
		t.Fatalf("hint %q, want the URL in single quotes:\n%s", hint, stderr)
	}
	got, err := exec.Command("sh", "-c", `printf %s `+hint).Output()
	if err != nil || string(got) != url {
		t.Errorf("sh reads the hint as %q (%v), want %q", got, err, url)
	}
	if _, stderr, code := runTrainCLI("verify", url); code != 0 {
		t.Errorf("the suggested verify: exit %d: %s", code, stderr)
	}
}

// A re-run into a bucket that holds this dataset, damaged, says so (not
// "nothing to do"), and no bucket message suggests --force, which is a
// usage error with a bucket --out.
func TestBucketRerunDamaged(t *testing.T) {
	srv := s3test.New(t, "qa")
	url := srv.URL("ds")
	args := []string{"generate", "--in", "../../testdata/cells", "--out", url, "--per-source", "3", "--size", "16", "--quiet"}
	if _, stderr, code := runTrainCLI(args...); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	if _, stderr, code := runTrainCLI(args...); code != 0 || !strings.Contains(stderr, "nothing to do") {
		t.Fatalf("re-run of an intact dataset: exit %d, want 0 and nothing to do: %s", code, stderr)
	}
	s, _ := store.Open(context.Background(), url)
	defer s.Close()
	keys, _ := s.List(context.Background(), "train/")
	if err := s.Delete(context.Background(), keys[0]); err != nil {
		t.Fatal(err)
	}
	for _, a := range [][]string{args, append(slices.Clone(args), "--parts", "2", "--part", "1")} {
		_, stderr, code := runTrainCLI(a...)
		if code != 1 || strings.Contains(stderr, "nothing to do") || !strings.Contains(stderr, keys[0]+": missing") ||
			!strings.Contains(stderr, "aws s3 rm --recursive s3://qa/ds/") || strings.Contains(stderr, "--force") {
			t.Errorf("%q on a damaged bucket dataset: exit %d, want 1 naming %s and how to start afresh, not --force:\n%s", a[len(a)-2:], code, keys[0], stderr)
		}
	}
	_, stderr, code := runTrainCLI("seal", url)
	if code != 1 || !strings.Contains(stderr, keys[0]+": missing") {
		t.Errorf("seal of a damaged bucket dataset: exit %d: %s", code, stderr)
	}
	_, stderr, code = runTrainCLI(append(slices.Clone(args), "--force")...)
	if code != 2 || !strings.Contains(stderr, "--force is not supported for a bucket --out") {
		t.Errorf("--force with a bucket --out: exit %d, want 2: %s", code, stderr)
	}
	// Another dataset's OUT: the refusal says what to do instead of --force.
	_, stderr, code = runTrainCLI("generate", "--in", "../../testdata/cells", "--out", url, "--per-source", "4", "--size", "16", "--quiet")
	if code == 0 || strings.Contains(stderr, "use --force") || !strings.Contains(stderr, "choose another --out") {
		t.Errorf("generate of another dataset into a bucket OUT: exit %d: %s", code, stderr)
	}
}

// verify of a bucket whose endpoint takes connections and never answers
// fails naming the endpoint, after AUGSPLIT_HTTP_TIMEOUT (and the SDK's
// retries); it used to hang.
func TestVerifySilentEndpoint(t *testing.T) {
	for k, v := range s3test.Env() {
		t.Setenv(k, v)
	}
	t.Setenv(store.TimeoutEnv, "100ms")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []net.Conn)
	go func() {
		var held []net.Conn // kept open, never answered
		for {
			c, err := l.Accept()
			if err != nil {
				done <- held
				return
			}
			held = append(held, c)
		}
	}()
	defer func() {
		l.Close()
		for _, c := range <-done {
			c.Close()
		}
	}()
	end := "http://" + l.Addr().String()
	_, stderr, code := runTrainCLI("verify", "s3://b/ds?endpoint="+end+"&region=us-east-1&use_path_style=true&disable_https=true")
	if code == 0 || !strings.Contains(stderr, "no answer from "+end) {
		t.Errorf("verify of a silent endpoint: exit %d, want a failure naming %s:\n%s", code, end, stderr)
	}
}

// The names writer replaces a fetched folder split across writes, and
// passes other text on at once (a live progress line must not wait).
func TestNamesWriter(t *testing.T) {
	n := &fetchNames{}
	n.add("/tmp/augsplit-fetch-12", "s3://b/ds")
	var got bytes.Buffer
	w := n.writer(&got)
	w.Write([]byte("Epoch 2/5 - "))
	if got.String() != "Epoch 2/5 - " {
		t.Errorf("text without a folder held back: %q", got.String())
	}
	w.Write([]byte("read /tmp/augsp"))
	w.Write([]byte("lit-fetch-12/train/a.png and /tmp/augsplit-fetch-1"))
	w.Write([]byte("\n/tmp/aug"))
	w.Flush()
	want := "Epoch 2/5 - read s3://b/ds/train/a.png and /tmp/augsplit-fetch-1\n/tmp/aug"
	if got.String() != want {
		t.Errorf("got %q, want %q", got.String(), want)
	}
}
