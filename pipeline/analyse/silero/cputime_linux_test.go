package silero

import "golang.org/x/sys/unix"

// threadCPU returns the CPU time of the calling thread in nanoseconds, so
// that benchmarks on a shared machine can report the time spent computing
// apart from the time spent waiting for a core.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
