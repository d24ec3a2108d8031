package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateAcceptsTheExamples(t *testing.T) {
	files, _ := filepath.Glob("../../test/testdata/examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples found")
	}
	var out, errOut bytes.Buffer
	code := run(append([]string{"validate", "-f"}, files...), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if out.Len() != 0 {
		t.Fatalf("valid manifests printed violations:\n%s", out.String())
	}
}

func TestValidateReportsEveryViolationWithFileObjectAndField(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.yaml")
	manifest := `apiVersion: 5spot.finos.org/v1alpha1
kind: ScheduledMachine
metadata:
  name: gpu
spec:
  clusterName: c1
  schedule:
    hoursOfDay: ["9", "25"]
    daysOfWeek: ["funday"]
  bootstrapSpec: {apiVersion: bootstrap.cluster.x-k8s.io/v1beta2, kind: KubeadmConfig}
  infrastructureSpec: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2, kind: DevMachine}
---
# a second, valid object in the same file
apiVersion: 5spot.finos.org/v1alpha1
kind: ScheduledMachine
metadata:
  name: fine
  namespace: team-a
spec:
  clusterName: c1
  schedule: {cron: "* 9-17 * * 1-5"}
  bootstrapSpec: {apiVersion: bootstrap.cluster.x-k8s.io/v1beta2, kind: KubeadmConfig}
  infrastructureSpec: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2, kind: DevMachine}
`
	if err := os.WriteFile(file, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run([]string{"validate", "-f", file}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 violation lines, got %d:\n%s", len(lines), out.String())
	}
	for _, want := range []string{
		file + `: default/gpu: spec.schedule.hoursOfDay[1]: Invalid value: "25"`,
		file + `: default/gpu: spec.schedule.daysOfWeek[0]: Invalid value: "funday"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "team-a/fine") {
		t.Errorf("the valid object was reported:\n%s", out.String())
	}
}

func TestValidateUsageErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"validate"}, &out, &errOut); code != 2 {
		t.Fatalf("no files: exit %d, want 2", code)
	}
	if code := run([]string{"validate", "-f", "/does/not/exist.yaml"}, &out, &errOut); code != 2 {
		t.Fatalf("missing file: exit %d, want 2", code)
	}
	if code := run([]string{"validate", "--extra-api-groups", "rbac.authorization.k8s.io", "-f", "x"}, &out, &errOut); code != 2 {
		t.Fatalf("forbidden extra group: exit %d, want 2", code)
	}
}
