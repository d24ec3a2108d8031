package scheduledmachine_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// kcp creates a KubeadmControlPlane for the fixture's Cluster with the given
// desired and current versions, and points the Cluster at it.
func (f *fixture) kcp(specVersion, statusVersion string) *unstructured.Unstructured {
	u := unstructuredRef("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane", f.ns, f.cluster.Name+"-cp")
	u.Object["spec"] = map[string]any{
		"version":  specVersion,
		"replicas": int64(1),
		"machineTemplate": map[string]any{"spec": map[string]any{"infrastructureRef": map[string]any{
			"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DevMachineTemplate", "name": "cp"}}},
	}
	f.g.Expect(env.Client.Create(f.ctx, u)).To(Succeed())
	f.g.Expect(unstructured.SetNestedField(u.Object, statusVersion, "status", "version")).To(Succeed())
	f.g.Expect(env.Client.Status().Update(f.ctx, u)).To(Succeed())

	cl := &clusterv1.Cluster{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(f.cluster), cl)).To(Succeed())
	cl.Spec.ControlPlaneRef = clusterv1.ContractVersionedObjectReference{APIGroup: "controlplane.cluster.x-k8s.io", Kind: "KubeadmControlPlane", Name: u.GetName()}
	f.g.Expect(env.Client.Update(f.ctx, cl)).To(Succeed())
	return u
}

// The Machine is created at the control plane's current version (CAPI never
// upgrades standalone Machines), and not while the control plane upgrades.
func TestMachineVersionFollowsTheControlPlaneAndPreflightWaitsForUpgrades(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	cp := f.kcp("v1.36.2", "v1.35.4") // upgrading from 1.35.4 to 1.36.2
	sm := f.sm("follow")
	sm.Spec.Version = ""
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())

	f.g.Eventually(func() string { return conditions.GetReason(f.get(sm), v1alpha1.PreflightChecksPassedCondition) }).
		Should(Equal(v1alpha1.ReasonControlPlaneUnstable))
	got := f.get(sm)
	f.g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhasePending))
	f.g.Expect(got.Status.MachineRef).To(BeNil(), "nothing is created while the control plane upgrades")

	// The upgrade finishes; the next look creates the Machine at v1.36.2.
	f.g.Expect(unstructured.SetNestedField(cp.Object, "v1.36.2", "status", "version")).To(Succeed())
	f.g.Expect(env.Client.Status().Update(f.ctx, cp)).To(Succeed())
	f.poke(sm)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.g.Expect(f.machine(got.Status.MachineRef.Name).Spec.Version).To(Equal("v1.36.2"))

	// A pinned version too new for the control plane fails the skew check.
	sm2 := f.sm("too-new")
	sm2.Spec.Version = "v1.37.0"
	f.g.Expect(env.Client.Create(f.ctx, sm2)).To(Succeed())
	f.g.Eventually(func() string { return conditions.GetReason(f.get(sm2), v1alpha1.PreflightChecksPassedCondition) }).
		Should(Equal(v1alpha1.ReasonVersionSkew))
	f.g.Expect(conditions.GetMessage(f.get(sm2), v1alpha1.PreflightChecksPassedCondition)).To(ContainSubstring("newer than the control plane's v1.36.2"))
}

// A Cluster upgrade freezes new activations (visible as a condition); an
// Active Machine left on the old version after the control plane upgrade is
// replaced — removed gracefully first, then created again at the new version
// — even while the freeze holds new activations back.
func TestUpgradeFreezeAndReplacementAtTheNewVersion(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	cp := f.kcp("v1.36.2", "v1.36.2")
	sm := f.sm("upgr")
	sm.Spec.Version = ""
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.emulateCAPIRunning("upgr-1", "node-upgr-1", true)
	f.eventuallyPhase(sm, v1alpha1.PhaseActive)

	// BeforeClusterUpgrade froze the Cluster's ScheduledMachines.
	held := f.sm("held")
	held.Spec.Version = "" // follows the control plane
	held.Annotations = map[string]string{lifecycle.FreezeAnnotation: "upgrade from v1.36.2 to v1.37.0"}
	f.g.Expect(env.Client.Create(f.ctx, held)).To(Succeed())
	f.g.Expect(lifecycle.SetFreeze(f.ctx, env.Client, f.get(sm), "upgrade from v1.36.2 to v1.37.0")).To(Succeed())
	f.g.Eventually(func() bool { return conditions.IsTrue(f.get(held), v1alpha1.ActivationsFrozenCondition) }).Should(BeTrue())
	f.g.Expect(f.get(held).Status.Phase).To(Equal(v1alpha1.PhasePending))
	f.g.Expect(f.get(held).Status.MachineRef).To(BeNil(), "no new activation during the upgrade")
	f.g.Eventually(func() bool { return conditions.IsTrue(f.get(sm), v1alpha1.ActivationsFrozenCondition) }).Should(BeTrue())

	// The control plane reaches v1.37.0: the Active Machine is replaced.
	f.g.Expect(unstructured.SetNestedField(cp.Object, "v1.37.0", "spec", "version")).To(Succeed())
	f.g.Expect(env.Client.Update(f.ctx, cp)).To(Succeed())
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(cp), cp)).To(Succeed())
	f.g.Expect(unstructured.SetNestedField(cp.Object, "v1.37.0", "status", "version")).To(Succeed())
	f.g.Expect(env.Client.Status().Update(f.ctx, cp)).To(Succeed())
	f.poke(sm)
	got := f.eventuallyPhase(sm, v1alpha1.PhaseShuttingDown)
	f.g.Expect(got.Status.Replacing).To(BeTrue())
	f.g.Expect(conditions.GetReason(got, v1alpha1.DeletingCondition)).To(Equal(v1alpha1.ReasonVersionUpgrade))
	f.g.Expect(f.node("node-upgr-1").Spec.Unschedulable).To(BeTrue(), "removed gracefully: cordon first")

	clk.SetTime(start.Add(time.Hour + 2*time.Minute)) // after the grace period
	f.poke(sm)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.g.Expect(got.Status.MachineRef.Name).To(Equal("upgr-2"))
	f.g.Expect(f.machine("upgr-2").Spec.Version).To(Equal("v1.37.0"))
	f.g.Expect(f.exists(&clusterv1.Machine{ObjectMeta: metaFor("upgr-1", f.ns)})).To(BeFalse(), "never two machines at once")
	f.g.Expect(got.Status.Replacing).To(BeFalse())

	// AfterClusterUpgrade lifts the freeze: the held one activates.
	f.g.Expect(lifecycle.SetFreeze(f.ctx, env.Client, f.get(held), "")).To(Succeed())
	got = f.eventuallyPhase(held, v1alpha1.PhaseProvisioning)
	f.g.Expect(f.machine(got.Status.MachineRef.Name).Spec.Version).To(Equal("v1.37.0"))
}
