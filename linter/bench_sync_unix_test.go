//go:build unix

package linter_test

import "syscall"

// syncWrites writes the generated files out to disk before a benchmark's clock starts: the system
// writing back the hundreds of megabytes a large synthetic repository takes would otherwise run
// during the first measured runs, and not the later ones.
func syncWrites() { syscall.Sync() }
