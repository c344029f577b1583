//go:build unix

package linter_test

import (
	"os"
	"runtime"
	"syscall"
)

// syncWrites writes the generated files out to disk before a benchmark's clock starts: the system
// writing back the hundreds of megabytes a large synthetic repository takes would otherwise run
// during the first measured runs, and not the later ones.
func syncWrites() { syscall.Sync() }

// diskReadBytes is how much the process has read from the disk itself (getrusage's input blocks, of
// 512 bytes), not from the page cache; -1 when the system does not say. A benchmark reports it: a
// run whose files the system had dropped from its cache reads them again, and is slower for it.
func diskReadBytes() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return int64(ru.Inblock) * 512
}

// cpuSeconds is the CPU time the process has used, in user and system mode; -1 when the system
// does not say. A benchmark reports it per run: it counts the work done, where the time on the clock
// also depends on how well two cores were kept busy.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// childPeakRSS is a finished child process's peak resident memory in bytes (getrusage's ru_maxrss:
// kilobytes on Linux, bytes on macOS); 0 when the system does not say.
func childPeakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) << 10
}
