//go:build !unix

package split

import "time"

func cpuTime() time.Duration { return 0 }
