//go:build !linux

package echo

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
