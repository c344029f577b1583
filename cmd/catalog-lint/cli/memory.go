package cli

import (
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultMemoryLimit is the soft memory limit `check` (and every command but serve) gives Go's garbage
// collector when GOMEMLIMIT is not set and no container limit is found. main raises GOGC to 400, which
// makes small runs faster (yaml.v3 allocates about 22 KiB per file and keeps none of it), but lets the
// heap grow to five times what is live. Under the soft limit the collector runs more often once the
// heap nears it: a run of 10,000 services never reaches it, and one of 100,000 (137 MiB live once
// its files are read) stays at 288 MiB of RSS, where 512 MiB let it reach 516 MiB for a run about 10%
// faster (docs/discovery.md).
const DefaultMemoryLimit = 280 << 20

// ServeMemoryLimit is serve's soft limit outside a container: several jobs at once.
const ServeMemoryLimit = 512 << 20

// MemoryLimit is the soft memory limit for a process whose environment is env and whose cgroup
// files read returns: GOMEMLIMIT's own value wins (0 here: the runtime already applied it); in a
// container with a memory limit (cgroup v2 memory.max, or v1 memory.limit_in_bytes), 80% of it, so
// that a replica collects before it is killed; otherwise fallback.
func MemoryLimit(env Env, read func(path string) ([]byte, error), fallback int64) int64 {
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
	return fallback
}

// GCPercent is the GOGC catalog-lint runs with unless GOGC is set. A lint run keeps almost nothing
// alive (findings and the catalog-wide questions) while yaml.v3 allocates about 22 KiB per file and
// keeps none of it, so the default pacing collects far too often.
const GCPercent = 400

// TuneGC sets the garbage collector as catalog-lint runs: GCPercent unless GOGC is set, within the
// soft MemoryLimit (fallback outside a container: DefaultMemoryLimit, or ServeMemoryLimit for the
// server's build), so that a large catalog or a busy server stays near the limit. Both mains call it,
// and the benchmarks that stand for a run of the command; restore puts back what was set before.
func TuneGC(env Env, read func(path string) ([]byte, error), fallback int64) (restore func()) {
	gc, limit := int(-2), int64(-1)
	if env("GOGC") == "" {
		gc = debug.SetGCPercent(GCPercent)
	}
	if l := MemoryLimit(env, read, fallback); l > 0 {
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
