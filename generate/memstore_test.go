package generate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/augsplit/augsplit/internal/store"
)

// memStore is a bucket in memory (Dir is ""): no rename, objects appear
// whole on Commit. It stands in for the storage layer's buckets so that
// the bucket side of parts and seal is tested here.
type memStore struct {
	url  string
	mu   sync.Mutex
	objs map[string][]byte
}

var (
	memMu     sync.Mutex
	memStores = map[string]*memStore{}
)

// useMemStores makes OpenStore serve mem:// URLs from memStores for the
// test.
func useMemStores(t *testing.T) {
	old := openURL
	openURL = func(_ context.Context, url string) (store.Store, error) {
		memMu.Lock()
		defer memMu.Unlock()
		s, ok := memStores[url]
		if !ok {
			s = &memStore{url: url, objs: map[string][]byte{}}
			memStores[url] = s
		}
		return s, nil
	}
	t.Cleanup(func() { openURL = old })
}

type memWriter struct {
	s    *memStore
	key  string
	buf  bytes.Buffer
	done bool
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *memWriter) Commit() error {
	if w.done {
		return fmt.Errorf("commit %s twice", w.key)
	}
	w.done = true
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.objs[w.key] = bytes.Clone(w.buf.Bytes())
	return nil
}
func (w *memWriter) Abort() { w.done = true }

func (s *memStore) Create(_ context.Context, key string) (store.Writer, error) {
	return &memWriter{s: s, key: key}, nil
}
func (s *memStore) Open(_ context.Context, key string) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objs[key]
	if !ok {
		return nil, fmt.Errorf("%s/%s: %w", s.url, key, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}
func (s *memStore) Stat(_ context.Context, key string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.objs[key]
	if !ok {
		return 0, fmt.Errorf("%s/%s: %w", s.url, key, fs.ErrNotExist)
	}
	return int64(len(b)), nil
}
func (s *memStore) List(_ context.Context, prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.objs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}
func (s *memStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objs, key)
	return nil
}
func (s *memStore) URL() string  { return s.url }
func (s *memStore) Dir() string  { return "" }
func (s *memStore) Close() error { return nil }

// download writes every object of the bucket at url into a new folder.
func download(t *testing.T, url string) string {
	t.Helper()
	st, err := OpenStore(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := st.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, k := range keys {
		r, err := st.Open(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
