package bucket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	gcaws "gocloud.dev/aws"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/augsplit/augsplit/internal/store"
)

// The s3 driver is in every build: S3's protocol is also MinIO's, Ceph's,
// R2's and SeaweedFS's, and the fake server the tests use.

// Default waits: an endpoint that takes a connection and never answers
// must fail a command, not hang it. There is no limit on a whole request,
// since an upload of a large object may rightly take long.
const dialTimeout = 30 * time.Second // connect, and the TLS handshake (store.DefaultTimeout: the response's headers)

// timeouts returns the response-header wait and the connect wait, from
// store.TimeoutEnv when it is set; a shorter wait also shortens the connect one.
func timeouts() (header, dial time.Duration, err error) {
	header, dial = store.DefaultTimeout, dialTimeout
	if v := os.Getenv(store.TimeoutEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, 0, fmt.Errorf("%s=%q: not a positive duration: write e.g. %s=90s", store.TimeoutEnv, v, store.TimeoutEnv)
		}
		header, dial = d, min(dial, d)
	}
	return header, dial, nil
}

// s3 options s3blob's URLOpener reads itself before handing the rest of the
// query to gocloud.dev/aws (which refuses any it does not know).
const (
	s3SSEType    = "ssetype"
	s3KMSKeyID   = "kmskeyid"
	s3Accelerate = "accelerate"
	s3PathStyle  = "use_path_style"
	s3PathLegacy = "s3ForcePathStyle"
	s3NoHTTPS    = "disable_https"
)

// openS3 opens an s3:// URL as s3blob's URLOpener (v0.47.0) does, with the
// same query options, but with an HTTP client that gives up on an endpoint
// that never answers (s3blob's has no response-header timeout, so such an
// endpoint hung every command). The AWS SDK's own client is kept (proxy
// from the environment, its pool sizes); only its waits change.
func openS3(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	header, dial, err := timeouts()
	if err != nil {
		return nil, err
	}
	q := u.Query()
	var opts s3blob.Options
	if v := q.Get(s3SSEType); v != "" {
		q.Del(s3SSEType)
		ok := false
		for _, t := range types.ServerSideEncryptionAes256.Values() {
			if strings.EqualFold(string(t), v) {
				opts.EncryptionType, ok = t, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("%q is not a valid value for %q", v, s3SSEType)
		}
	}
	if v := q.Get(s3KMSKeyID); v != "" {
		q.Del(s3KMSKeyID)
		opts.KMSEncryptionID = v
	}
	var s3opts []func(*s3.Options)
	boolOpt := func(key string, set func(*s3.Options, bool)) error {
		v := q.Get(key)
		if v == "" {
			return nil
		}
		q.Del(key)
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("invalid value for %q: %w", key, err)
		}
		s3opts = append(s3opts, func(o *s3.Options) { set(o, b) })
		return nil
	}
	// In s3blob's order, so a URL giving both path-style keys means the same.
	for _, o := range []struct {
		key string
		set func(*s3.Options, bool)
	}{
		{s3Accelerate, func(o *s3.Options, b bool) { o.UseAccelerate = b }},
		{s3NoHTTPS, func(o *s3.Options, b bool) { o.EndpointOptions.DisableHTTPS = b }},
		{s3PathStyle, func(o *s3.Options, b bool) { o.UsePathStyle = b }},
		{s3PathLegacy, func(o *s3.Options, b bool) { o.UsePathStyle = b }},
	} {
		if err := boolOpt(o.key, o.set); err != nil {
			return nil, err
		}
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = dial }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = dial
			t.ResponseHeaderTimeout = header
		})
	opts.RequestChecksumCalculation = cfg.RequestChecksumCalculation
	return s3blob.OpenBucket(ctx, s3.NewFromConfig(cfg, s3opts...), u.Host, &opts)
}

// isTimeout reports whether err is a network wait that ran out (not a
// cancelled context: that is the user's or a sibling's doing).
func isTimeout(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// endpointOf names where root's requests go, for messages.
func endpointOf(scheme string, u *url.URL) string {
	if e := u.Query().Get("endpoint"); e != "" {
		return e
	}
	if r := u.Query().Get("region"); r != "" && scheme == "s3" {
		return "the AWS S3 endpoint of region " + r
	}
	return "the " + scheme + " endpoint"
}

// waitNow is the response wait in force, for messages.
func waitNow() string {
	h, _, err := timeouts()
	if err != nil {
		return os.Getenv(store.TimeoutEnv)
	}
	return h.String()
}
