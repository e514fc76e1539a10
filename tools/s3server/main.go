// Command s3server serves the S3 wire protocol on a local address
// (github.com/johannesboyne/gofakes3) with one bucket, for `make
// scale-demo` and for trying augsplit's s3:// URLs without a cloud account:
//
//	go run ./tools/s3server -addr 127.0.0.1:0 -bucket demo -dir /tmp/s3 -upload testdata/cells
//
// Once it accepts connections it prints the bucket's s3:// URL as the one
// line on stdout, e.g.
// s3://demo?endpoint=http://127.0.0.1:PORT&region=us-east-1&use_path_style=true&disable_https=true&request_checksum_calculation=when_required&response_checksum_validation=when_required
// (put a prefix after the bucket name: s3://demo/cells?...), and on stderr
// the environment to export (dummy keys: it checks no secret, but the SDK
// signs every request). It serves until SIGINT or SIGTERM.
//
// Without -dir the objects live in memory and are gone when it stops. With
// -dir they are files, DIR/buckets/BUCKET/KEY (metadata under
// DIR/metadata), so a script can compare a bucket with a local folder
// using plain file tools. -upload puts a local folder's files into the
// bucket through the server's backend before it listens, under -prefix
// (default: the folder's base name).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "s3server:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. The URL line on stdout comes only once the
// listener accepts connections, so a script may connect as soon as it
// reads it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("s3server", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:0", "listen address (port 0: any free port)")
	dir := fl.String("dir", "", "keep objects as files under `DIR`/buckets/BUCKET/KEY (default: in memory)")
	bucket := fl.String("bucket", "augsplit", "the bucket to create and print the URL of (others are created on first use)")
	upload := fl.String("upload", "", "put the files under local `DIR` into -bucket before serving")
	prefix := fl.String("prefix", "", "key prefix for -upload (default: DIR's base name)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (usage: s3server [-addr A] [-bucket B] [-dir DIR] [-upload DIR [-prefix P]])", fl.Arg(0))
	}
	if *bucket == "" {
		return errors.New("-bucket: want a bucket name")
	}

	backend, err := newBackend(*dir)
	if err != nil {
		return err
	}
	if err := ensureBucket(backend, *bucket); err != nil {
		return err
	}
	if *upload != "" {
		p := *prefix
		if p == "" {
			p = filepath.Base(filepath.Clean(*upload))
		}
		n, err := uploadDir(ctx, backend, *bucket, p, *upload)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "s3server: uploaded %d files from %s to s3://%s/%s\n", n, *upload, *bucket, p)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick another -addr)", *addr, err)
	}
	endpoint := "http://" + ln.Addr().String()
	// Auto-created buckets let a test name a fresh bucket without a
	// setup call; path-style addressing is what the URL above asks for.
	faker := gofakes3.New(backend, gofakes3.WithAutoBucket(true), gofakes3.WithLogger(gofakes3.StdLog(log.New(stderr, "s3server: ", 0), gofakes3.LogErr)))
	srv := &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	for _, kv := range env {
		fmt.Fprintf(stderr, "export %s\n", kv)
	}
	fmt.Fprintln(stdout, bucketURL(*bucket, endpoint))
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", endpoint, err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("stop %s: %w", endpoint, err)
	}
	return nil
}

// env is what the AWS SDK needs to reach the server: dummy keys, a
// region, and no instance-metadata lookups (there is no cloud here).
var env = []string{
	"AWS_ACCESS_KEY_ID=augsplit-test",
	"AWS_SECRET_ACCESS_KEY=augsplit-test-secret",
	"AWS_REGION=us-east-1",
	"AWS_EC2_METADATA_DISABLED=true",
}

// bucketURL is the s3:// URL gocloud's s3blob opens against the server:
// path-style requests over plain HTTP, and checksums only where S3 needs
// them: newer AWS SDKs otherwise stream uploads with trailing checksums,
// which gofakes3 does not read, and warn on stderr about every response
// that carries none.
func bucketURL(bucket, endpoint string) string {
	return "s3://" + bucket + "?endpoint=" + endpoint +
		"&region=us-east-1&use_path_style=true&disable_https=true&request_checksum_calculation=when_required&response_checksum_validation=when_required"
}

func newBackend(dir string) (gofakes3.Backend, error) {
	if dir == "" {
		return s3mem.New(), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("-dir %s: %w", dir, err)
	}
	// s3afero refuses a bare OsFs (it would serve the whole disk); a
	// base-path Fs confines it to dir.
	b, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), dir))
	if err != nil {
		return nil, fmt.Errorf("-dir %s: %w", dir, err)
	}
	return b, nil
}

func ensureBucket(b gofakes3.Backend, name string) error {
	ok, err := b.BucketExists(name)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", name, err)
	}
	if ok {
		return nil
	}
	if err := b.CreateBucket(name); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// uploadDir puts every regular file under dir into bucket at
// prefix/REL (slash-separated), in lexical order, and returns how many.
func uploadDir(ctx context.Context, b gofakes3.Backend, bucket, prefix, dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		key := path.Join(prefix, filepath.ToSlash(rel))
		if _, err := b.PutObject(bucket, key, map[string]string{}, f, st.Size(), nil); err != nil {
			return fmt.Errorf("put %s as s3://%s/%s: %w", p, bucket, key, err)
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("-upload %s: %w", dir, err)
	}
	return n, nil
}
