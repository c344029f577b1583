package cli

import (
	"io/fs"
	"runtime/debug"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(p string) ([]byte, error) {
			if s, ok := m[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		}
	}
	none := func(string) string { return "" }
	for _, tt := range []struct {
		name  string
		env   Env
		files map[string]string
		want  int64
	}{
		{"no container", none, nil, DefaultMemoryLimit},
		{"GOMEMLIMIT set", func(k string) string { return map[string]string{"GOMEMLIMIT": "1GiB"}[k] }, map[string]string{"/sys/fs/cgroup/memory.max": "536870912\n"}, 0},
		{"cgroup v2 512Mi", none, map[string]string{"/sys/fs/cgroup/memory.max": "536870912\n"}, 536870912 / 10 * 8},
		{"cgroup v2 unlimited", none, map[string]string{"/sys/fs/cgroup/memory.max": "max\n"}, DefaultMemoryLimit},
		{"cgroup v1 2Gi", none, map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "2147483648\n"}, 2147483648 / 10 * 8},
		{"cgroup v1 unlimited", none, map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, DefaultMemoryLimit},
		{"garbage", none, map[string]string{"/sys/fs/cgroup/memory.max": "\x00\x01"}, DefaultMemoryLimit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := MemoryLimit(tt.env, files(tt.files), DefaultMemoryLimit); got != tt.want {
				t.Errorf("MemoryLimit = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestTuneGC: GOGC 400 and the soft limit unless the environment sets them, and restore puts back
// what was there.
func TestTuneGC(t *testing.T) {
	noFiles := func(string) ([]byte, error) { return nil, fs.ErrNotExist }
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	limitBefore := debug.SetMemoryLimit(-1)

	restore := TuneGC(func(string) string { return "" }, noFiles, DefaultMemoryLimit)
	if got := debug.SetGCPercent(GCPercent); got != GCPercent {
		t.Errorf("GOGC after TuneGC = %d, want %d", got, GCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != DefaultMemoryLimit {
		t.Errorf("memory limit after TuneGC = %d, want %d", got, DefaultMemoryLimit)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC after restore = %d, want 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != limitBefore {
		t.Errorf("memory limit after restore = %d, want %d", got, limitBefore)
	}
	// serve's build: its own fallback outside a container.
	restore = TuneGC(func(string) string { return "" }, noFiles, ServeMemoryLimit)
	if got := debug.SetMemoryLimit(-1); got != ServeMemoryLimit {
		t.Errorf("serve's memory limit = %d, want %d", got, ServeMemoryLimit)
	}
	restore()

	env := map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}
	restore = TuneGC(func(k string) string { return env[k] }, noFiles, DefaultMemoryLimit)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC with $GOGC set = %d, want it untouched (100)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != limitBefore {
		t.Errorf("memory limit with $GOMEMLIMIT set = %d, want it untouched", got)
	}
	restore()
}
