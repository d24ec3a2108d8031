package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/5spot-dev/5spot/internal/offline"
	"github.com/5spot-dev/5spot/internal/poolschedule"
	"github.com/5spot-dev/5spot/internal/schedule"
	"github.com/5spot-dev/5spot/internal/validation"
)

// runPreview shows, for each ScheduledMachine in the files, whether it is
// active at --at, when it next changes, its next windows and warnings; for
// each ScheduledMachinePool, its desired count at --at and the next changes
// of that count. An invalid manifest exits 1 with the same messages as
// validate.
func runPreview(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files stringList
	fs.Var(&files, "f", "manifest file (repeatable)")
	at := fs.String("at", "", "instant to preview at, RFC 3339 (default: now)")
	count := fs.Int("count", 5, "how many upcoming windows (ScheduledMachine) or desired-count changes (ScheduledMachinePool) to list")
	output := fs.String("o", "table", "output format: table or json")
	extra := fs.String("extra-api-groups", "", "comma-separated extra API groups the cluster's 5-Spot allows for inline specs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	files = append(files, fs.Args()...)
	if len(files) == 0 {
		fmt.Fprintln(stderr, "preview: no files given (-f FILE)")
		return 2
	}
	now := time.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintf(stderr, "preview: --at: %v\n", err)
			return 2
		}
		now = t
	}
	if *count < 0 || (*output != "table" && *output != "json") {
		fmt.Fprintln(stderr, "preview: --count must be >= 0 and -o table or json")
		return 2
	}
	v, err := offline.NewValidator(validation.Options{ExtraAPIGroups: splitList(*extra), Now: func() time.Time { return now }})
	if err != nil {
		fmt.Fprintf(stderr, "preview: %v\n", err)
		return 2
	}

	var reports []schedule.Report
	var pools []poolschedule.Report
	var docs []any // every report in file order, for JSON
	code := 0
	for _, file := range files {
		results, err := validateFile(context.Background(), v, file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			return 2
		}
		for _, r := range results {
			if len(r.Errors) > 0 {
				for _, line := range offline.ViolationLines(r.Errors) {
					fmt.Fprintf(stderr, "%s: %s: %s\n", file, r.ID, line)
				}
				code = 1
				continue
			}
			if p := r.Pool; p != nil {
				plan, errs := poolschedule.Compile(&p.Spec)
				if len(errs) > 0 { // admission already ran the same parsers
					fmt.Fprintf(stderr, "%s: %s: %v\n", file, r.ID, errs.ToAggregate())
					code = 1
					continue
				}
				report := poolschedule.Preview(p.Name, plan, now, *count)
				pools = append(pools, report)
				docs = append(docs, report)
				continue
			}
			sm := r.Object
			report, errs := schedule.Preview(sm.Name, sm.Spec.Schedule.EngineSpec(sm.Spec.Override), now, *count)
			if len(errs) > 0 { // admission already ran the same parsers
				fmt.Fprintf(stderr, "%s: %s: %v\n", file, r.ID, errs.ToAggregate())
				code = 1
				continue
			}
			reports = append(reports, report)
			docs = append(docs, report)
		}
	}
	if code != 0 {
		return code
	}
	if *output == "json" {
		var doc any = docs
		switch len(docs) {
		case 0:
			doc = reports // an empty list, as before pools existed
		case 1:
			doc = docs[0]
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			fmt.Fprintf(stderr, "preview: %v\n", err)
			return 2
		}
		return 0
	}
	if len(reports) > 0 || len(pools) == 0 {
		if err := schedule.WriteTable(stdout, reports); err != nil {
			fmt.Fprintf(stderr, "preview: %v\n", err)
			return 2
		}
	}
	if len(pools) > 0 {
		if len(reports) > 0 {
			fmt.Fprintln(stdout)
		}
		if err := poolschedule.WriteTable(stdout, pools); err != nil {
			fmt.Fprintf(stderr, "preview: %v\n", err)
			return 2
		}
	}
	return 0
}
