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
