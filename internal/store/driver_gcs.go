//go:build gcs

package store

import _ "gocloud.dev/blob/gcsblob"

func init() { built["gs"] = true }
