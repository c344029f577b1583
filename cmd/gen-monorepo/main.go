// Command gen-monorepo writes a synthetic monorepo of catalog files, for benchmarks and for timing
// other validators on the same input: go run ./cmd/gen-monorepo -n 10000 /tmp/monorepo
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/catalog-lint/catalog-lint/linter/synthetic"
)

func main() {
	n := flag.Int("n", 10000, "number of services (one catalog file each)")
	seed := flag.Int64("seed", 1, "random seed")
	dangling := flag.Bool("dangling", false, "a service organization: owners, systems, APIs and resources only partly defined (synthetic.Options.Dangling)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gen-monorepo [-n N] [-seed S] [-dangling] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	st, err := synthetic.WriteWith(flag.Arg(0), *n, *seed, synthetic.Options{Dangling: *dangling})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-monorepo:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d files with %d documents to %s\n", st.Files, st.Documents, flag.Arg(0))
}
