// Command kubectl-5spot is the 5-Spot kubectl plugin. It works offline, on
// manifest files, so users can check and preview schedules in CI before
// anything reaches a cluster:
//
//	kubectl 5spot validate -f FILE...
//	kubectl 5spot preview -f FILE [--at RFC3339] [--count N] [-o table|json]
package main

import (
	"fmt"
	"io"
	"os"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `kubectl 5spot: check and preview 5-Spot ScheduledMachines and ScheduledMachinePools offline.

Commands:
  validate -f FILE...   run admission's checks (schema, CEL rules, webhook rules) on manifests
  preview  -f FILE      show when the schedules are active: next activation, cleanup and windows;
                        for pools, the next changes of the desired replica count
  version               print the plugin's version

Run 'kubectl 5spot COMMAND -h' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "validate":
		return runValidate(args[1:], stdout, stderr)
	case "preview":
		return runPreview(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
