package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/5spot-dev/5spot/internal/offline"
	"github.com/5spot-dev/5spot/internal/validation"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runValidate checks every ScheduledMachine in the files. Exit 0 when all are
// valid, 1 when any is not (one line per violation), 2 on usage or read errors.
func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files stringList
	fs.Var(&files, "f", "manifest file (repeatable; further files may follow the flags)")
	extra := fs.String("extra-api-groups", "", "comma-separated extra API groups the cluster's 5-Spot allows for inline specs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files = append(files, fs.Args()...)
	if len(files) == 0 {
		fmt.Fprintln(stderr, "validate: no files given (-f FILE)")
		return 2
	}
	opts := validation.Options{ExtraAPIGroups: splitList(*extra), Now: time.Now}
	if err := validation.ValidateExtraAPIGroups(opts.ExtraAPIGroups); err != nil {
		fmt.Fprintf(stderr, "validate: --extra-api-groups: %v\n", err)
		return 2
	}
	v, err := offline.NewValidator(opts)
	if err != nil {
		fmt.Fprintf(stderr, "validate: %v\n", err)
		return 2
	}
	code := 0
	for _, file := range files {
		results, err := validateFile(context.Background(), v, file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			code = max(code, 2)
			continue
		}
		for _, r := range results {
			for _, w := range r.Warnings {
				fmt.Fprintf(stderr, "%s: %s: warning: %s\n", file, r.ID, w)
			}
			for _, line := range offline.ViolationLines(r.Errors) {
				fmt.Fprintf(stdout, "%s: %s: %s\n", file, r.ID, line)
				code = max(code, 1)
			}
		}
	}
	return code
}

// fileResult is one object's outcome, with its namespace/name.
type fileResult struct {
	ID string
	offline.Result
}

func validateFile(ctx context.Context, v *offline.Validator, file string) ([]fileResult, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	docs, err := offline.ReadDocuments(f)
	if err != nil {
		return nil, err
	}
	var out []fileResult
	for _, d := range docs {
		ns := d.Object.GetNamespace()
		if ns == "" {
			ns = offline.DefaultNamespace
		}
		out = append(out, fileResult{ID: ns + "/" + d.Object.GetName(), Result: v.Validate(ctx, d.Object)})
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
