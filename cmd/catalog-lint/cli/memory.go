package cli

import (
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultMemoryLimit is the soft memory limit catalog-lint gives Go's garbage collector when
// GOMEMLIMIT is not set and no container limit is found. main raises GOGC to 400, which makes small
// runs faster (yaml.v3 allocates about 22 KiB per file and keeps none of it), but lets the heap grow
// to five times what is live: 1.9 GiB of RSS for 100,000 services. Under the soft limit the collector
// runs more often once the heap nears it, so a small run is as fast as before and a large one stays
// near the limit (100,000 services: 540 MiB, 16.6 s instead of 14.7 s).
const DefaultMemoryLimit = 512 << 20

// MemoryLimit is the soft memory limit for a process whose environment is env and whose cgroup
// files read returns: GOMEMLIMIT's own value wins (0 here: the runtime already applied it); in a
// container with a memory limit (cgroup v2 memory.max, or v1 memory.limit_in_bytes), 80% of it, so
// that a replica collects before it is killed; otherwise DefaultMemoryLimit.
func MemoryLimit(env Env, read func(path string) ([]byte, error)) int64 {
	if env("GOMEMLIMIT") != "" {
		return 0
	}
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := read(path)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<50 { // "max", or v1's "no limit" (a page-rounded 2^63)
			continue
		}
		return n / 10 * 8
	}
	return DefaultMemoryLimit
}

// GCPercent is the GOGC catalog-lint runs with unless GOGC is set. A lint run keeps almost nothing
// alive (findings and the catalog-wide questions) while yaml.v3 allocates about 22 KiB per file and
// keeps none of it, so the default pacing collects far too often.
const GCPercent = 400

// TuneGC sets the garbage collector as catalog-lint runs: GCPercent unless GOGC is set, within the
// soft MemoryLimit, so that a large catalog or a busy server stays near the limit. Both mains call
// it, and the benchmarks that stand for a run of the command; restore puts back what was set before.
func TuneGC(env Env, read func(path string) ([]byte, error)) (restore func()) {
	gc, limit := int(-2), int64(-1)
	if env("GOGC") == "" {
		gc = debug.SetGCPercent(GCPercent)
	}
	if l := MemoryLimit(env, read); l > 0 {
		limit = debug.SetMemoryLimit(l)
	}
	return func() {
		if gc != -2 {
			debug.SetGCPercent(gc)
		}
		if limit >= 0 {
			debug.SetMemoryLimit(limit)
		}
	}
}
