package packaging

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// tiltProvider mirrors what CAPI's Tiltfile and tilt-prepare read from
// tilt-provider.yaml (hack/tools/internal/tilt-prepare in cluster-api).
type tiltProvider struct {
	Name   string `json:"name"`
	Config struct {
		Image               string   `json:"image"`
		LiveReloadDeps      []string `json:"live_reload_deps"`
		Label               string   `json:"label"`
		GoMain              string   `json:"go_main"`
		Version             string   `json:"version"`
		KustomizeFolder     string   `json:"kustomize_folder"`
		AdditionalResources []string `json:"additional_resources"`
		ResourceDeps        []string `json:"resource_deps"`
	} `json:"config"`
}

func readTiltProvider(t *testing.T) tiltProvider {
	t.Helper()
	var ps []tiltProvider
	if err := yaml.UnmarshalStrict(readFile(t, "tilt-provider.yaml"), &ps); err != nil {
		t.Fatalf("tilt-provider.yaml: %v", err)
	}
	if len(ps) != 1 {
		t.Fatalf("tilt-provider.yaml: want one provider, found %d", len(ps))
	}
	return ps[0]
}

type metadata struct {
	APIVersion    string `json:"apiVersion"`
	Kind          string `json:"kind"`
	ReleaseSeries []struct {
		Major    int    `json:"major"`
		Minor    int    `json:"minor"`
		Contract string `json:"contract"`
	} `json:"releaseSeries"`
}

// contractOf returns the CAPI contract metadata.yaml gives a version's series.
func contractOf(t *testing.T, version string) string {
	t.Helper()
	var md metadata
	if err := yaml.UnmarshalStrict(readFile(t, "metadata.yaml"), &md); err != nil {
		t.Fatalf("metadata.yaml: %v", err)
	}
	if md.APIVersion != "clusterctl.cluster.x-k8s.io/v1alpha3" || md.Kind != "Metadata" {
		t.Fatalf("metadata.yaml is %s %s, want clusterctl.cluster.x-k8s.io/v1alpha3 Metadata", md.APIVersion, md.Kind)
	}
	var major, minor, patch int
	if _, err := fmt.Sscanf(version, "v%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("version %q: %v", version, err)
	}
	for _, s := range md.ReleaseSeries {
		if s.Major == major && s.Minor == minor {
			return s.Contract
		}
	}
	return ""
}

func TestTiltProviderMatchesTheKustomizeTree(t *testing.T) {
	p := readTiltProvider(t)
	if p.Name != "5spot" || p.Config.Label == "" {
		t.Errorf("name %q, label %q: want name 5spot and a label", p.Name, p.Config.Label)
	}
	folder := p.Config.KustomizeFolder
	if folder == "" {
		folder = "config/default" // tilt-prepare's default
	}
	objs := decodeObjects(t, kustomizeBuild(t, folder))
	_, c := managerDeployment(t, objs)
	if repo, _, _ := strings.Cut(c.Image, ":"); repo != p.Config.Image {
		t.Errorf("config.image %q does not name the Deployment's image %q: Tilt would not swap its build in", p.Config.Image, c.Image)
	}
	// tilt-prepare derives the provider type and name from this label.
	if ns := ofKind(objs, "Namespace"); len(ns) != 1 || ns[0].GetLabels()[providerLabel] != "addon-"+p.Name {
		t.Errorf("the Namespace must carry %s=addon-%s for Tilt to register an AddonProvider", providerLabel, p.Name)
	}
	for _, res := range p.Config.AdditionalResources {
		decodeObjects(t, readFile(t, res))
	}
	for _, dep := range p.Config.ResourceDeps {
		if dep != "capi_controller" && dep != "provider_crd" {
			t.Errorf("resource_deps %q is not a Tilt resource CAPI's Tiltfile defines", dep)
		}
	}
	if p.Config.Version != "" && contractOf(t, p.Config.Version) != "v1beta2" {
		t.Errorf("config.version %s has no v1beta2 series in metadata.yaml", p.Config.Version)
	}
}

func TestTiltLiveReloadDepsExistAndCoverTheManager(t *testing.T) {
	p := readTiltProvider(t)
	for _, dep := range p.Config.LiveReloadDeps {
		if _, err := os.Stat(filepath.Join(root, dep)); err != nil {
			t.Errorf("live_reload_deps: %v", err)
		}
	}
	// Tilt runs `go build <go_main>`: it must be the manager's main package.
	out := mustRun(t, 2*time.Minute, root, goEnv(), "go", "list", "-f", "{{.Name}} {{.ImportPath}}", p.Config.GoMain)
	if strings.TrimSpace(out) != "main github.com/5spot-dev/5spot/cmd/manager" {
		t.Errorf("go_main %q is %q, want the manager's main package", p.Config.GoMain, strings.TrimSpace(out))
	}
	// Every folder of ours the manager is built from must trigger a rebuild.
	dirs := mustRun(t, 2*time.Minute, root, goEnv(), "go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./cmd/manager")
	for _, dir := range strings.Fields(dirs) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module dependency, not this repository
		}
		if !coveredBy(rel, p.Config.LiveReloadDeps) {
			t.Errorf("the manager is built from %s, which no live_reload_deps entry covers: Tilt would not rebuild on changes", rel)
		}
	}
}

func coveredBy(rel string, deps []string) bool {
	for _, d := range deps {
		d = filepath.Clean(d)
		if rel == d || strings.HasPrefix(rel, d+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

func TestClusterctlSettingsAndMetadataAgree(t *testing.T) {
	var settings struct {
		Name   string `json:"name"`
		Config struct {
			ComponentsFile string `json:"componentsFile"`
			NextVersion    string `json:"nextVersion"`
			ConfigFolder   string `json:"configFolder"`
		} `json:"config"`
	}
	dec := json.NewDecoder(strings.NewReader(string(readFile(t, "clusterctl-settings.json"))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&settings); err != nil {
		t.Fatalf("clusterctl-settings.json: %v", err)
	}
	// create-local-repository.py derives type and name from this label.
	if settings.Name != providerName || settings.Config.ComponentsFile != "addon-components.yaml" {
		t.Errorf("clusterctl-settings.json: name %q, componentsFile %q; want %s and addon-components.yaml", settings.Name, settings.Config.ComponentsFile, providerName)
	}
	for _, v := range []string{settings.Config.NextVersion, releaseVersion} {
		if got := contractOf(t, v); got != "v1beta2" {
			t.Errorf("metadata.yaml gives %s the contract %q, want v1beta2", v, got)
		}
	}
	if tv := readTiltProvider(t).Config.Version; tv != "" && tv != settings.Config.NextVersion {
		t.Errorf("tilt-provider.yaml version %s differs from clusterctl-settings.json nextVersion %s", tv, settings.Config.NextVersion)
	}
	released := readFileAbs(t, filepath.Join(releaseArtifacts(t), "metadata.yaml"))
	if string(released) != string(readFile(t, "metadata.yaml")) {
		t.Error("the released metadata.yaml differs from the repository's")
	}
}

func TestReleaseRefusesAVersionWithoutASeries(t *testing.T) {
	for _, v := range []string{"v9.9.0", "0.1.0", "v0.1"} {
		out, err := runIn(t.Context(), root, goEnv(), "make", "--no-print-directory", "release-manifests",
			"RELEASE_DIR="+t.TempDir(), "VERSION="+v)
		if err == nil {
			t.Errorf("release-manifests accepted VERSION=%s; clusterctl would refuse it at init", v)
		} else if !strings.Contains(out, "release-manifests: ") {
			t.Errorf("VERSION=%s failed without saying why:\n%s", v, out)
		}
	}
}
