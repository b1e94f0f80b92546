// Command opa is the OPA CLI, built from the pinned module in go.mod: the benchmark's peer
// (bench only, never CI). Same entry point as upstream's main.go.
package main

import (
	"errors"
	"os"

	"github.com/open-policy-agent/opa/cmd"
)

func main() {
	exit := 0
	if err := cmd.RootCommand.Execute(); err != nil {
		var e *cmd.ExitError
		if errors.As(err, &e) {
			exit = e.Exit
		} else {
			exit = 1
		}
	}
	os.Exit(exit)
}
