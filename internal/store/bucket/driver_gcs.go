//go:build gcs

package bucket

import _ "gocloud.dev/blob/gcsblob"

func init() { built["gs"] = true }
