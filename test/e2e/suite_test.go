// Package e2e runs 5-Spot against real Cluster API controllers: every test
// of this package shares one local management plane (package mgmt), started
// by TestMain.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

// plane is the management plane the tests of this package share.
var plane *mgmt.Plane

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	// envtest logs through controller-runtime; the controllers' own logs are
	// in the plane's log folder (E2E_LOG_DIR keeps them after the run).
	ctrllog.SetLogger(logr.Discard())
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...) }
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var err error
	// The Runtime SDK extension is on, as in the release Deployment.
	plane, err = mgmt.Start(ctx, mgmt.Options{Logf: logf, LogDir: os.Getenv("E2E_LOG_DIR"), ManagerArgs: []string{"--runtime-extension"}})
	if err != nil {
		logf("starting the management plane: %v", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		plane.DumpLogs(os.Stderr, 60)
	}
	if err := plane.Stop(); err != nil {
		logf("stopping the management plane: %v", err)
		return 1
	}
	return code
}
