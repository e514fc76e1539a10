// Package s3test runs a real S3-protocol server in the process, for tests
// and tools only (nothing in the binary imports it): gofakes3 with its
// in-memory backend over HTTP on the loopback address, reached through
// gocloud's s3blob driver exactly as a real bucket is.
package s3test

import (
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region is the region the URLs name; gofakes3 accepts any.
const Region = "us-east-1"

// Server is a gofakes3 server holding buckets in memory.
type Server struct {
	srv     *httptest.Server
	backend *s3mem.Backend
	bucket  string
}

// Start serves on addr ("" or "127.0.0.1:0" for a free loopback port) with
// bucket created.
func Start(addr, bucket string) (*Server, error) {
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		return nil, fmt.Errorf("s3test: create bucket %q: %w", bucket, err)
	}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewUnstartedServer(faker.Server())
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("s3test: listen on %s: %w", addr, err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.Start()
	return &Server{srv: srv, backend: backend, bucket: bucket}, nil
}

// New starts a server on a free loopback port with bucket, sets dummy
// credentials for the test (SetEnv) and stops the server when it ends.
func New(tb testing.TB, bucket string) *Server {
	tb.Helper()
	s, err := Start("", bucket)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	for k, v := range Env() {
		tb.Setenv(k, v)
	}
	return s
}

// Env is what the AWS SDK needs to talk to the server: dummy keys (it
// signs every request), a region, and no shared config or instance
// metadata (a developer's ~/.aws must not change a test).
func Env() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":           "augsplit-test",
		"AWS_SECRET_ACCESS_KEY":       "augsplit-test-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  Region,
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
}

// Endpoint is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) Endpoint() string { return s.srv.URL }

// URL is an s3:// URL for prefix ("" for the bucket's root) that gocloud's
// s3blob opens against this server: path-style requests over plain HTTP.
// Checksums are sent and checked only where S3 requires them: newer AWS
// SDKs otherwise stream uploads with trailing checksums, which gofakes3
// does not read, and warn on stderr of every response without one, which
// gofakes3 does not send.
func (s *Server) URL(prefix string) string {
	u := "s3://" + s.bucket
	if prefix != "" {
		u += "/" + prefix
	}
	return u + "?endpoint=" + s.srv.URL + "&region=" + Region +
		"&use_path_style=true&disable_https=true" +
		"&request_checksum_calculation=when_required&response_checksum_validation=when_required"
}

// Bucket is the bucket created at Start.
func (s *Server) Bucket() string { return s.bucket }

// Close stops the server; its buckets are gone.
func (s *Server) Close() { s.srv.Close() }
