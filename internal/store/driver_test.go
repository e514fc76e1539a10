//go:build !gcs && !azure

package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/internal/store"
)

// A default build names the tag that adds gs:// and azblob://.
func TestDriverNotBuilt(t *testing.T) {
	for root, tag := range map[string]string{"gs://b/p": "gcs", "azblob://c/p": "azure"} {
		_, err := store.Open(context.Background(), root)
		var de *store.DriverError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), "built without") || !strings.Contains(err.Error(), "-tags "+tag) {
			t.Errorf("Open(%s) = %v; want a DriverError naming -tags %s", root, err, tag)
		}
	}
}
