//go:build faults && unix

package faults

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "augsplit-faults-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "augsplit")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/augsplit")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code   int
	stderr string
}

// run runs the binary to its end, killing it after two minutes (a hang).
func run(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("augsplit %s: still running after 2 minutes (blocked), killed\n%s", strings.Join(args, " "), stderr.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stderr.String()}
}

func writePNG(t *testing.T, p string, seed int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*seed + seed)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sources writes two classes of two images each.
func sources(t *testing.T) string {
	in := filepath.Join(t.TempDir(), "in")
	writePNG(t, filepath.Join(in, "a", "x.png"), 1)
	writePNG(t, filepath.Join(in, "a", "y.png"), 2)
	writePNG(t, filepath.Join(in, "b", "z.png"), 3)
	writePNG(t, filepath.Join(in, "b", "w.png"), 4)
	return in
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// Issue 11 row 4: a FIFO in --in used to block generate and split in
// open() forever, and audit on a symlink to one.
func TestFIFOInInput(t *testing.T) {
	in := sources(t)
	mkfifo(t, filepath.Join(in, "a", "scan.png"))
	for _, cmd := range []string{"generate", "split"} {
		r := run(t, cmd, "--in", in, "--out", filepath.Join(t.TempDir(), "out"), "--per-source", "2")
		if cmd == "split" {
			r = run(t, cmd, "--in", in, "--out", filepath.Join(t.TempDir(), "out"))
		}
		if r.code != 1 || !strings.Contains(r.stderr, "scan.png") || !strings.Contains(r.stderr, "named pipe") {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 1 naming the pipe", cmd, r.code, r.stderr)
		}
	}
	ds := filepath.Join(t.TempDir(), "ds")
	writePNG(t, filepath.Join(ds, "train", "a", "x.png"), 1)
	writePNG(t, filepath.Join(ds, "val", "a", "y.png"), 2)
	mkfifo(t, filepath.Join(ds, "pipe"))
	if err := os.Symlink(filepath.Join(ds, "pipe"), filepath.Join(ds, "train", "a", "z.png")); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "audit", ds); r.code == 0 || !strings.Contains(r.stderr, "named pipe") {
		t.Errorf("audit: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// Issue 11 row 5: a sample or shard linked to /dev/zero made audit,
// preview and verify read without end.
func TestDevZeroInDataset(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if r := run(t, "generate", "--in", sources(t), "--out", out, "--per-source", "3", "--format", "folder,webdataset", "--quiet"); r.code != 0 {
		t.Fatalf("generate: %d\n%s", r.code, r.stderr)
	}
	// Every sample, so that preview's pick meets one too.
	var samples []string
	for _, sp := range []string{"train", "val"} {
		filepath.WalkDir(filepath.Join(out, sp), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				samples = append(samples, p)
			}
			return nil
		})
	}
	for _, p := range samples {
		os.Remove(p)
		if err := os.Symlink("/dev/zero", p); err != nil {
			t.Fatal(err)
		}
	}
	shard := filepath.Join(out, "webdataset", "train-00000.tar")
	os.Remove(shard)
	if err := os.Symlink("/dev/zero", shard); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"verify", out}, {"audit", out}, {"preview", out}, {"train", "--data", out, "--epochs", "1", "--out", filepath.Join(t.TempDir(), "run")},
		{"train", "--data", out, "--form", "webdataset", "--epochs", "1", "--out", filepath.Join(t.TempDir(), "run")}} {
		r := run(t, args...)
		if r.code == 0 {
			t.Errorf("%s: exit 0, want a refusal\n%s", args[0], r.stderr)
		}
		t.Logf("%s: exit %d: %s", strings.Join(args[:1], " "), r.code, firstLine(r.stderr))
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// stopLatency starts the binary, waits until it is inside a large read,
// sends SIGTERM and returns the exit code and the time from the signal to
// the exit.
func stopLatency(t *testing.T, wait time.Duration, args ...string) (int, time.Duration, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("%s ended before the signal (%v): the read was too short to test\n%s", args[0], err, stderr.String())
	case <-time.After(wait):
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s: still running 2 minutes after SIGTERM", args[0])
	}
	return cmd.ProcessState.ExitCode(), time.Since(sent), stderr.String()
}

// bloatedPNG writes a 16x16 grey PNG whose text chunk before the pixels is
// size bytes of zeros (a sparse file: no disk used).
func bloatedPNG(t *testing.T, p string, size int64) {
	t.Helper()
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 16, 16)))
	data := b.Bytes()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := append([]byte(nil), data[:33]...)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(size))
	hdr = append(hdr, "tEXt"...)
	f.Write(hdr)
	tail := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE([]byte("tEXt"))) // wrong, and read last
	tail = append(tail, data[33:]...)
	if _, err := f.WriteAt(tail, int64(len(hdr))+size); err != nil {
		t.Fatal(err)
	}
}

// Issue 11 row 5: SIGTERM stops a command within about a second even in
// the middle of reading a huge file.
func TestSIGTERMDuringLargeReads(t *testing.T) {
	t.Run("generate reading a 1 GiB source", func(t *testing.T) {
		in := sources(t)
		bloatedPNG(t, filepath.Join(in, "b", "big.png"), 1<<30)
		code, d, stderr := stopLatency(t, time.Second, "generate", "--in", in, "--out", filepath.Join(t.TempDir(), "out"), "--per-source", "2")
		t.Logf("generate: exit %d, %v after SIGTERM", code, d)
		if code != 143 || d > 3*time.Second {
			t.Errorf("generate: exit %d %v after SIGTERM, want 143 within a second or so\n%s", code, d, stderr)
		}
	})
	t.Run("verify hashing a 32 GiB shard", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		if r := run(t, "generate", "--in", sources(t), "--out", out, "--per-source", "3", "--format", "webdataset", "--quiet"); r.code != 0 {
			t.Fatalf("generate: %d\n%s", r.code, r.stderr)
		}
		const size = 32 << 30
		shard := filepath.Join(out, "webdataset", "train-00000.tar")
		if err := os.Truncate(shard, size); err != nil {
			t.Skipf("no sparse file: %v", err)
		}
		cp := filepath.Join(out, "dataset.json")
		raw, err := os.ReadFile(cp)
		if err != nil {
			t.Fatal(err)
		}
		var card map[string]any
		json.Unmarshal(raw, &card)
		for _, s := range card["shards"].([]any) {
			if m := s.(map[string]any); m["path"] == "webdataset/train-00000.tar" {
				m["bytes"] = size
			}
		}
		raw, _ = json.Marshal(card)
		os.WriteFile(cp, raw, 0o644)
		code, d, stderr := stopLatency(t, 2*time.Second, "verify", out)
		t.Logf("verify: exit %d, %v after SIGTERM", code, d)
		if code != 143 || d > 3*time.Second {
			t.Errorf("verify: exit %d %v after SIGTERM, want 143 within a second or so\n%s", code, d, stderr)
		}
	})
}
