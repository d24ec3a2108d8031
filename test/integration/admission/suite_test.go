// Package admission tests 5-Spot's admission rules against a real
// kube-apiserver with the generated CRD and the webhook served by 5-Spot's
// code, and checks that `kubectl 5spot validate` reports the same violations.
package admission

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/5spot-dev/5spot/internal/validation"
	"github.com/5spot-dev/5spot/test/harness"
)

var env *harness.Env

// now is fixed so that "never active" warnings do not depend on the wall clock.
var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	var err error
	env, err = harness.Start(harness.Options{Validation: validation.Options{Now: func() time.Time { return now }}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test API server:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the test API server:", err)
	}
	os.Exit(code)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
