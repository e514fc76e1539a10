//go:build azure

package bucket

import _ "gocloud.dev/blob/azureblob"

func init() { built["azblob"] = true }
