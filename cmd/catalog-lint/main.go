// Command catalog-lint lints Backstage catalog files; see README.md.
package main

import (
	"os"
	"runtime/debug"

	"github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli"
)

func main() {
	// A lint run keeps almost nothing alive (findings only) while yaml.v3 allocates about 22 KiB per
	// file, so the default GC pacing collects far too often: on 10,000 files GOGC=400 cuts the run
	// from 0.72 s to 0.48 s for 23 MiB of memory instead of 12. An explicit GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// ... within a soft memory limit, so that a large catalog or a busy server stays near it.
	if limit := cli.MemoryLimit(os.Getenv, os.ReadFile); limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
