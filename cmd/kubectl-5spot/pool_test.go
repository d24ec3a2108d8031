package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const poolExample = "../../test/testdata/pools/business-hours-pool.yaml"

type poolPreviewJSON struct {
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`
	DesiredReplicas int32    `json:"desiredReplicas"`
	ActiveSchedules []string `json:"activeSchedules"`
	Changes         []struct {
		Time            string   `json:"time"`
		Replicas        int32    `json:"replicas"`
		ActiveSchedules []string `json:"activeSchedules"`
	} `json:"changes"`
	Warnings []string `json:"warnings"`
}

// Monday 2026-11-30 08:00 in Berlin (07:00Z): the baseline of 2; the Monday
// peak (12) and business hours (10) overlap from 09:00 Berlin.
func TestPreviewOfAPoolListsTheNextChangesOfTheDesiredCount(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"preview", "-f", poolExample, "--at", "2026-11-30T07:00:00Z", "--count", "4", "-o", "json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got poolPreviewJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("one pool gives one JSON object: %v\n%s", err, out.String())
	}
	if got.Name != "workers" || got.Kind != "ScheduledMachinePool" || got.DesiredReplicas != 2 || len(got.ActiveSchedules) != 0 {
		t.Fatalf("state: %+v", got)
	}
	want := []struct {
		time     string
		replicas int32
		active   string
	}{
		{"2026-11-30T08:00:00Z", 12, "business-hours,monday-peak"},
		{"2026-11-30T11:00:00Z", 10, "business-hours"},
		{"2026-11-30T17:00:00Z", 2, ""},
		{"2026-12-01T08:00:00Z", 10, "business-hours"},
	}
	if len(got.Changes) != len(want) {
		t.Fatalf("changes: %+v", got.Changes)
	}
	for i, w := range want {
		c := got.Changes[i]
		if c.Time != w.time || c.Replicas != w.replicas || strings.Join(c.ActiveSchedules, ",") != w.active {
			t.Errorf("change %d: got %+v, want %+v", i, c, w)
		}
	}
	if len(got.Warnings) != 0 {
		t.Errorf("no warnings expected: %q", got.Warnings)
	}

	out.Reset()
	if code := run([]string{"preview", "-f", poolExample, "--at", "2026-11-30T07:00:00Z", "--count", "2"}, &out, &errOut); code != 0 {
		t.Fatalf("table: exit %d: %s", code, errOut.String())
	}
	for _, line := range []string{"NAME     DESIRED  ACTIVE SCHEDULES  OVERRIDE", "workers  2        -                 -",
		"1  Mon 2026-11-30 08:00Z  12        business-hours,monday-peak"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("table lacks %q:\n%s", line, out.String())
		}
	}
}

// A file with a ScheduledMachine and a pool gives a JSON array in file
// order; the ScheduledMachine's report is exactly what it always was.
func TestPreviewOfMixedDocumentsKeepsTheScheduledMachineReportAsItWas(t *testing.T) {
	dir := t.TempDir()
	sm, err := os.ReadFile("../../test/testdata/examples/weekend-window.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := os.ReadFile(poolExample)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "mixed.yaml")
	if err := os.WriteFile(file, append(append(sm, []byte("\n---\n")...), pool...), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--at", "2026-12-20T12:00:00Z", "--count", "3", "-o", "json"}
	var alone, mixed, errOut bytes.Buffer
	if code := run(append([]string{"preview", "-f", "../../test/testdata/examples/weekend-window.yaml"}, args...), &alone, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if code := run(append([]string{"preview", "-f", file}, args...), &mixed, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(mixed.Bytes(), &docs); err != nil || len(docs) != 2 {
		t.Fatalf("want an array of two reports: %v\n%s", err, mixed.String())
	}
	var smAlone, smMixed bytes.Buffer
	if err := json.Compact(&smAlone, alone.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := json.Compact(&smMixed, docs[0]); err != nil {
		t.Fatal(err)
	}
	if smAlone.String() != smMixed.String() {
		t.Fatalf("the ScheduledMachine report changed:\n%s\n%s", smAlone.String(), smMixed.String())
	}
	if strings.Contains(smMixed.String(), `"kind"`) {
		t.Fatalf("ScheduledMachine reports carry no kind field: %s", smMixed.String())
	}
	var p poolPreviewJSON
	if err := json.Unmarshal(docs[1], &p); err != nil || p.Kind != "ScheduledMachinePool" || len(p.Changes) != 3 {
		t.Fatalf("pool report: %v %+v", err, p)
	}

	var table bytes.Buffer
	if code := run([]string{"preview", "-f", file, "--at", "2026-12-20T12:00:00Z"}, &table, &errOut); code != 0 {
		t.Fatalf("table: exit %d", code)
	}
	for _, want := range []string{"NAME           ZONE", "weekend-batch", "DESIRED", "workers:"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestValidateChecksPools(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"validate", "-f", poolExample}, &out, &errOut); code != 0 {
		t.Fatalf("the pool example: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	code := run([]string{"validate", "-f", "../../test/testdata/invalid-pools/01-entry-hours-25.yaml"}, &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), `default/entry-hours-25: spec.schedules[1].schedule.hoursOfDay[0]: Invalid value: "25"`) {
		t.Fatalf("exit %d, stdout %q", code, out.String())
	}
	code = run([]string{"preview", "-f", "../../test/testdata/invalid-pools/01-entry-hours-25.yaml"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "spec.schedules[1].schedule.hoursOfDay[0]") {
		t.Fatalf("preview of an invalid pool: exit %d, stderr %q", code, errOut.String())
	}
}
