// Command catalog-lint lints Backstage catalog files; see README.md.
package main

import (
	"os"

	"github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli"
)

func main() {
	// GOGC 400 within a soft memory limit (80% of the container's, else 280 MiB): on 10,000 files
	// GOGC=400 cuts the run from 0.72 s to 0.48 s for 23 MiB of memory instead of 12. GOGC and
	// GOMEMLIMIT, when set, win.
	cli.TuneGC(os.Getenv, os.ReadFile, cli.DefaultMemoryLimit)
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
