//go:build !linux

package silero

// threadCPU is not measured outside Linux.
func threadCPU() int64 { return 0 }
