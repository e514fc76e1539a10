//go:build unix

package generate

import (
	"syscall"
	"time"
)

// processCPU is user+system CPU time of the test process. The benchmarks
// report it per op as well as wall time: on a shared machine wall time
// includes waiting for a core, CPU time does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
