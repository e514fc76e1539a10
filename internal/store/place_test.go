package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/store"
)

func TestWithin(t *testing.T) {
	const e = "?endpoint=http://h:9000&region=r"
	for _, c := range []struct {
		parent, child string
		want          bool
	}{
		{"s3://b/src/photos" + e, "s3://b/src/photos/out" + e, true},
		{"s3://b/src/photos" + e, "s3://b/src/photos/" + e, true},
		{"s3://b" + e, "s3://b/x" + e, true},
		{"s3://b/src/photos?endpoint=http://h:9000/", "s3://b/src/photos/out?endpoint=HTTP://H:9000&region=x", true},
		{"s3://b/src/photos" + e, "s3://b/src/photos2" + e, false},
		{"s3://b/src/photos/out" + e, "s3://b/src/photos" + e, false},
		{"s3://b/src" + e, "s3://c/src/x" + e, false},
		{"s3://b/src" + e, "s3://b/src/x?endpoint=http://other:9000", false},
		{"s3://b/src", "gs://b/src/x", false},
		{"s3://b/src", "/b/src/x", false},
		{"file:///b/src", "file:///b/src/x", false}, // folders: dataset.CheckSeparate
	} {
		if got := store.Within(c.parent, c.child); got != c.want {
			t.Errorf("Within(%s, %s) = %v, want %v", c.parent, c.child, got, c.want)
		}
	}
}

func TestCheckLocation(t *testing.T) {
	for arg, want := range map[string]string{
		"s3:/b/x?endpoint=http://h:9000": "looks like a URL missing a slash: write s3://b/x (two slashes after s3:)",
		"S3:/b/x":                        "looks like a URL missing a slash: write s3://b/x",
		"gs:/b":                          "looks like a URL missing a slash: write gs://b",
		"file:/abs/p":                    "looks like a URL missing a slash: write file:///abs/p",
		"s4://b/x?region=r":              "s4://b/x: unknown scheme s4 (known: s3, gs, azblob, file, mem)",
		"http://example.com/data":        "unknown scheme http",
		"s3://b/x":                       "",
		"file:///abs":                    "",
		"mem://m/p":                      "",
		"data":                           "",
		"a:b":                            "",
		"./x://y":                        "",
		"/tmp/s3:/x":                     "",
		"12://x":                         "",
	} {
		err := store.CheckLocation(arg)
		switch {
		case want == "" && err != nil:
			t.Errorf("CheckLocation(%q) = %v, want nil", arg, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("CheckLocation(%q) = %v, want %q", arg, err, want)
		}
		if want != "" {
			if _, err := store.Open(context.Background(), arg); err == nil {
				t.Errorf("Open(%q) succeeded", arg)
			}
		}
	}
}
