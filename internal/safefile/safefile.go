// Package safefile opens files that augsplit reads but did not choose:
// sources, samples, shards, manifests, cards, models, CSVs and configs. A
// path may name a named pipe (open blocks until a writer appears), a device
// (/dev/zero never ends), a socket or a folder, directly or through a
// symlink; and a regular file may be far larger than anything sane. Open
// refuses all of those with an error naming the file, without ever blocking,
// and the File it returns stops at a byte cap and when its context ends.
package safefile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// NotRegularError is a path that is not a regular file, after following
// symlinks.
type NotRegularError struct {
	Path string
	Kind string // "a named pipe (FIFO)", "a device", "a folder", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: not a regular file but %s: only regular files are read", e.Path, e.Kind)
}

// TooBigError is a file larger than its reader's cap.
type TooBigError struct {
	Path  string
	Limit int64
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("%s: larger than %d bytes", e.Path, e.Limit)
}

// kind names a non-regular file mode for a person.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}

// File is an open regular file whose reads stop at a cap and when the
// context of Open is done. It also seeks (for decoders that read a header
// twice): the cap counts bytes from the start of the file, so seeking back
// does not buy more than the cap.
type File struct {
	f    *os.File
	ctx  context.Context
	path string
	max  int64
	size int64 // at open, from fstat
	pos  int64
}

// Open opens path for reading when it is a regular file (after following
// symlinks) no larger than max bytes (max <= 0: no cap). The check is made
// twice: by stat before opening, so nothing blocks on a FIFO or a device,
// and by fstat on the opened descriptor (opened non-blocking where the OS
// has that), so a file swapped in between is caught too. Reads return
// ctx.Err() once ctx is done, and *TooBigError past max bytes.
func Open(ctx context.Context, path string, max int64) (*File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Kind: kind(fi.Mode())}
	}
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	fi, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Kind: kind(fi.Mode())}
	}
	if max > 0 && fi.Size() > max {
		f.Close()
		return nil, &TooBigError{Path: path, Limit: max}
	}
	return &File{f: f, ctx: ctx, path: path, max: max, size: fi.Size()}, nil
}

// Size is the file's size when it was opened.
func (f *File) Size() int64 { return f.size }

// Name is the path the file was opened by.
func (f *File) Name() string { return f.path }

// Read reads up to the cap. A file that grew past the cap since it was
// opened gives *TooBigError instead of its extra bytes.
func (f *File) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	if f.max > 0 {
		if f.pos >= f.max {
			// One byte more tells a file of exactly max bytes from a
			// longer one.
			var one [1]byte
			n, err := f.f.Read(one[:])
			if n > 0 {
				return 0, &TooBigError{Path: f.path, Limit: f.max}
			}
			return 0, err
		}
		if rest := f.max - f.pos; int64(len(p)) > rest {
			p = p[:rest]
		}
	}
	n, err := f.f.Read(p)
	f.pos += int64(n)
	return n, err
}

// ReadAt reads at off, within the cap like Read (decoders of formats with
// offsets, such as TIFF, read a file this way instead of buffering it).
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	cut := false
	if f.max > 0 {
		if off >= f.max {
			p, cut = p[:0], true
		} else if rest := f.max - off; int64(len(p)) > rest {
			p, cut = p[:rest], true
		}
	}
	n, err := f.f.ReadAt(p, off)
	if cut && err == nil {
		var one [1]byte
		if m, _ := f.f.ReadAt(one[:], f.max); m > 0 {
			return n, &TooBigError{Path: f.path, Limit: f.max}
		}
		err = io.EOF
	}
	return n, err
}

// Seek sets the offset of the next Read.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	pos, err := f.f.Seek(offset, whence)
	if err == nil {
		f.pos = pos
	}
	return pos, err
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// ReadFile reads the whole of path through Open.
func ReadFile(ctx context.Context, path string, max int64) ([]byte, error) {
	f, err := Open(ctx, path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Size is a hint only: the file may have changed since fstat.
	buf := make([]byte, 0, min(f.size, 64<<20)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// IsRefused reports whether err is Open refusing the file itself (not a
// regular file, or over its cap) rather than the system failing to read it.
func IsRefused(err error) bool {
	var nr *NotRegularError
	var tb *TooBigError
	return errors.As(err, &nr) || errors.As(err, &tb)
}
