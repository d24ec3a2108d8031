package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/5spot-dev/5spot/test/harness"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestManagerBecomesReadyOnceCachesSyncAndTheWebhookServes(t *testing.T) {
	g := NewWithT(t)
	env, err := harness.Start(harness.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = env.Stop() }()

	var opts options
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	opts.bind(fs)
	probe := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	g.Expect(fs.Parse([]string{
		"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=" + probe,
		fmt.Sprintf("--webhook-port=%d", freePort(t)), "--webhook-cert-dir=" + env.WebhookCertDir(),
	})).To(Succeed())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, env.Config, opts) }()
	defer func() { cancel(); <-done }()

	get := func(path string) (int, error) {
		resp, err := http.Get("http://" + probe + path)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	g.Eventually(func() (int, error) { return get("/readyz") }).WithTimeout(30*time.Second).
		Should(Equal(http.StatusOK), "the manager should report ready once caches synced and the webhook serves")
	for _, check := range []string{"/readyz/caches", "/readyz/webhook", "/healthz"} {
		g.Expect(get(check)).To(Equal(http.StatusOK), check)
	}
	g.Expect(get("/readyz/nonexistent")).To(Equal(http.StatusNotFound), "the probe server must serve real named checks")
}

func TestManagerRefusesForbiddenExtraAPIGroups(t *testing.T) {
	opts := options{extraAPIGroups: "k0smotron.io, rbac.authorization.k8s.io"}
	err := run(context.Background(), nil, opts)
	if err == nil || !strings.Contains(err.Error(), "--extra-api-groups") {
		t.Fatalf("want an --extra-api-groups error, got %v", err)
	}
}
