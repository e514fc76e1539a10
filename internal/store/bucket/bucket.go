package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/augsplit/augsplit/internal/store"
)

// bucket is a store under a prefix of a gocloud.dev/blob bucket. An object
// store has no rename, so Create writes the final key directly: the upload
// becomes visible only when its Close succeeds, and cancelling its context
// first drops it.
type bucket struct {
	b      *blob.Bucket
	root   string // the URL as given, for URL()
	base   string // scheme://bucket/prefix/ without the query, to name objects
	scheme string
	// endpoint names where requests go (the URL's endpoint= or the
	// cloud's), for a timeout's message.
	endpoint string
}

// object names key for a person: the full URL without the query (which
// holds endpoints and options, not the object's name).
func (s *bucket) object(key string) string { return s.base + key }

// Object is key's full name, for messages of code that only has the
// store.Store (store.Fetch).
func (s *bucket) Object(key string) string { return s.object(key) }

// explain wraps a gocloud error with the object's URL and what to do.
// NotFound wraps fs.ErrNotExist, as the local store's errors do.
func (s *bucket) explain(op, key string, err error) error {
	what := s.object(key)
	if key == "" {
		what = s.base
	}
	if isTimeout(err) {
		return fmt.Errorf("%s %s: no answer from %s: check that the endpoint is right and up (%s sets how long to wait, now %s): %w", op, what, s.endpoint, store.TimeoutEnv, waitNow(), err)
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		if key == "" {
			return fmt.Errorf("%s %s: bucket not found: check the bucket name and region (?region=): %w (%w)", op, what, fs.ErrNotExist, err)
		}
		return fmt.Errorf("%s %s: %w (%w)", op, what, fs.ErrNotExist, err)
	case gcerrors.PermissionDenied:
		return fmt.Errorf("%s %s: access denied: check the credentials (%s) and the bucket's permissions: %w", op, what, credentialsHint(s.scheme), err)
	case gcerrors.Canceled, gcerrors.DeadlineExceeded:
		return fmt.Errorf("%s %s: %w", op, what, err)
	case gcerrors.Unknown, gcerrors.Internal:
		return fmt.Errorf("%s %s: %w (check the endpoint, region and credentials: %s)", op, what, err, credentialsHint(s.scheme))
	}
	return fmt.Errorf("%s %s: %w", op, what, err)
}

// credentialsHint names where each driver looks for credentials.
func credentialsHint(scheme string) string {
	switch scheme {
	case "s3":
		return "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role; region from AWS_REGION or ?region="
	case "gs":
		return "GOOGLE_APPLICATION_CREDENTIALS or gcloud auth application-default login"
	case "azblob":
		return "AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or az login"
	}
	return "the driver's credentials"
}

func (s *bucket) Create(ctx context.Context, key string) (store.Writer, error) {
	if err := store.CheckKey(key); err != nil {
		return nil, fmt.Errorf("%s: %w", s.base, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	w, err := s.b.NewWriter(wctx, key, nil)
	if err != nil {
		cancel()
		return nil, s.explain("create", key, err)
	}
	return &bucketWriter{w: w, cancel: cancel, s: s, key: key}, nil
}

type bucketWriter struct {
	w      *blob.Writer
	cancel context.CancelFunc
	s      *bucket
	key    string
	done   bool
}

func (w *bucketWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write %s: already committed or aborted", w.s.object(w.key))
	}
	n, err := w.w.Write(p)
	if err != nil {
		err = w.s.explain("write", w.key, err)
	}
	return n, err
}

func (w *bucketWriter) Commit() error {
	if w.done {
		return fmt.Errorf("commit %s: already committed or aborted", w.s.object(w.key))
	}
	w.done = true
	err := w.w.Close()
	w.cancel()
	if err != nil {
		return w.s.explain("commit", w.key, err)
	}
	return nil
}

// Abort cancels the upload before closing it: gocloud then drops what was
// written and no object appears.
func (w *bucketWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.cancel()
	w.w.Close()
}

func (s *bucket) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := store.CheckKey(key); err != nil {
		return nil, fmt.Errorf("%s: %w", s.base, err)
	}
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, s.explain("open", key, err)
	}
	return &bucketReader{r: r, s: s, key: key}, nil
}

// bucketReader names the object in read errors; Size is the object's size
// when it was opened (Fetch checks it against what it read).
type bucketReader struct {
	r   *blob.Reader
	s   *bucket
	key string
}

func (r *bucketReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = r.s.explain("read", r.key, err)
	}
	return n, err
}
func (r *bucketReader) Size() int64  { return r.r.Size() }
func (r *bucketReader) Close() error { return r.r.Close() }

func (s *bucket) Stat(ctx context.Context, key string) (int64, error) {
	if err := store.CheckKey(key); err != nil {
		return 0, fmt.Errorf("%s: %w", s.base, err)
	}
	a, err := s.b.Attributes(ctx, key)
	if err != nil {
		return 0, s.explain("stat", key, err)
	}
	return a.Size, nil
}

// List returns the objects under prefix, sorted. Keys ending in "/" are
// folder markers some tools create, not objects; a key that is not a clean
// relative path is an error naming it, since nothing could read it back.
func (s *bucket) List(ctx context.Context, prefix string) ([]string, error) {
	it := s.b.List(&blob.ListOptions{Prefix: prefix})
	var keys []string
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, s.explain("list", "", err)
		}
		if o.IsDir || strings.HasSuffix(o.Key, "/") {
			continue
		}
		base := o.Key[strings.LastIndex(o.Key, "/")+1:]
		if store.IsTemp(base) {
			continue
		}
		if err := store.CheckKey(o.Key); err != nil {
			return nil, fmt.Errorf("list %s: %w: rename or remove that object", s.base, err)
		}
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	return keys, nil
}

func (s *bucket) Delete(ctx context.Context, key string) error {
	if err := store.CheckKey(key); err != nil {
		return fmt.Errorf("%s: %w", s.base, err)
	}
	err := s.b.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return s.explain("delete", key, err)
	}
	return nil
}

func (s *bucket) URL() string  { return s.root }
func (s *bucket) Dir() string  { return "" }
func (s *bucket) Close() error { return s.b.Close() }
