package echo

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time of the calling OS thread (lock it first): on
// a shared machine a benchmark's wall time also counts the time other
// processes hold the core.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // RUSAGE_THREAD
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
