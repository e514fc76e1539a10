package store_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/augsplit/augsplit/internal/s3test"
	"github.com/augsplit/augsplit/internal/store"
)

// silent accepts connections and never answers, like a wrong port behind a
// firewall that lets TCP through, or a wedged server.
func silent(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// A bucket request to an endpoint that never answers fails, naming the
// endpoint and what to check, after the wait AUGSPLIT_HTTP_TIMEOUT sets;
// before, it waited forever.
func TestS3SilentEndpoint(t *testing.T) {
	for k, v := range s3test.Env() {
		t.Setenv(k, v)
	}
	t.Setenv(store.TimeoutEnv, "100ms")
	end := silent(t)
	root := "s3://b/p?endpoint=" + end + "&region=us-east-1&use_path_style=true&disable_https=true"
	s, err := store.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan error, 1)
	go func() { _, err := s.List(context.Background(), ""); done <- err }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute): // a backstop for the hang, not a speed check
		t.Fatal("List of a silent endpoint still waiting after 2 minutes")
	}
	if err == nil {
		t.Fatal("List of a silent endpoint succeeded")
	}
	t.Log(err)
	for _, want := range []string{"no answer from " + end, "check that the endpoint", store.TimeoutEnv} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestS3TimeoutEnvInvalid(t *testing.T) {
	for _, v := range []string{"soon", "0", "-1s"} {
		t.Setenv(store.TimeoutEnv, v)
		_, err := store.Open(context.Background(), "s3://b/p?region=us-east-1")
		if err == nil || !strings.Contains(err.Error(), store.TimeoutEnv) {
			t.Errorf("%s=%s: Open = %v; want an error naming the variable", store.TimeoutEnv, v, err)
		}
	}
}
