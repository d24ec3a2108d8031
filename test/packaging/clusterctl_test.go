package packaging

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

var (
	clusterctlOnce sync.Once
	clusterctlBin  string
	clusterctlErr  error
)

// clusterctlBinary returns clusterctl built from the CAPI module the product
// uses (hack/clusterctl-binary.sh caches it; the first build takes minutes).
func clusterctlBinary(t *testing.T) string {
	t.Helper()
	clusterctlOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		var out string
		out, clusterctlErr = runIn(ctx, root, goEnv(), filepath.Join(root, "hack", "clusterctl-binary.sh"))
		lines := strings.Split(strings.TrimSpace(out), "\n")
		clusterctlBin = lines[len(lines)-1]
	})
	if clusterctlErr != nil {
		t.Fatal(clusterctlErr)
	}
	return clusterctlBin
}

// repoProvider is one provider of a clusterctl local repository.
type repoProvider struct {
	name, typ, label, version string
	componentsFile            string
	components, metadata      []byte
}

// localRepository lays providers out as clusterctl's local repositories
// ({base}/{label}/{version}/...) and writes a clusterctl.yaml naming them,
// plus any extra configuration. It returns the config file.
func localRepository(t *testing.T, base string, extra string, providers ...repoProvider) string {
	t.Helper()
	var cfg strings.Builder
	cfg.WriteString("providers:\n")
	for _, p := range providers {
		dir := filepath.Join(base, p.label, p.version)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{p.componentsFile: p.components, "metadata.yaml": p.metadata} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&cfg, "- name: %s\n  type: %s\n  url: %s\n", p.name, p.typ, filepath.Join(dir, p.componentsFile))
	}
	cfg.WriteString(extra)
	path := filepath.Join(base, "clusterctl.yaml")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fiveSpotRelease is the provider as `make release-manifests` released it.
func fiveSpotRelease(t *testing.T) repoProvider {
	t.Helper()
	dir := releaseArtifacts(t)
	return repoProvider{
		name: "5spot", typ: "AddonProvider", label: providerName, version: releaseVersion,
		componentsFile: "addon-components.yaml",
		components:     readFileAbs(t, filepath.Join(dir, "addon-components.yaml")),
		metadata:       readFileAbs(t, filepath.Join(dir, "metadata.yaml")),
	}
}

// clusterctlEnv isolates clusterctl from the user's configuration, and from
// GitHub (no version check); vars are clusterctl variables for this run.
func clusterctlEnv(home string, vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "FIVESPOT_") || name == "KUBECONFIG" || name == "HOME" || name == "XDG_CONFIG_HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+home, "CLUSTERCTL_DISABLE_VERSIONCHECK=true")
	return append(env, vars...)
}

func TestClusterctlDescribesAndRendersTheAddon(t *testing.T) {
	cc := clusterctlBinary(t)
	base := t.TempDir()
	cfg := localRepository(t, base, "", fiveSpotRelease(t))

	describe := mustRun(t, time.Minute, base, clusterctlEnv(base), cc, "generate", "provider", "--addon", "5spot", "--config", cfg, "--describe")
	for _, want := range []string{
		"Type:               AddonProvider", "Version:            " + releaseVersion,
		"TargetNamespace:    " + systemNamespace, imageRepository + ":" + releaseVersion,
		"FIVESPOT_EXTRA_API_GROUPS", "FIVESPOT_LEADER_ELECT", "FIVESPOT_LOG_LEVEL", "FIVESPOT_MAX_CONCURRENT_RECONCILES",
		"FIVESPOT_RUNTIME_EXTENSION",
	} {
		if !strings.Contains(describe, want) {
			t.Errorf("clusterctl generate provider --describe does not show %q:\n%s", want, describe)
		}
	}

	// No variable set: clusterctl must render from the defaults alone.
	out := mustRun(t, time.Minute, base, clusterctlEnv(base), cc, "generate", "provider", "--addon", "5spot", "--config", cfg)
	if strings.Contains(out, "${") {
		t.Errorf("clusterctl left a variable unsubstituted:\n%s", out)
	}
	objs := decodeObjects(t, []byte(out))
	for _, u := range objs {
		if u.GetLabels()[providerLabel] != providerName {
			t.Errorf("%s %s lacks %s=%s", u.GetKind(), u.GetName(), providerLabel, providerName)
		}
		if _, ok := u.GetLabels()["clusterctl.cluster.x-k8s.io"]; !ok {
			t.Errorf("%s %s lacks clusterctl's label", u.GetKind(), u.GetName())
		}
	}
	_, c := managerDeployment(t, objs)
	wantArgs(t, c, "leader-elect=true", "max-concurrent-reconciles=10", "zap-log-level=info")
	wantEnv(t, c, "EXTRA_API_GROUPS", "")

	// Variables set, and another target namespace: clusterctl rewrites every
	// namespace reference, the certificate's DNS names included.
	out = mustRun(t, time.Minute, base, clusterctlEnv(base, "FIVESPOT_EXTRA_API_GROUPS=k0smotron.io", "FIVESPOT_LOG_LEVEL=debug",
		"FIVESPOT_LEADER_ELECT=false", "FIVESPOT_MAX_CONCURRENT_RECONCILES=3"),
		cc, "generate", "provider", "--addon", "5spot", "--config", cfg, "--target-namespace", "platform-5spot")
	objs = decodeObjects(t, []byte(out))
	_, c = managerDeployment(t, objs)
	wantArgs(t, c, "leader-elect=false", "max-concurrent-reconciles=3", "zap-log-level=debug")
	wantEnv(t, c, "EXTRA_API_GROUPS", "k0smotron.io")
	if !strings.Contains(out, "webhook-service.platform-5spot.svc") || !strings.Contains(out, "cert-manager.io/inject-ca-from: platform-5spot/") {
		t.Errorf("--target-namespace did not reach the Certificate and the CA injection:\n%s", out)
	}
	if strings.Contains(out, systemNamespace) {
		t.Errorf("--target-namespace left references to %s:\n%s", systemNamespace, out)
	}
}

func wantArgs(t *testing.T, c *corev1.Container, args ...string) {
	t.Helper()
	for _, a := range args {
		if !contains(c.Args, "--"+a) {
			t.Errorf("manager args %v lack --%s", c.Args, a)
		}
	}
}

func wantEnv(t *testing.T, c *corev1.Container, name, value string) {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == name {
			if e.Value != value {
				t.Errorf("env %s=%q, want %q", name, e.Value, value)
			}
			return
		}
	}
	t.Errorf("manager has no env %s", name)
}

// inventoryProvider is clusterctl's record of an installed provider.
type inventoryProvider struct {
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	ProviderName string `json:"providerName"`
	Type         string `json:"type"`
	Version      string `json:"version"`
}

var providerGVK = schema.GroupVersionKind{Group: "clusterctl.cluster.x-k8s.io", Version: "v1alpha3", Kind: "ProviderList"}

func listInventory(t *testing.T, api *apiServer) []inventoryProvider {
	t.Helper()
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(providerGVK)
	if err := api.client.List(t.Context(), list); err != nil {
		t.Fatalf("listing clusterctl's inventory: %v", err)
	}
	var out []inventoryProvider
	for _, item := range list.Items {
		data, err := yaml.Marshal(item.Object)
		if err != nil {
			t.Fatal(err)
		}
		var p inventoryProvider
		if err := yaml.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestClusterctlInitInstallsTheAddonOnARealAPIServer(t *testing.T) {
	cc := clusterctlBinary(t)
	api := startAPIServer(t)
	base := t.TempDir()
	cfg := localRepository(t, base,
		// cert-manager is "externally provisioned": its API is there (the real
		// CRDs, see startAPIServer), its controllers are not, and clusterctl
		// must not try to download and install it.
		"cert-manager:\n  externallyProvisioned: \"true\"\n  timeout: 2m\n",
		coreCAPIRelease(t), fiveSpotRelease(t))
	env := clusterctlEnv(base)

	// The management cluster as users have it before adding 5-Spot: core CAPI
	// only (--bootstrap/--control-plane "-" opt out of kubeadm's providers).
	mustRun(t, 5*time.Minute, base, env, cc, "init", "--config", cfg, "--kubeconfig", api.kubeconfig,
		"--core", "cluster-api:"+capiVersion, "--bootstrap", "-", "--control-plane", "-")
	// clusterctl probes cert-manager with an Issuer and a Certificate in a
	// namespace it then deletes; the next init recreates that namespace.
	api.finishNamespaceDeletion(t, "cert-manager-test")

	// What the README tells users to run.
	out := mustRun(t, 5*time.Minute, base, env, cc, "init", "--config", cfg, "--kubeconfig", api.kubeconfig, "--addon", "5spot")
	t.Logf("clusterctl init --addon 5spot:\n%s", out)

	ctx := t.Context()
	want := decodeObjects(t, fiveSpotRelease(t).components)
	for _, w := range want {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(w.GroupVersionKind())
		key := clientKey(w)
		if err := api.client.Get(ctx, key, got); err != nil {
			t.Errorf("clusterctl did not install %s %s: %v", w.GetKind(), key, err)
			continue
		}
		if got.GetLabels()[providerLabel] != providerName {
			t.Errorf("%s %s lacks %s=%s in the cluster", w.GetKind(), key, providerLabel, providerName)
		}
	}

	var dep appsv1.Deployment
	if err := api.client.Get(ctx, clientKeyOf(systemNamespace, "5spot-controller-manager"), &dep); err != nil {
		t.Fatal(err)
	}
	if img := dep.Spec.Template.Spec.Containers[0].Image; img != imageRepository+":"+releaseVersion {
		t.Errorf("installed Deployment runs %q", img)
	}

	inv := listInventory(t, api)
	found := map[string]inventoryProvider{}
	for _, p := range inv {
		found[p.Type+"/"+p.ProviderName] = p
	}
	addon, ok := found["AddonProvider/5spot"]
	if !ok {
		t.Fatalf("clusterctl's inventory has no AddonProvider 5spot: %+v", inv)
	}
	if addon.Version != releaseVersion || addon.Metadata.Namespace != systemNamespace || addon.Metadata.Name != providerName {
		t.Errorf("inventory entry %+v, want %s in %s, version %s", addon, providerName, systemNamespace, releaseVersion)
	}
	if _, ok := found["CoreProvider/cluster-api"]; !ok {
		t.Errorf("clusterctl's inventory lost the core provider: %+v", inv)
	}
}
