//go:build !unix

package linter_test

import "os"

// syncWrites does nothing where the system has no sync(2).
func syncWrites() {}

// diskReadBytes is unknown here (-1).
func diskReadBytes() int64 { return -1 }

// cpuSeconds is unknown here (-1).
func cpuSeconds() float64 { return -1 }

// childPeakRSS is unknown here (0).
func childPeakRSS(*os.ProcessState) int64 { return 0 }
