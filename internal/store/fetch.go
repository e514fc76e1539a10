package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// Fetched is what Fetch copied.
type Fetched struct {
	Objects int
	Bytes   int64
}

// fetchWorkers is how many objects Fetch copies at once: a bucket's
// latency, not its bandwidth, bounds one stream of small objects.
const fetchWorkers = 8

// Fetch copies every object of src into the local folder dst (keys become
// paths under it), so code that reads local folders can read a bucket. Each
// file is written whole or not at all (Local's Create and Commit), streamed
// with a fixed buffer per worker (memory does not grow with object sizes),
// and its length is checked against the object's size when it was opened:
// an object replaced during the copy is an error naming it. An empty src
// is an error (a mistyped prefix would otherwise read as an empty dataset).
func Fetch(ctx context.Context, src Store, dst string) (Fetched, error) {
	keys, err := src.List(ctx, "")
	if err != nil {
		return Fetched{}, err
	}
	if len(keys) == 0 {
		return Fetched{}, fmt.Errorf("%s: no objects there: check the bucket and prefix", Name(src.URL()))
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return Fetched{}, fmt.Errorf("fetch %s: %w", Name(src.URL()), err)
	}
	out := OpenLocal(dst)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		total Fetched
		first error
		wg    sync.WaitGroup
	)
	next := make(chan string)
	for range min(fetchWorkers, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for key := range next {
				n, err := copyObject(ctx, src, out, key, buf)
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				total.Objects++
				total.Bytes += n
				mu.Unlock()
			}
		}()
	}
feed:
	for _, k := range keys {
		select {
		case next <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return Fetched{}, first
	}
	return total, nil
}

// sizer is a reader that knows its object's size (blob.Reader,
// safefile.File).
type sizer interface{ Size() int64 }

func copyObject(ctx context.Context, src Store, dst *Local, key string, buf []byte) (int64, error) {
	r, err := src.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	w, err := dst.Create(ctx, key)
	if err != nil {
		return 0, err
	}
	defer w.Abort()
	n, err := io.CopyBuffer(w, r, buf)
	if err != nil {
		return 0, fmt.Errorf("fetch %s: %w", objectName(src, key), err)
	}
	if s, ok := r.(sizer); ok && s.Size() != n {
		return 0, fmt.Errorf("fetch %s: read %d bytes of %d: the object changed while it was read; run again", objectName(src, key), n, s.Size())
	}
	if err := w.Commit(); err != nil {
		return 0, err
	}
	return n, nil
}

// objectName is key's full name in src, for messages.
func objectName(src Store, key string) string {
	if o, ok := src.(interface{ Object(key string) string }); ok {
		return o.Object(key)
	}
	return src.URL() + "/" + key
}
