package store_test

import (
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
