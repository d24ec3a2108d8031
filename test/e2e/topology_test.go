package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

// inMemoryClass is a ClusterClass on CAPD's in-memory backend with quick
// (simulated) start-up, for a one-node kubeadm control plane.
const inMemoryClass = `
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DevClusterTemplate
metadata: {name: in-memory-cluster, annotations: {e2e: "1"}}
spec: {template: {spec: {backend: {inMemory: {}}}}}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta2
kind: KubeadmControlPlaneTemplate
metadata: {name: in-memory-control-plane}
spec:
  template:
    spec:
      # Set here because CAPI's defaulting webhooks are not installed.
      rollout: {strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}}
      kubeadmConfigSpec:
        initConfiguration: {nodeRegistration: {criSocket: unix:///var/run/containerd/containerd.sock}}
        joinConfiguration: {nodeRegistration: {criSocket: unix:///var/run/containerd/containerd.sock}}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta2
kind: DevMachineTemplate
metadata: {name: in-memory-control-plane, annotations: {e2e: "1"}}
spec: {template: {spec: {backend: {inMemory: {}}}}}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: ClusterClass
metadata: {name: in-memory}
spec:
  controlPlane:
    machineInfrastructure:
      templateRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2, kind: DevMachineTemplate, name: in-memory-control-plane}
    templateRef: {apiVersion: controlplane.cluster.x-k8s.io/v1beta2, kind: KubeadmControlPlaneTemplate, name: in-memory-control-plane}
  infrastructure:
    templateRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta2, kind: DevClusterTemplate, name: in-memory-cluster}
`

func (s *scenario) apply(manifests string) {
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if len(u.Object) == 0 {
			continue
		}
		u.SetNamespace(s.ns)
		s.g.Expect(s.c.Create(s.ctx, u)).To(Succeed(), "creating %s %s", u.GetKind(), u.GetName())
	}
}

// registerExtension points CAPI at the 5-Spot manager's Runtime SDK server.
func registerExtension(t *testing.T, g *WithT) {
	ec := &runtimev1.ExtensionConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "5spot-e2e"},
		Spec: runtimev1.ExtensionConfigSpec{
			ClientConfig:      runtimev1.ClientConfig{URL: plane.ManagerWebhookURL(), CABundle: plane.WebhookCAData()},
			NamespaceSelector: &metav1.LabelSelector{},
		},
	}
	ctx := t.Context()
	g.Expect(plane.Client.Create(ctx, ec)).To(Succeed())
	t.Cleanup(func() { _ = plane.Client.Delete(ctx, ec) })
	g.Eventually(func(g Gomega) {
		g.Expect(plane.Client.Get(ctx, client.ObjectKeyFromObject(ec), ec)).To(Succeed())
		g.Expect(ec.Status.Handlers).To(HaveLen(8))
	}).WithTimeout(time.Minute).WithPolling(poll).Should(Succeed(), "CAPI should discover 5-Spot's eight hook handlers")
}

// clusterMessages gathers the Cluster's condition messages (where CAPI
// reports what blocking hooks said).
func clusterMessages(c *clusterv1.Cluster) string {
	var b strings.Builder
	for _, cond := range c.Status.Conditions {
		b.WriteString(cond.Type + ": " + cond.Message + "\n")
	}
	return b.String()
}

// CAPI's real topology controller calls 5-Spot through a real ExtensionConfig:
// a version bump is held while a ScheduledMachine is Provisioning; after the
// control plane upgrade the scheduled Machine is re-created at the new
// version before the upgrade completes; deleting the Cluster waits for and
// removes 5-Spot's Machines.
func TestTopologyUpgradeAndTeardownCooperateThroughRuntimeHooks(t *testing.T) {
	g := NewWithT(t)
	g.SetDefaultEventuallyPollingInterval(poll)
	registerExtension(t, g)

	s := newBareScenario(t, "topo")
	s.apply(inMemoryClass)
	from, to := mgmt.DefaultKubernetesVersion, nextPatch(mgmt.DefaultKubernetesVersion)
	cluster := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: "topo", Namespace: s.ns},
		Spec: clusterv1.ClusterSpec{
			ClusterNetwork: clusterv1.ClusterNetwork{Services: clusterv1.NetworkRanges{CIDRBlocks: []string{"10.128.0.0/12"}},
				Pods: clusterv1.NetworkRanges{CIDRBlocks: []string{"192.168.0.0/16"}}, ServiceDomain: "cluster.local"},
			Topology: clusterv1.Topology{
				ClassRef:     clusterv1.ClusterClassRef{Name: "in-memory", Namespace: s.ns},
				Version:      from,
				ControlPlane: clusterv1.ControlPlaneTopology{Replicas: ptrTo[int32](1)},
			},
		},
	}
	s.g.Expect(s.c.Create(s.ctx, cluster)).To(Succeed())
	s.wc = &mgmt.WorkloadCluster{Namespace: s.ns, Name: cluster.Name}
	s.g.Eventually(func(g Gomega) {
		g.Expect(s.c.Get(s.ctx, client.ObjectKeyFromObject(cluster), cluster)).To(Succeed())
		g.Expect(cluster.Status.Initialization.ControlPlaneInitialized).To(HaveValue(BeTrue()))
	}).WithTimeout(4*time.Minute).Should(Succeed(), "the ClusterClass cluster's control plane should be initialized")

	// A ScheduledMachine whose Machine provisions slowly (a simulated 30 s boot).
	sm := s.scheduledMachine("gpu")
	sm.Spec.InfrastructureSpec.Spec.Raw = []byte(`{"backend":{"inMemory":{"vm":{"provisioning":{"startupDuration":"30s"}}}}}`)
	override(v1alpha1.OverrideForceOn, time.Hour)(sm)
	s.g.Expect(s.c.Create(s.ctx, sm)).To(Succeed())
	s.waitPhase(sm, v1alpha1.PhaseProvisioning, time.Minute)

	// The version bump is held while it provisions.
	s.g.Eventually(func() error {
		s.g.Expect(s.c.Get(s.ctx, client.ObjectKeyFromObject(cluster), cluster)).To(Succeed())
		cluster.Spec.Topology.Version = to
		return s.c.Update(s.ctx, cluster)
	}).WithTimeout(10 * time.Second).Should(Succeed())
	s.g.Eventually(func() string {
		s.g.Expect(s.c.Get(s.ctx, client.ObjectKeyFromObject(cluster), cluster)).To(Succeed())
		return clusterMessages(cluster)
	}).WithTimeout(time.Minute).Should(ContainSubstring("5-Spot: waiting for ScheduledMachines to settle: gpu (Provisioning)"),
		"BeforeClusterUpgrade should hold the upgrade, visibly in the Cluster's conditions")
	s.g.Expect(s.get(sm).Annotations).To(HaveKey(lifecycle.FreezeAnnotation), "new activations are frozen during the upgrade")
	kcp := func() (spec, status string) {
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion("controlplane.cluster.x-k8s.io/v1beta2")
		list.SetKind("KubeadmControlPlaneList")
		s.g.Expect(s.c.List(s.ctx, list, client.InNamespace(s.ns))).To(Succeed())
		s.g.Expect(list.Items).To(HaveLen(1))
		spec, _, _ = unstructured.NestedString(list.Items[0].Object, "spec", "version")
		status, _, _ = unstructured.NestedString(list.Items[0].Object, "status", "version")
		return spec, status
	}
	spec, _ := kcp()
	s.g.Expect(spec).To(Equal(from), "the control plane must not start upgrading while the hook blocks")

	// Once Active, the upgrade proceeds; after the control plane step the
	// scheduled Machine is re-created at the new version.
	_, old := s.waitRunning(sm)
	s.g.Expect(old.Spec.Version).To(Equal(from))
	begin := time.Now()
	s.g.Eventually(func(g Gomega) {
		got := s.get(sm)
		g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseActive))
		g.Expect(got.Status.MachineRef.Name).NotTo(Equal(old.Name))
		m := &clusterv1.Machine{}
		g.Expect(s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: got.Status.MachineRef.Name}, m)).To(Succeed())
		g.Expect(m.Spec.Version).To(Equal(to))
	}).WithTimeout(5*time.Minute).Should(Succeed(), "the scheduled Machine should be replaced at %s", to)
	t.Logf("control plane upgraded and scheduled Machine replaced at %s in %s", to, time.Since(begin).Round(time.Second))
	s.g.Eventually(func() string {
		_, status := kcp()
		return status
	}).WithTimeout(time.Minute).Should(Equal(to))
	s.g.Eventually(func() map[string]string { return s.get(sm).Annotations }).WithTimeout(2*time.Minute).
		ShouldNot(HaveKey(lifecycle.FreezeAnnotation), "AfterClusterUpgrade lifts the freeze")

	// Teardown: BeforeClusterDelete waits for 5-Spot's Machines, which 5-Spot removes.
	begin = time.Now()
	s.g.Expect(s.c.Delete(s.ctx, cluster)).To(Succeed())
	s.g.Eventually(func() ([]clusterv1.Machine, error) {
		list := &clusterv1.MachineList{}
		err := s.c.List(s.ctx, list, client.InNamespace(s.ns), client.HasLabels{v1alpha1.ScheduledMachineLabel})
		return list.Items, err
	}).WithTimeout(2*time.Minute).Should(BeEmpty(), "5-Spot's Machines should be removed")
	s.g.Eventually(s.gone(cluster)).WithTimeout(3*time.Minute).Should(BeTrue(), "the Cluster's deletion should complete")
	t.Logf("ClusterClass cluster deleted in %s", time.Since(begin).Round(time.Second))
}

func ptrTo[T any](v T) *T { return &v }

// nextPatch returns v with its patch version plus one.
func nextPatch(v string) string {
	i := strings.LastIndex(v, ".")
	n, err := strconv.Atoi(v[i+1:])
	if err != nil {
		panic(err)
	}
	return v[:i+1] + strconv.Itoa(n+1)
}
