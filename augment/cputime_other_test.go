//go:build !unix

package augment

import "time"

func processCPU() time.Duration { return 0 }
