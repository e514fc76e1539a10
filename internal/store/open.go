package store

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// schemes are the URL schemes Open understands: file:// is a local folder,
// the others are buckets through gocloud.dev/blob.
var schemes = []string{"file", "s3", "gs", "azblob", "mem"}

// BucketOpener opens the bucket store of a parsed URL: scheme (lower case)
// is one of s3, gs, azblob, mem; prefix is "" or ends in "/"; base names
// the store's objects in messages (scheme://bucket/prefix/). The
// internal/store/bucket package registers it: the bucket drivers
// (gocloud.dev, the AWS SDK, gRPC) stay out of every package that only
// needs the Store interface or local folders, and the augsplit command
// links them.
type BucketOpener func(ctx context.Context, u *url.URL, root, scheme, base, prefix string) (Store, error)

var openBucket BucketOpener

// RegisterBuckets makes Open open bucket URLs with f.
func RegisterBuckets(f BucketOpener) { openBucket = f }

// TimeoutEnv names the variable that sets how long a bucket request waits
// for an answer (a Go duration: 90s, 5m). Its default is DefaultTimeout.
const TimeoutEnv = "AUGSPLIT_HTTP_TIMEOUT"

// DefaultTimeout is how long a bucket request waits for the response's
// headers: an endpoint that takes a connection and never answers must fail
// a command, not hang it.
const DefaultTimeout = 60 * time.Second

// IsURL reports whether s names a store by a URL scheme Open handles
// (s3://, gs://, azblob://, mem://, file://). Anything else is a local
// path, so plain paths keep working unchanged, even one like "a:b".
func IsURL(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	scheme := strings.ToLower(s[:i])
	for _, k := range schemes {
		if scheme == k {
			return true
		}
	}
	return false
}

// DriverError is a URL whose scheme this binary was built without.
type DriverError struct {
	URL, Scheme, Tag string
}

func (e *DriverError) Error() string {
	return fmt.Sprintf("%s: this augsplit was built without %s:// support: build with -tags %s (go build -tags %s ./cmd/augsplit)", e.URL, e.Scheme, e.Tag, e.Tag)
}

// Open opens the store at root: a plain path or file:// URL is a local
// folder; s3://BUCKET/PREFIX, gs://..., azblob://... and mem://NAME/PREFIX
// are a bucket (the query, e.g. ?region=...&endpoint=..., goes to the
// driver) with keys under PREFIX. mem:// buckets live as long as the
// process and are shared by name, for tests.
func Open(ctx context.Context, root string) (Store, error) {
	if err := CheckLocation(root); err != nil {
		return nil, err
	}
	if !IsURL(root) {
		if root == "" {
			return nil, fmt.Errorf("store: empty path: name a folder or a URL such as s3://bucket/prefix")
		}
		return OpenLocal(root), nil
	}
	u, err := url.Parse(root)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid URL: %w", root, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("%s: a file:// URL names a local folder: write file:///abs/path (three slashes)", root)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("%s: no folder: write file:///abs/path", root)
		}
		l := OpenLocal(filepath.FromSlash(u.Path))
		l.root = root
		return l, nil
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s: no bucket: write %s://BUCKET/PREFIX", root, scheme)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		if err := CheckKey(prefix); err != nil {
			return nil, fmt.Errorf("%s: prefix: %w", root, err)
		}
		prefix += "/"
	}
	if openBucket == nil {
		return nil, fmt.Errorf("%s: this program was built without bucket support (import augsplit's internal/store/bucket; the augsplit command has it)", root)
	}
	return openBucket(ctx, u, root, scheme, scheme+"://"+u.Host+"/"+prefix, prefix)
}

// Name is root as a record names it: a URL without its query and fragment
// (endpoints, regions and options say how to reach the objects, not which
// they are, and differ between machines), a path unchanged.
func Name(root string) string {
	if !IsURL(root) {
		return root
	}
	u, err := url.Parse(root)
	if err != nil {
		return root
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u.String()
}

// LocationError is an argument that looks like a URL augsplit cannot open:
// a known scheme missing a slash ("s3:/b/x") or an unknown scheme
// ("s4://b/x"). Without it, either would be taken for a local path: a
// folder named "s3:" created, or a "no such file" that hides the typo.
type LocationError struct {
	Arg, Msg string
}

func (e *LocationError) Error() string { return e.Arg + ": " + e.Msg }

// CheckLocation refuses an argument that looks like a URL but is not one
// Open understands (*LocationError); anything else, a plain path or a
// known URL, is nil. Only a scheme-like start counts ("s3:/...",
// "word://..."), so paths like "a:b" or "./x://y" stay paths.
func CheckLocation(arg string) error {
	colon := strings.Index(arg, ":")
	if colon <= 0 || !isScheme(arg[:colon]) {
		return nil
	}
	scheme, rest := strings.ToLower(arg[:colon]), arg[colon+1:]
	known := slices.Contains(schemes, scheme)
	name, _, _ := strings.Cut(arg, "?") // the query says how to reach, not what
	switch {
	case strings.HasPrefix(rest, "//"):
		if !known {
			return &LocationError{Arg: name, Msg: fmt.Sprintf("unknown scheme %s (known: %s)", scheme, strings.Join(knownSchemes(), ", "))}
		}
	case known && strings.HasPrefix(rest, "/"):
		path := strings.TrimLeft(name[colon+1:], "/")
		fix := scheme + "://" + path
		if scheme == "file" {
			fix = "file:///" + path
		}
		return &LocationError{Arg: name, Msg: fmt.Sprintf("looks like a URL missing a slash: write %s (two slashes after %s:)", fix, scheme)}
	}
	return nil
}

// isScheme reports whether s is a URL scheme by RFC 3986's grammar.
func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// knownSchemes lists the schemes in the order users meet them.
func knownSchemes() []string {
	return []string{"s3", "gs", "azblob", "file", "mem"}
}
