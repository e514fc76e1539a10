package store

import (
	"net/url"
	"path/filepath"
	"strings"
)

// LocalPath is the local folder root names: a plain path as it is, a
// file:// URL's path; ok is false for a bucket.
func LocalPath(root string) (path string, ok bool) {
	if !IsURL(root) {
		return root, true
	}
	u, err := url.Parse(root)
	if err != nil || !strings.EqualFold(u.Scheme, "file") {
		return "", false
	}
	return filepath.FromSlash(u.Path), true
}

// bucketPlace is what makes two bucket URLs the same place: the scheme,
// the bucket, the server (endpoint=) and the prefix. Region, credentials
// and other options say how to reach the objects, not which they are.
type bucketPlace struct {
	scheme, bucket, endpoint, prefix string
}

func placeOf(root string) (bucketPlace, bool) {
	if !IsURL(root) {
		return bucketPlace{}, false
	}
	u, err := url.Parse(root)
	if err != nil || strings.EqualFold(u.Scheme, "file") {
		return bucketPlace{}, false
	}
	return bucketPlace{
		scheme:   strings.ToLower(u.Scheme),
		bucket:   u.Host,
		endpoint: strings.TrimRight(strings.ToLower(u.Query().Get("endpoint")), "/"),
		prefix:   strings.Trim(u.Path, "/"),
	}, true
}

// Within reports whether the bucket URL child is the bucket URL parent or
// under its prefix: the same scheme, bucket and endpoint, and a prefix
// equal to parent's or below it ("a/b" is within "a", "ab" is not). A path
// or file:// URL is never within a bucket; compare those as folders.
func Within(parent, child string) bool {
	p, ok1 := placeOf(parent)
	c, ok2 := placeOf(child)
	if !ok1 || !ok2 || p.scheme != c.scheme || p.bucket != c.bucket || p.endpoint != c.endpoint {
		return false
	}
	return p.prefix == "" || c.prefix == p.prefix || strings.HasPrefix(c.prefix, p.prefix+"/")
}
