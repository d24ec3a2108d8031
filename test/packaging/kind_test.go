package packaging

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The kind suite needs Docker, so CI cannot run it; it can make sure the
// suite compiles against today's API, uses the product's versions, and
// refuses clearly where there is no Docker engine.

func TestKindSuiteCompiles(t *testing.T) {
	mustRun(t, 10*time.Minute, filepath.Join(root, "test", "kind"), goEnv(), "go", "vet", "./...")
}

func TestKindSuiteRefusesClearlyWithoutDocker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// A Docker endpoint nothing listens on, whatever this machine has.
	out, err := runIn(ctx, root, goEnv("DOCKER_HOST=unix:///nonexistent/5spot-test/docker.sock"),
		"make", "--no-print-directory", "test-e2e-kind")
	if err == nil {
		t.Fatalf("make test-e2e-kind succeeded without a Docker engine:\n%s", out)
	}
	if !strings.Contains(out, "make test-e2e-kind needs a Docker engine") {
		t.Errorf("make test-e2e-kind failed without saying it needs Docker:\n%s", out)
	}
}

func TestKindSuiteUsesTheProductsDependencies(t *testing.T) {
	// Read from the go.mod files (which list every module a tidy module
	// builds with): `go list -m all` could write go.sum entries.
	product, suite := requirements(t, "go.mod"), requirements(t, "test/kind/go.mod")
	for _, mod := range []string{"k8s.io/api", "k8s.io/apimachinery", "k8s.io/client-go", "sigs.k8s.io/controller-runtime", "sigs.k8s.io/cluster-api/api"} {
		if product[mod] == "" || product[mod] != suite[mod] {
			t.Errorf("%s: the product uses %q, the kind suite %q", mod, product[mod], suite[mod])
		}
	}
	if !strings.Contains(string(readFile(t, "test/kind/go.mod")), "replace github.com/5spot-dev/5spot => ../..") {
		t.Error("test/kind/go.mod must build against this checkout (replace github.com/5spot-dev/5spot => ../..)")
	}
}

var requireLine = regexp.MustCompile(`^\s*(?:require\s+)?([a-z0-9.\-]+/\S+)\s+(v\S+)`)

// requirements maps module paths to the versions a go.mod requires.
func requirements(t *testing.T, rel string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(string(readFile(t, rel)), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "replace") {
			continue
		}
		if g := requireLine.FindStringSubmatch(line); g != nil {
			m[g[1]] = g[2]
		}
	}
	return m
}
