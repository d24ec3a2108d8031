package extension_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	runtimecatalog "sigs.k8s.io/cluster-api/api/runtime/catalog"
	runtimehooksv1 "sigs.k8s.io/cluster-api/api/runtime/hooks/v1alpha1"
	"sigs.k8s.io/cluster-api/exp/runtime/server"

	"github.com/5spot-dev/5spot/extension"
)

// The server over TLS, called over HTTP exactly as CAPI's runtime client
// calls it: Discovery lists our handlers, each hook path answers validly.
func TestServerAnswersDiscoveryAndEveryHookOverTLS(t *testing.T) {
	f := newFixture(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	f.g.Expect(err).NotTo(HaveOccurred())
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	srv, err := extension.NewServer(server.Options{Host: "127.0.0.1", Port: port, CertDir: env.WebhookCertDir()}, f.h)
	f.g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	pool := x509.NewCertPool()
	f.g.Expect(pool.AppendCertsFromPEM(env.WebhookCAData())).To(BeTrue())
	httpc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}}
	base := fmt.Sprintf("https://127.0.0.1:%d", port)

	catalog := runtimecatalog.New()
	f.g.Expect(runtimehooksv1.AddToCatalog(catalog)).To(Succeed())
	call := func(hook runtimecatalog.Hook, name string, req runtime.Object, resp runtime.Object) {
		t.Helper()
		gvh, err := catalog.GroupVersionHook(hook)
		f.g.Expect(err).NotTo(HaveOccurred())
		req.GetObjectKind().SetGroupVersionKind(runtimehooksv1.GroupVersion.WithKind(gvh.Hook + "Request"))
		body, err := json.Marshal(req)
		f.g.Expect(err).NotTo(HaveOccurred())
		var httpResp *http.Response
		f.g.Eventually(func() error {
			httpResp, err = httpc.Post(base+runtimecatalog.GVHToPath(gvh, name), "application/json", bytes.NewReader(body))
			return err
		}).WithTimeout(10*time.Second).Should(Succeed(), "the extension should serve %s over TLS", gvh.Hook)
		defer httpResp.Body.Close()
		f.g.Expect(httpResp.StatusCode).To(Equal(http.StatusOK))
		f.g.Expect(json.NewDecoder(httpResp.Body).Decode(resp)).To(Succeed())
	}

	discovery := &runtimehooksv1.DiscoveryResponse{}
	call(runtimehooksv1.Discovery, "", &runtimehooksv1.DiscoveryRequest{}, discovery)
	f.g.Expect(discovery.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
	var names []string
	for _, h := range discovery.Handlers {
		names = append(names, h.Name)
		f.g.Expect(*h.TimeoutSeconds).To(BeNumerically("<=", 30))
	}
	f.g.Expect(names).To(ConsistOf("after-control-plane-initialized", "before-cluster-upgrade", "before-control-plane-upgrade",
		"after-control-plane-upgrade", "before-workers-upgrade", "after-workers-upgrade", "after-cluster-upgrade", "before-cluster-delete"))

	cluster := *f.freshCluster()
	for _, tc := range []struct {
		hook      runtimecatalog.Hook
		name      string
		req, resp runtime.Object
	}{
		{runtimehooksv1.AfterControlPlaneInitialized, "after-control-plane-initialized", &runtimehooksv1.AfterControlPlaneInitializedRequest{Cluster: cluster}, &runtimehooksv1.AfterControlPlaneInitializedResponse{}},
		{runtimehooksv1.BeforeClusterUpgrade, "before-cluster-upgrade", &runtimehooksv1.BeforeClusterUpgradeRequest{Cluster: cluster, FromKubernetesVersion: "v1.35.0", ToKubernetesVersion: "v1.36.0"}, &runtimehooksv1.BeforeClusterUpgradeResponse{}},
		{runtimehooksv1.BeforeControlPlaneUpgrade, "before-control-plane-upgrade", &runtimehooksv1.BeforeControlPlaneUpgradeRequest{Cluster: cluster, FromKubernetesVersion: "v1.35.0", ToKubernetesVersion: "v1.36.0"}, &runtimehooksv1.BeforeControlPlaneUpgradeResponse{}},
		{runtimehooksv1.AfterControlPlaneUpgrade, "after-control-plane-upgrade", &runtimehooksv1.AfterControlPlaneUpgradeRequest{Cluster: cluster, KubernetesVersion: "v1.36.0"}, &runtimehooksv1.AfterControlPlaneUpgradeResponse{}},
		{runtimehooksv1.BeforeWorkersUpgrade, "before-workers-upgrade", &runtimehooksv1.BeforeWorkersUpgradeRequest{Cluster: cluster, ToKubernetesVersion: "v1.36.0"}, &runtimehooksv1.BeforeWorkersUpgradeResponse{}},
		{runtimehooksv1.AfterWorkersUpgrade, "after-workers-upgrade", &runtimehooksv1.AfterWorkersUpgradeRequest{Cluster: cluster, KubernetesVersion: "v1.36.0"}, &runtimehooksv1.AfterWorkersUpgradeResponse{}},
		{runtimehooksv1.AfterClusterUpgrade, "after-cluster-upgrade", &runtimehooksv1.AfterClusterUpgradeRequest{Cluster: cluster, KubernetesVersion: "v1.36.0"}, &runtimehooksv1.AfterClusterUpgradeResponse{}},
		{runtimehooksv1.BeforeClusterDelete, "before-cluster-delete", &runtimehooksv1.BeforeClusterDeleteRequest{Cluster: cluster}, &runtimehooksv1.BeforeClusterDeleteResponse{}},
	} {
		call(tc.hook, tc.name, tc.req, tc.resp)
		status := tc.resp.(runtimehooksv1.ResponseObject).GetStatus()
		f.g.Expect(status).To(Equal(runtimehooksv1.ResponseStatusSuccess), "%s: %s", tc.name, tc.resp.(runtimehooksv1.ResponseObject).GetMessage())
	}
}
