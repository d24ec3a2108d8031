package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type previewJSON struct {
	Name           string  `json:"name"`
	Active         bool    `json:"active"`
	NextActivation *string `json:"nextActivation"`
	NextCleanup    *string `json:"nextCleanup"`
	Windows        []struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"windows"`
	Warnings []string `json:"warnings"`
}

func TestPreviewJSONOfTheWeekendWindowAcrossChristmas(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"preview", "-f", "../../test/testdata/examples/weekend-window.yaml",
		"--at", "2026-12-20T12:00:00Z", "--count", "3", "-o", "json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got previewJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("one document gives one JSON object: %v\n%s", err, out.String())
	}
	// Berlin is UTC+1 in winter: Fri 21:00 = 20:00Z, Mon 06:00 = 05:00Z.
	// 2026-12-24..26 are excluded: the window of Fri 25th opens at local
	// midnight after the 26th (Sun 27th 00:00 = Sat 26th 23:00Z).
	if !got.Active || got.NextActivation != nil || got.NextCleanup == nil || *got.NextCleanup != "2026-12-21T05:00:00Z" {
		t.Fatalf("state: %+v", got)
	}
	want := [][2]string{
		{"2026-12-18T20:00:00Z", "2026-12-21T05:00:00Z"},
		{"2026-12-26T23:00:00Z", "2026-12-28T05:00:00Z"},
		{"2027-01-01T20:00:00Z", "2027-01-04T05:00:00Z"},
	}
	if len(got.Windows) != len(want) {
		t.Fatalf("windows: %+v", got.Windows)
	}
	for i, w := range want {
		if got.Windows[i].Start != w[0] || got.Windows[i].End != w[1] {
			t.Errorf("window %d: got %+v, want %v", i, got.Windows[i], w)
		}
	}
	if len(got.Warnings) == 0 || !strings.Contains(strings.Join(got.Warnings, "\n"), "2026-12-25") {
		t.Errorf("want a warning about the excluded dates, got %q", got.Warnings)
	}
}

func TestPreviewOfSeveralDocumentsIsAnArrayAndTableNamesEach(t *testing.T) {
	dir := t.TempDir()
	var all []byte
	for _, f := range []string{"seed-k0smotron.yaml", "seed-metal3.yaml"} {
		data, err := os.ReadFile(filepath.Join("../../test/testdata/examples", f))
		if err != nil {
			t.Fatal(err)
		}
		all = append(append(all, data...), []byte("\n---\n")...)
	}
	file := filepath.Join(dir, "two.yaml")
	if err := os.WriteFile(file, all, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	// Monday 2026-11-30 15:00Z: 10:00 in New York (business hours), 15:00 in London.
	if code := run([]string{"preview", "-f", file, "--at", "2026-11-30T15:00:00Z", "-o", "json", "--count", "1"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got []previewJSON
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("several documents give a JSON array: %v", err)
	}
	if len(got) != 2 || got[0].Name != "k0s-business-hours" || !got[0].Active || *got[0].NextCleanup != "2026-11-30T23:00:00Z" {
		t.Fatalf("k0s: %+v", got)
	}
	if got[1].Name != "metal3-nights" || got[1].Active || *got[1].NextActivation != "2026-11-30T18:00:00Z" {
		t.Fatalf("metal3: %+v", got[1])
	}

	out.Reset()
	if code := run([]string{"preview", "-f", file, "--at", "2026-11-30T15:00:00Z"}, &out, &errOut); code != 0 {
		t.Fatalf("table: exit %d", code)
	}
	for _, want := range []string{"k0s-business-hours", "metal3-nights", "America/New_York", "Europe/London"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPreviewOfAnInvalidManifestExitsOneWithTheValidationMessages(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"preview", "-f", "../../test/testdata/invalid/07-hours-25.yaml"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), `spec.schedule.hoursOfDay[1]: Invalid value: "25"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}
