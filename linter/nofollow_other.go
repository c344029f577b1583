//go:build !unix

package linter

// Without O_NOFOLLOW (Windows), every file is opened through the root (os.Root), which handles links.
const (
	openNoFollow = 0
	directOpen   = false
)
