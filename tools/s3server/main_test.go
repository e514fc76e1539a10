package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeUploadedFiles starts the server as scale-demo does, reads the
// URL it prints, and fetches an uploaded object over HTTP: the bytes are
// the local file's, and with -dir they are also a plain file, which is
// what the demo's byte-for-byte comparison reads.
func TestServeUploadedFiles(t *testing.T) {
	src := t.TempDir()
	want := []byte("not really a png\x00\xff")
	if err := os.MkdirAll(filepath.Join(src, "round"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "round", "a.png"), want, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0", "-dir", dir, "-bucket", "b", "-upload", src, "-prefix", "cells"}, pw, &stderr)
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL line on stdout: %v (stderr: %s)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	u, err := url.Parse(strings.TrimSpace(line))
	if err != nil || u.Scheme != "s3" || u.Host != "b" {
		t.Fatalf("URL line %q: want s3://b?endpoint=...", line)
	}
	endpoint := u.Query().Get("endpoint")
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("URL line %q: endpoint %q, want http://127.0.0.1:PORT", line, endpoint)
	}
	resp, err := http.Get(endpoint + "/b/cells/round/a.png")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
		t.Errorf("GET cells/round/a.png: %s %q, want 200 %q", resp.Status, got, want)
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, "buckets", "b", "cells", "round", "a.png"))
	if err != nil || !bytes.Equal(onDisk, want) {
		t.Errorf("-dir: the object as a file: %q, %v; want %q", onDisk, err, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-upload", "x"},  // no -bucket
		{"stray"},         // positional
		{"-no-such-flag"}, // unknown flag
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("s3server %q: no error", args)
		}
	}
}
