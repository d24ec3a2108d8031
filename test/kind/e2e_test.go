// Package kind is 5-Spot's end-to-end suite on Docker (`make test-e2e-kind`):
// a kind management cluster created through kind's Go API, Cluster API
// v1.14.2 with the docker infrastructure provider (CAPD) and 5-Spot
// installed by clusterctl, a CAPD workload cluster, and ScheduledMachines
// against it. It needs a Docker engine and internet access (kind's node
// image, CAPI's released components, cert-manager); without Docker it says
// so and fails. The in-memory suite (test/e2e) is what runs everywhere.
package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/test/harness"
)

const (
	managementCluster = "5spot-e2e"
	workloadCluster   = "5spot-e2e-workload"
	capiVersion       = harness.CAPIVersion
	// kubernetesVersion is the workload cluster's version: CAPI v1.14's e2e
	// default, with a kindest/node image for CAPD (kind v0.33's default too).
	kubernetesVersion = "v1.37.0"
	// fiveSpotVersion is the version the suite releases 5-Spot as, in a
	// series metadata.yaml knows (clusterctl-settings.json's nextVersion).
	fiveSpotVersion = "v0.1.99"
	testNamespace   = "default"
)

// suite is what TestMain prepared for the scenarios.
var suite struct {
	root       string // the 5-Spot repository
	work       string // scratch folder: clusterctl home, repository, kubeconfig
	clusterctl string
	config     string // clusterctl.yaml
	kubeconfig string // the management cluster's
	client     client.Client
}

func TestMain(m *testing.M) {
	if err := requireDocker(); err != nil {
		fmt.Fprintf(os.Stderr, `
make test-e2e-kind needs a Docker engine: kind runs the management cluster,
and CAPD the workload cluster's machines, as containers.
  %v
Start Docker (or point DOCKER_HOST at one) and run it again. Everything that
runs without Docker is in `+"`make test`"+`.

`, err)
		os.Exit(1)
	}
	os.Exit(run(m))
}

// requireDocker asks the Docker CLI, which kind drives, for the server's
// version: it fails both without the CLI and without an engine answering.
func requireDocker() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		return fmt.Errorf("`docker version` failed: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func run(m *testing.M) int {
	ctx := context.Background()
	keep := os.Getenv("KIND_E2E_KEEP") == "true"
	var err error
	suite.root = harness.RepoRoot()
	if suite.work, err = os.MkdirTemp("", "5spot-kind-e2e-"); err != nil {
		return fail(err)
	}
	if !keep {
		defer os.RemoveAll(suite.work)
	}
	logf("scratch folder %s", suite.work)

	image, err := buildArtifacts(ctx)
	if err != nil {
		return fail(err)
	}
	mgmt, err := createManagementCluster(image)
	if mgmt != nil && !keep {
		defer mgmt.delete()
	}
	if err != nil {
		return fail(err)
	}
	if err := initManagementCluster(ctx); err != nil {
		return fail(err)
	}
	if suite.client, err = newClient(suite.kubeconfig); err != nil {
		return fail(err)
	}
	deleteWorkload, err := createWorkloadCluster(ctx)
	if deleteWorkload != nil && !keep {
		defer deleteWorkload()
	}
	if err != nil {
		return fail(err)
	}
	if keep {
		logf("KIND_E2E_KEEP=true: keeping the clusters; kubeconfig %s", suite.kubeconfig)
	}
	return m.Run()
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "kind e2e:", err)
	return 1
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kind e2e: "+format+"\n", args...)
}

// buildArtifacts builds the manager image and a clusterctl local repository
// holding 5-Spot's release manifests with the Makefile targets users run,
// and clusterctl itself; it returns the image.
func buildArtifacts(ctx context.Context) (string, error) {
	repo := filepath.Join(suite.work, "repository", "addon-5spot", fiveSpotVersion)
	if err := runLogged(ctx, suite.root, nil, "make", "--no-print-directory", "docker-build", "release-manifests",
		"VERSION="+fiveSpotVersion, "RELEASE_DIR="+repo); err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, filepath.Join(suite.root, "hack", "clusterctl-binary.sh")).Output()
	if err != nil {
		return "", fmt.Errorf("building clusterctl: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	suite.clusterctl = lines[len(lines)-1]

	suite.config = filepath.Join(suite.work, "clusterctl.yaml")
	cfg := fmt.Sprintf("providers:\n- name: 5spot\n  type: AddonProvider\n  url: %s\n", filepath.Join(repo, "addon-components.yaml"))
	if err := os.WriteFile(suite.config, []byte(cfg), 0o644); err != nil {
		return "", err
	}
	return "ghcr.io/5spot-dev/5spot-manager:" + fiveSpotVersion, nil
}

// runLogged runs a command with its output on the suite's stderr.
func runLogged(ctx context.Context, dir string, env []string, name string, args ...string) error {
	logf("running %s %s", name, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod"), env...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// clusterctlRun runs the suite's clusterctl against the management cluster,
// with its own home (no user configuration) and CAPI's feature gates on.
func clusterctlRun(ctx context.Context, args ...string) (string, error) {
	args = append(args, "--kubeconfig", suite.kubeconfig, "--config", suite.config)
	cmd := exec.CommandContext(ctx, suite.clusterctl, args...)
	cmd.Env = append(os.Environ(), "HOME="+suite.work, "XDG_CONFIG_HOME="+suite.work,
		"CLUSTER_TOPOLOGY=true", "EXP_RUNTIME_SDK=true")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("clusterctl %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	logf("clusterctl %s\n%s", args[0], stderr.String())
	return string(out), nil
}

func newClient(kubeconfig string) (client.Client, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, clusterv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// errNotYet makes a poll condition log why it is still waiting.
var errNotYet = errors.New("not yet")
