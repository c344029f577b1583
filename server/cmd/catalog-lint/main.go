// Command catalog-lint is catalog-lint with `serve`, the GitHub App's webhook server: what the
// releases and the container image ship. It is its own module, so that the server's dependencies
// (gin, River, pgx, Prometheus) stay out of what `go install`, `go run` and pre-commit compile for the
// CLI (../../../cmd/catalog-lint, the same program without serve).
package main

import (
	"os"

	"github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli"
)

func main() {
	cli.Serve = runServe
	// As the CLI's main: GOGC 400 within a soft memory limit (80% of the container's, else 512 MiB:
	// serve runs several jobs at once).
	cli.TuneGC(os.Getenv, os.ReadFile, cli.ServeMemoryLimit)
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
