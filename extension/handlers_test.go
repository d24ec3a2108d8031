package extension_test

import (
	"testing"

	. "github.com/onsi/gomega"
	runtimehooksv1 "sigs.k8s.io/cluster-api/api/runtime/hooks/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

func TestBeforeClusterUpgradeFreezesThenHoldsWhileMachinesAreBusy(t *testing.T) {
	f := newFixture(t)
	sm := f.scheduledMachine("gpu", v1alpha1.PhaseProvisioning)
	f.scheduledMachine("idle", v1alpha1.PhaseInactive)

	req := &runtimehooksv1.BeforeClusterUpgradeRequest{Cluster: *f.freshCluster(), FromKubernetesVersion: "v1.35.4", ToKubernetesVersion: "v1.36.2"}
	resp := &runtimehooksv1.BeforeClusterUpgradeResponse{}
	f.h.BeforeClusterUpgrade(f.ctx, req, resp)
	f.g.Expect(resp.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
	f.g.Expect(resp.RetryAfterSeconds).To(BeEquivalentTo(7), "blocks while gpu is Provisioning")
	f.g.Expect(resp.Message).To(Equal("5-Spot: waiting for ScheduledMachines to settle: gpu (Provisioning)"))
	cluster := f.freshCluster()
	for _, name := range []string{"gpu", "idle"} {
		f.g.Expect(f.annotations(name)).To(HaveKeyWithValue(lifecycle.FreezeAnnotation, "upgrade from v1.35.4 to v1.36.2"),
			"activations of %s are frozen first", name)
	}
	f.g.Expect(f.wakes.all()).To(ContainElement(client.ObjectKeyFromObject(cluster)))

	// Idempotent: the same call again writes nothing and answers the same.
	rv := f.resourceVersion("idle")
	again := &runtimehooksv1.BeforeClusterUpgradeResponse{}
	f.h.BeforeClusterUpgrade(f.ctx, &runtimehooksv1.BeforeClusterUpgradeRequest{Cluster: *cluster, FromKubernetesVersion: "v1.35.4", ToKubernetesVersion: "v1.36.2"}, again)
	f.g.Expect(again).To(Equal(resp))
	f.g.Expect(f.resourceVersion("idle")).To(Equal(rv))

	f.setPhase(sm, v1alpha1.PhaseActive)
	clear := &runtimehooksv1.BeforeControlPlaneUpgradeResponse{}
	f.h.BeforeControlPlaneUpgrade(f.ctx, &runtimehooksv1.BeforeControlPlaneUpgradeRequest{Cluster: *f.freshCluster(), FromKubernetesVersion: "v1.35.4", ToKubernetesVersion: "v1.36.2"}, clear)
	f.g.Expect(clear.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
	f.g.Expect(clear.RetryAfterSeconds).To(BeZero())

	done := &runtimehooksv1.AfterClusterUpgradeResponse{}
	f.h.AfterClusterUpgrade(f.ctx, &runtimehooksv1.AfterClusterUpgradeRequest{Cluster: *f.freshCluster(), KubernetesVersion: "v1.36.2"}, done)
	f.g.Expect(done.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
	f.g.Expect(f.annotations("gpu")).NotTo(HaveKey(lifecycle.FreezeAnnotation), "AfterClusterUpgrade lifts the freeze")
	f.g.Expect(f.annotations("idle")).NotTo(HaveKey(lifecycle.FreezeAnnotation))
}

func TestAfterWorkersUpgradeHoldsUntilScheduledMachinesRunTheNewVersion(t *testing.T) {
	f := newFixture(t)
	m := f.machine("gpu-1", "v1.35.4")
	req := &runtimehooksv1.AfterWorkersUpgradeRequest{Cluster: *f.freshCluster(), KubernetesVersion: "v1.36.2"}
	resp := &runtimehooksv1.AfterWorkersUpgradeResponse{}
	f.h.AfterWorkersUpgrade(f.ctx, req, resp)
	f.g.Expect(resp.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
	f.g.Expect(resp.RetryAfterSeconds).To(BeEquivalentTo(7))
	f.g.Expect(resp.Message).To(Equal("5-Spot: waiting for scheduled Machines to run v1.36.2: gpu-1 (v1.35.4)"))

	f.g.Expect(env.Client.Delete(f.ctx, m)).To(Succeed()) // replaced...
	f.machine("gpu-2", "v1.36.2")                         // ...at the new version
	resp = &runtimehooksv1.AfterWorkersUpgradeResponse{}
	f.h.AfterWorkersUpgrade(f.ctx, req, resp)
	f.g.Expect(resp.RetryAfterSeconds).To(BeZero())
	f.g.Expect(resp.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
}

func TestBeforeClusterDeleteHoldsUntilScheduledMachinesAreGone(t *testing.T) {
	f := newFixture(t)
	m := f.machine("gpu-1", "v1.36.2")
	req := &runtimehooksv1.BeforeClusterDeleteRequest{Cluster: *f.freshCluster()}
	resp := &runtimehooksv1.BeforeClusterDeleteResponse{}
	f.h.BeforeClusterDelete(f.ctx, req, resp)
	f.g.Expect(resp.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
	f.g.Expect(resp.RetryAfterSeconds).To(BeEquivalentTo(7))
	f.g.Expect(resp.Message).To(Equal("5-Spot: waiting for scheduled Machines to be deleted: gpu-1"))
	f.g.Expect(f.wakes.all()).NotTo(BeEmpty(), "the controller is woken to delete them")

	f.g.Expect(env.Client.Delete(f.ctx, m)).To(Succeed())
	resp = &runtimehooksv1.BeforeClusterDeleteResponse{}
	f.h.BeforeClusterDelete(f.ctx, req, resp)
	f.g.Expect(resp.RetryAfterSeconds).To(BeZero())
}

func TestNonBlockingHooksSucceedAndWake(t *testing.T) {
	f := newFixture(t)
	c := *f.freshCluster()
	r1 := &runtimehooksv1.AfterControlPlaneInitializedResponse{}
	f.h.AfterControlPlaneInitialized(f.ctx, &runtimehooksv1.AfterControlPlaneInitializedRequest{Cluster: c}, r1)
	r2 := &runtimehooksv1.AfterControlPlaneUpgradeResponse{}
	f.h.AfterControlPlaneUpgrade(f.ctx, &runtimehooksv1.AfterControlPlaneUpgradeRequest{Cluster: c, KubernetesVersion: "v1.36.2"}, r2)
	r3 := &runtimehooksv1.BeforeWorkersUpgradeResponse{}
	f.h.BeforeWorkersUpgrade(f.ctx, &runtimehooksv1.BeforeWorkersUpgradeRequest{Cluster: c, ToKubernetesVersion: "v1.36.2"}, r3)
	for _, st := range []runtimehooksv1.ResponseStatus{r1.Status, r2.Status, r3.Status} {
		f.g.Expect(st).To(Equal(runtimehooksv1.ResponseStatusSuccess), "Status is always set explicitly")
	}
	f.g.Expect(r2.RetryAfterSeconds).To(BeZero())
	f.g.Expect(f.wakes.all()).To(HaveLen(3))
}
