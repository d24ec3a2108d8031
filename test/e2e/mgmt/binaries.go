package mgmt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/5spot-dev/5spot/test/harness"
)

// Names of the CAPI binaries hack/capi-binaries.sh builds.
const (
	capiCoreBinary         = "capi-manager"
	kubeadmBootstrapBinary = "kubeadm-bootstrap-manager"
	kubeadmCPBinary        = "kubeadm-control-plane-manager"
	capdBinary             = "capd-manager"
	kcmBinary              = "kube-controller-manager"
)

// Environment variables that point at prebuilt binaries (the Makefile sets
// them); when unset, the hack/ scripts are run, which build once and then
// only print their cached folder.
const (
	envAssets = "KUBEBUILDER_ASSETS"
	envCAPI   = "CAPI_BINARIES"
	envKCM    = "KCM_BINARIES"
)

// binaryDirs are the folders of every binary the plane runs.
type binaryDirs struct {
	assets string // etcd, kube-apiserver, kubectl
	capi   string
	kcm    string
}

func resolveBinaryDirs(ctx context.Context, opts Options) (binaryDirs, error) {
	var dirs binaryDirs
	var err error
	if dirs.assets, err = binaryDir(ctx, opts.AssetsDir, envAssets, "envtest-binaries.sh", "etcd", "kube-apiserver"); err != nil {
		return dirs, err
	}
	if dirs.capi, err = binaryDir(ctx, opts.CAPIBinDir, envCAPI, "capi-binaries.sh", capiCoreBinary, kubeadmBootstrapBinary, kubeadmCPBinary, capdBinary); err != nil {
		return dirs, err
	}
	if dirs.kcm, err = binaryDir(ctx, opts.KCMBinDir, envKCM, "kube-controller-manager.sh", kcmBinary); err != nil {
		return dirs, err
	}
	return dirs, nil
}

// binaryDir picks the explicit folder, else the environment variable, else
// runs the build script, and checks that the expected binaries are there.
func binaryDir(ctx context.Context, explicit, env, script string, binaries ...string) (string, error) {
	dir := explicit
	if dir == "" {
		dir = os.Getenv(env)
	}
	if dir == "" {
		out, err := runScript(ctx, script)
		if err != nil {
			return "", err
		}
		dir = out
	}
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s not found in %s (set %s or run hack/%s): %w", b, dir, env, script, err)
		}
	}
	return dir, nil
}

// runScript runs one of the repository's hack/ build scripts and returns the
// last line it prints (the folder it built into).
func runScript(ctx context.Context, script string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(harness.RepoRoot(), "hack", script))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/%s: %w\n%s", script, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// buildManager builds 5-Spot's manager from the working tree, so the plane
// always runs the code under test.
func buildManager(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/manager")
	cmd.Dir = harness.RepoRoot()
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the 5-Spot manager (go build ./cmd/manager): %w\n%s", err, b)
	}
	return nil
}
