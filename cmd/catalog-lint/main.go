// Command catalog-lint lints Backstage catalog files; see README.md.
package main

import (
	"os"

	"github.com/catalog-lint/catalog-lint/cmd/catalog-lint/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
