package main

import (
	"io"
	"sort"
	"strings"
)

// The temporary folders URLs are fetched into are gone by the time a user
// reads a message; fetchNames puts the URLs back into errors and output.

// fetchNames maps the temporary folders of fetched URLs back to the URLs
// (without their queries), for every message and report a command prints:
// "read train split of s3://b/ds: ...", not of /tmp/augsplit-fetch-123,
// which is removed before the user reads it. The zero value and nil map
// nothing.
type fetchNames struct {
	pairs [][2]string // local, URL; longest local first
}

func (n *fetchNames) add(local, url string) {
	if n == nil {
		return
	}
	n.pairs = append(n.pairs, [2]string{local, url})
	// A file inside a folder of another pair must be replaced first.
	sort.SliceStable(n.pairs, func(i, j int) bool { return len(n.pairs[i][0]) > len(n.pairs[j][0]) })
}

// text replaces each fetched folder in s by its URL.
func (n *fetchNames) text(s string) string {
	if n == nil {
		return s
	}
	for _, p := range n.pairs {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// err is err with its message's fetched folders named by URL; errors.Is
// and errors.As still see the original chain (exit codes depend on it).
func (n *fetchNames) err(err error) error {
	if err == nil || n == nil || len(n.pairs) == 0 {
		return err
	}
	msg := n.text(err.Error())
	if msg == err.Error() {
		return err
	}
	return &renamedError{msg: msg, err: err}
}

type renamedError struct {
	msg string
	err error
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }

// writer returns w with fetched folders named by URL. It passes text on
// as it comes (a progress line stays live) and holds back only a tail that
// may be the start of a fetched folder's name, finished by the next write;
// call Flush when done.
func (n *fetchNames) writer(w io.Writer) *namesWriter { return &namesWriter{n: n, w: w} }

type namesWriter struct {
	n   *fetchNames
	w   io.Writer
	buf []byte
}

func (w *namesWriter) Write(p []byte) (int, error) {
	if w.n == nil || len(w.n.pairs) == 0 {
		if err := w.Flush(); err != nil {
			return 0, err
		}
		return w.w.Write(p)
	}
	w.buf = append(w.buf, p...)
	text := w.n.text(string(w.buf))
	keep := w.n.partial(text)
	w.buf = append(w.buf[:0], text[len(text)-keep:]...)
	if _, err := io.WriteString(w.w, text[:len(text)-keep]); err != nil {
		return 0, err
	}
	return len(p), nil
}

// partial is the length of the longest tail of s that is a proper start
// of a fetched folder's name.
func (n *fetchNames) partial(s string) int {
	best := 0
	for _, p := range n.pairs {
		for k := min(len(p[0])-1, len(s)); k > best; k-- {
			if strings.HasSuffix(s, p[0][:k]) {
				best = k
				break
			}
		}
	}
	return best
}

// Flush writes what is held back.
func (w *namesWriter) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	s := w.n.text(string(w.buf))
	w.buf = w.buf[:0]
	_, err := io.WriteString(w.w, s)
	return err
}
