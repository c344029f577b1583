package linter

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// A repository is untrusted input: a Budget bounds what one run over it may do, so that a hostile
// repository cannot exhaust the CLI or the App. When a limit is reached the run stops reading and
// following, says why (Result.Incomplete), and reports nothing as missing: what it did not read may
// well exist. The defaults are far above any real catalog.

// Budget bounds a run; a zero field takes its default.
type Budget struct {
	// Targets is how many Location and app-config targets are followed (default 20,000).
	Targets int
	// Files is how many files are read (default 250,000).
	Files int
	// Bytes is how much is read in all (default 2 GiB).
	Bytes int64
	// FindingsPerFile is how many findings one file may have; beyond, one finding says how many more
	// there are (default 1,000).
	FindingsPerFile int
}

// Budget defaults.
const (
	DefaultMaxTargets         = 20000
	DefaultMaxFiles           = 250000
	DefaultMaxBytes           = 2 << 30
	DefaultMaxFindingsPerFile = 1000
)

func (b Budget) withDefaults() Budget {
	if b.Targets <= 0 {
		b.Targets = DefaultMaxTargets
	}
	if b.Files <= 0 {
		b.Files = DefaultMaxFiles
	}
	if b.Bytes <= 0 {
		b.Bytes = DefaultMaxBytes
	}
	if b.FindingsPerFile <= 0 {
		b.FindingsPerFile = DefaultMaxFindingsPerFile
	}
	return b
}

// runState is what a run has spent of its budget, and why it stopped, if it did. The engine and the
// Catalog share it.
type runState struct {
	budget  Budget
	files   atomic.Int64
	bytes   atomic.Int64
	targets atomic.Int64
	stopped atomic.Bool
	mu      sync.Mutex
	reason  string
}

func newRunState(b Budget) *runState { return &runState{budget: b.withDefaults()} }

// stop ends the run's reading and following with reason (the first reason wins).
func (s *runState) stop(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == "" {
		s.reason = reason
	}
	s.stopped.Store(true)
}

// why says why the run stopped early; "" when it did not.
func (s *runState) why() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

// read counts a file of n bytes; false when the budget is spent (the run stops).
func (s *runState) read(n int) bool {
	files, bytes := s.files.Add(1), s.bytes.Add(int64(n))
	switch {
	case files > int64(s.budget.Files):
		s.stop(fmt.Sprintf("more than %d files to read (the limit of a run)", s.budget.Files))
	case bytes > s.budget.Bytes:
		s.stop(fmt.Sprintf("more than %s to read (the limit of a run)", humanSize(s.budget.Bytes)))
	}
	return !s.stopped.Load()
}

// target counts a Location target to follow; false when the budget is spent (the run stops).
func (s *runState) target() bool {
	if s.targets.Add(1) > int64(s.budget.Targets) {
		s.stop(fmt.Sprintf("more than %d Location targets to follow (the limit of a run)", s.budget.Targets))
	}
	return !s.stopped.Load()
}

type runStateKey struct{}

func withRunState(ctx context.Context, s *runState) context.Context {
	return context.WithValue(ctx, runStateKey{}, s)
}

func runStateOf(ctx context.Context) *runState {
	s, _ := ctx.Value(runStateKey{}).(*runState)
	return s
}
