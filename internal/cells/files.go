package cells

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// The bundled testdata/cells images are Draw(class, Size, Size, Seed).
const (
	Size = 128
	Seed = 1
)

// FileName is the path of a class's image relative to the output folder:
// <class>/<class>-01.png, the class folder being what dataset.Scan reads.
func FileName(class string) string {
	return filepath.Join(class, class+"-01.png")
}

// EncodePNG encodes img with fixed encoder settings, so a given Go release
// always produces the same bytes (and so the same source sha256 downstream).
func EncodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteDir writes one size x size image per class under dir, creating the
// class folders. Each file is written to a temporary name and renamed, so an
// interrupted run never leaves a truncated PNG that would later be taken
// for a source image.
func WriteDir(dir string, size int, seed uint64) error {
	for _, class := range Classes() {
		data, err := EncodePNG(Draw(class, size, size, seed))
		if err != nil {
			return fmt.Errorf("cells: encode %s: %w", class, err)
		}
		path := filepath.Join(dir, FileName(class))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := writeAtomic(path, data); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	// The temporary name starts with a dot so that dataset.Scan, which
	// ignores hidden files, never picks up a leftover.
	f, err := os.CreateTemp(filepath.Dir(path), ".cellgen-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("cells: write %s: %w", path, werr)
	}
	return nil
}
