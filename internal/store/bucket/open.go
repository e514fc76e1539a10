// Package bucket is the store of a bucket URL (s3://, gs://, azblob://,
// mem://) through gocloud.dev/blob. Importing it registers it with
// store.Open; packages that only need the store.Store interface or local
// folders do not, so they do not link gocloud.dev, the AWS SDK and gRPC.
package bucket

import (
	"context"
	"fmt"
	"net/url"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/augsplit/augsplit/internal/store"
)

func init() { store.RegisterBuckets(open) }

// built says which bucket drivers this binary has. gs and azblob pull in
// large SDKs and are built only with -tags gcs / -tags azure (see
// driver_gcs.go, driver_azure.go).
var built = map[string]bool{"s3": true, "mem": true}

// buildTag is the tag that adds a scheme's driver.
var buildTag = map[string]string{"gs": "gcs", "azblob": "azure"}

// open is store.Open for a bucket URL: mem://NAME/PREFIX lives as long as
// the process and is shared by name, for tests.
func open(ctx context.Context, u *url.URL, root, scheme, base, prefix string) (store.Store, error) {
	if !built[scheme] {
		return nil, &store.DriverError{URL: root, Scheme: scheme, Tag: buildTag[scheme]}
	}
	var b *blob.Bucket
	var err error
	if scheme == "mem" {
		if len(u.Query()) > 0 {
			return nil, fmt.Errorf("%s: mem:// takes no options", root)
		}
		b = memBucket(u.Host)
	} else {
		bu := *u
		bu.Path, bu.RawPath, bu.Fragment = "", "", ""
		if scheme == "s3" {
			b, err = openS3(ctx, &bu)
		} else {
			b, err = blob.OpenBucket(ctx, bu.String())
		}
		if err != nil {
			return nil, fmt.Errorf("open %s: %w (check the URL's options and %s)", base, err, credentialsHint(scheme))
		}
	}
	if prefix != "" {
		b = blob.PrefixedBucket(b, prefix)
	}
	return &bucket{b: b, root: root, base: base, scheme: scheme, endpoint: endpointOf(scheme, u)}, nil
}

var (
	memMu      sync.Mutex
	memBuckets = map[string]*blob.Bucket{}
)

// memBucket returns the process's mem:// bucket called name, so a store
// opened twice (a test writing, then a command reading) sees one bucket.
// A store's Close closes a prefixed view or this shared bucket; memblob's
// Close only marks the handle closed, so the shared one is never handed
// out itself.
func memBucket(name string) *blob.Bucket {
	memMu.Lock()
	defer memMu.Unlock()
	b, ok := memBuckets[name]
	if !ok {
		b = memblob.OpenBucket(nil)
		memBuckets[name] = b
	}
	return blob.PrefixedBucket(b, "")
}
