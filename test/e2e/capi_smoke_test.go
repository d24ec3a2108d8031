package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

const poll = 250 * time.Millisecond

// TestCAPIProvisionsAndDeletesAStandaloneWorker checks the plane end to end
// with the objects 5-Spot will create: a workload cluster comes up on the
// in-memory backend, a standalone worker Machine (KubeadmConfig + DevMachine
// + Machine) becomes Running with a Node in the workload cluster, and
// deleting the Machine removes it with everything it owned.
func TestCAPIProvisionsAndDeletesAStandaloneWorker(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c := plane.Client

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "smoke-"}}
	g.Expect(c.Create(ctx, ns)).To(Succeed())

	wc := &mgmt.WorkloadCluster{Namespace: ns.Name, Name: "smoke"}
	begin := time.Now()
	g.Expect(wc.Create(ctx, c)).To(Succeed())
	t.Cleanup(func() { _ = wc.Delete(context.Background(), c) })
	g.Eventually(func() error { return wc.ControlPlaneInitialized(ctx, c) }).
		WithTimeout(3*time.Minute).WithPolling(poll).Should(Succeed(),
		"the workload cluster's control plane should be initialized and its kubeconfig secret exist")
	t.Logf("workload control plane initialized %s after the Cluster was created", time.Since(begin).Round(time.Millisecond))

	workload, err := wc.Client(ctx, c, plane.Scheme)
	g.Expect(err).NotTo(HaveOccurred(), "a client for the workload cluster")

	worker := &mgmt.WorkerMachine{Namespace: ns.Name, Name: "worker-1", ClusterName: wc.Name}
	config, devMachine, machine := worker.Objects()
	begin = time.Now()
	for _, obj := range []client.Object{config, devMachine, machine} {
		g.Expect(c.Create(ctx, obj)).To(Succeed(), "creating %T %s", obj, worker)
	}
	g.Eventually(func(g Gomega) {
		g.Expect(c.Get(ctx, client.ObjectKeyFromObject(machine), machine)).To(Succeed())
		g.Expect(machine.Status.Phase).To(Equal(string(clusterv1.MachinePhaseRunning)))
		g.Expect(machine.Status.NodeRef.Name).NotTo(BeEmpty())
	}).WithTimeout(2*time.Minute).WithPolling(poll).Should(Succeed(),
		"Machine %s should become Running with a nodeRef", worker)
	t.Logf("Machine Running with node %s %s after creation", machine.Status.NodeRef.Name, time.Since(begin).Round(time.Millisecond))

	node := &corev1.Node{}
	g.Eventually(func() error {
		return workload.Get(ctx, client.ObjectKey{Name: machine.Status.NodeRef.Name}, node)
	}).WithTimeout(30*time.Second).WithPolling(poll).Should(Succeed(),
		"Node %s should exist in the workload cluster", machine.Status.NodeRef.Name)
	g.Expect(node.Spec.ProviderID).To(Equal(machine.Spec.ProviderID), "the Node should carry the Machine's providerID")

	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(config), config)).To(Succeed())
	g.Expect(config.Status.DataSecretName).NotTo(BeEmpty(), "the KubeadmConfig should point at its bootstrap data secret")
	bootstrapSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: config.Status.DataSecretName}}
	g.Expect(c.Get(ctx, client.ObjectKeyFromObject(bootstrapSecret), bootstrapSecret)).To(Succeed(), "the bootstrap data secret should exist")

	begin = time.Now()
	g.Expect(c.Delete(ctx, machine)).To(Succeed())
	leftovers := []struct {
		what   string
		reader client.Reader
		key    client.ObjectKey
		obj    client.Object
	}{
		{"Machine", c, client.ObjectKeyFromObject(machine), &clusterv1.Machine{}},
		{"KubeadmConfig", c, client.ObjectKeyFromObject(config), &bootstrapv1.KubeadmConfig{}},
		{"DevMachine", c, client.ObjectKeyFromObject(devMachine), &infrav1.DevMachine{}},
		// Collected by kube-controller-manager's garbage collector once its
		// owner, the KubeadmConfig, is gone.
		{"bootstrap data Secret", c, client.ObjectKeyFromObject(bootstrapSecret), &corev1.Secret{}},
		{"Node in the workload cluster", workload, client.ObjectKey{Name: node.Name}, &corev1.Node{}},
	}
	for _, l := range leftovers {
		g.Eventually(func() error {
			return l.reader.Get(ctx, l.key, l.obj)
		}).WithTimeout(2*time.Minute).WithPolling(poll).Should(Satisfy(apierrors.IsNotFound),
			"the %s of deleted Machine %s should be gone", l.what, worker)
	}
	t.Logf("Machine and everything it owned gone %s after deletion", time.Since(begin).Round(time.Millisecond))
}
