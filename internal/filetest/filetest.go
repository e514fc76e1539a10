// Package filetest holds the file helpers that this module's tests share:
// PNGs and folder trees written under t.TempDir(), a folder read back for
// comparison. Every helper fails the test on an error, so a test reads as
// what it does.
package filetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// PNG encodes img with image/png.
func PNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatalf("encode png: %v", err)
	}
	return b.Bytes()
}

// Write writes data to path, making its folders.
func Write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WritePNG writes img to path as a PNG and returns the file's bytes.
func WritePNG(t testing.TB, path string, img image.Image) []byte {
	t.Helper()
	data := PNG(t, img)
	Write(t, path, data)
	return data
}

// Tree writes files (slash paths to contents) below a new temporary folder
// and returns it.
func Tree(t testing.TB, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	for p, data := range files {
		Write(t, filepath.Join(root, filepath.FromSlash(p)), data)
	}
	return root
}

// Read returns every file below dir, by slash path relative to dir; a
// missing dir gives an empty map.
func Read(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && len(files) == 0) {
		t.Fatal(err)
	}
	return files
}

// SHA256 is the hex SHA-256 of data, as manifests and cards record it.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
