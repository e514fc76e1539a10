// Command s3server runs an in-memory S3-protocol server (gofakes3) with one
// bucket until it is killed, for make scale-demo and manual runs. It prints
// the bucket's s3:// URL on stdout and the credentials to export on stderr.
// Everything it holds is lost when it stops.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/augsplit/augsplit/internal/s3test"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (port 0: a free one)")
	bucket := flag.String("bucket", "augsplit", "bucket to create")
	flag.Parse()
	s, err := s3test.Start(*addr, *bucket)
	if err != nil {
		fmt.Fprintf(os.Stderr, "s3server: %v\n", err)
		os.Exit(1)
	}
	env := s3test.Env()
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(os.Stderr, "s3server: set these for augsplit (any keys work; requests must be signed):")
	for _, k := range keys {
		fmt.Fprintf(os.Stderr, "export %s=%q\n", k, env[k])
	}
	fmt.Println(s.URL(""))
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	s.Close()
}
