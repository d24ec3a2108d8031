// Package packaging tests how 5-Spot ships: the kustomize tree (config/), the
// clusterctl release artifacts, the container image's build command, the
// Tilt provider file and the kind e2e module. Everything runs here, with
// tools built from the Go module proxy: kustomize (hack/tools), clusterctl
// (hack/clusterctl-binary.sh) and a real API server (envtest).
package packaging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/5spot-dev/5spot/test/harness"
)

const (
	// releaseVersion is the version the tests release as; metadata.yaml must
	// carry its series.
	releaseVersion = "v0.1.0"
	// imageRepository is the manager image, as config/ and tilt-provider.yaml name it.
	imageRepository = "ghcr.io/5spot-dev/5spot-manager"
	providerLabel   = "cluster.x-k8s.io/provider"
	providerName    = "addon-5spot"
	systemNamespace = "5spot-system"
)

var (
	root = harness.RepoRoot()
	// scratch holds what the tests build once and share (release artifacts).
	scratch string
)

func TestMain(m *testing.M) {
	var err error
	scratch, err = os.MkdirTemp("", "5spot-packaging-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(scratch)
	os.Exit(code)
}

// goEnv is the environment every go command of the tests runs with: the
// local toolchain only, and module resolution allowed to update go.sum.
// A parent make's flags and variables (MAKEFLAGS) are dropped so that the
// targets the tests run behave as they do for a user.
func goEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" {
			env = append(env, kv)
		}
	}
	return append(append(env, "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod"), extra...)
}

// runIn runs a command in dir and returns its combined output; the error
// carries the output so a failure explains itself.
func runIn(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

func mustRun(t *testing.T, timeout time.Duration, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := runIn(ctx, dir, env, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kustomizeBuild renders a kustomization of this repository with the pinned kustomize.
func kustomizeBuild(t *testing.T, dir string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "tool", "-modfile=hack/tools/go.mod", "kustomize", "build", dir)
	cmd.Dir = root
	cmd.Env = goEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	return out
}

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
)

// releaseArtifacts runs `make release-manifests` once and returns the folder
// holding addon-components.yaml and metadata.yaml.
func releaseArtifacts(t *testing.T) string {
	t.Helper()
	releaseOnce.Do(func() {
		dir := filepath.Join(scratch, "release")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		_, releaseErr = runIn(ctx, root, goEnv(), "make", "--no-print-directory", "release-manifests",
			"RELEASE_DIR="+dir, "VERSION="+releaseVersion)
		releaseDir = dir
	})
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseDir
}

// decodeObjects splits a multi-document YAML stream into objects.
func decodeObjects(t *testing.T, data []byte) []unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []unstructured.Unstructured
	for {
		var u unstructured.Unstructured
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decoding manifests: %v", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetKind() == "" || u.GetAPIVersion() == "" {
			t.Fatalf("object without kind or apiVersion: %v", u.Object)
		}
		objs = append(objs, u)
	}
	if len(objs) == 0 {
		t.Fatal("no objects in the manifests")
	}
	return objs
}

func ofKind(objs []unstructured.Unstructured, kind string) []unstructured.Unstructured {
	var out []unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
