package cli

import (
	"io/fs"
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
			if got := MemoryLimit(tt.env, files(tt.files)); got != tt.want {
				t.Errorf("MemoryLimit = %d, want %d", got, tt.want)
			}
		})
	}
}
