//go:build unix

package linter

import "syscall"

// openNoFollow makes a direct open fail on a symbolic link as the last step (diskFS.Open), which is
// then opened through the root; directOpen says the direct path exists on this system.
const (
	openNoFollow = syscall.O_NOFOLLOW
	directOpen   = true
)
