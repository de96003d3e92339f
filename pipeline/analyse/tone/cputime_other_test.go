//go:build !linux

package tone

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
