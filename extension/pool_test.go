package extension_test

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	runtimehooksv1 "sigs.k8s.io/cluster-api/api/runtime/hooks/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// poolMachine creates a Machine a ScheduledMachinePool would have created.
func (f *fixture) poolMachine(pool, name, version string) *clusterv1.Machine {
	m := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.cluster.Namespace, Labels: map[string]string{
			clusterv1.ClusterNameLabel: f.cluster.Name, v1alpha1.ScheduledMachinePoolLabel: pool}},
		Spec: clusterv1.MachineSpec{ClusterName: f.cluster.Name, Version: version,
			Bootstrap:         clusterv1.Bootstrap{DataSecretName: ptrTo("x")},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "DevMachine", Name: name}},
	}
	f.g.Expect(env.Client.Create(f.ctx, m)).To(Succeed())
	return m
}

// pool creates a ScheduledMachinePool of the Cluster whose Machines are in phases.
func (f *fixture) pool(name string, phases ...v1alpha1.Phase) *v1alpha1.ScheduledMachinePool {
	p := &v1alpha1.ScheduledMachinePool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.cluster.Namespace},
		Spec: v1alpha1.ScheduledMachinePoolSpec{
			ClusterName: f.cluster.Name,
			Template: v1alpha1.ScheduledMachineTemplate{
				BootstrapSpec: v1alpha1.EmbeddedResource{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig",
					Spec: runtime.RawExtension{Raw: []byte(`{}`)}},
				InfrastructureSpec: v1alpha1.EmbeddedResource{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DevMachine",
					Spec: runtime.RawExtension{Raw: []byte(`{}`)}},
			},
		},
	}
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	for i, phase := range phases {
		p.Status.Machines = append(p.Status.Machines, v1alpha1.PoolMachine{Name: name + "-" + string(rune('1'+i)), Phase: phase})
	}
	f.g.Expect(env.Client.Status().Update(f.ctx, p)).To(Succeed())
	return p
}

func (f *fixture) poolAnnotations(name string) map[string]string {
	p := &v1alpha1.ScheduledMachinePool{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKey{Namespace: f.cluster.Namespace, Name: name}, p)).To(Succeed())
	return p.Annotations
}

// Pool Machines hold cluster deletion and upgrades exactly like
// ScheduledMachine Machines.
func TestHooksTreatPoolMachinesLikeScheduledMachineMachines(t *testing.T) {
	f := newFixture(t)
	f.pool("workers", v1alpha1.PhaseActive, v1alpha1.PhaseProvisioning, v1alpha1.PhaseShuttingDown)
	f.pool("idle", v1alpha1.PhaseActive)
	old := f.poolMachine("workers", "workers-1", "v1.35.4")

	upgrade := &runtimehooksv1.BeforeClusterUpgradeResponse{}
	f.h.BeforeClusterUpgrade(f.ctx, &runtimehooksv1.BeforeClusterUpgradeRequest{Cluster: *f.freshCluster(),
		FromKubernetesVersion: "v1.35.4", ToKubernetesVersion: "v1.36.2"}, upgrade)
	f.g.Expect(upgrade.RetryAfterSeconds).To(BeEquivalentTo(7))
	f.g.Expect(upgrade.Message).To(Equal("5-Spot: waiting for ScheduledMachines to settle: workers (ScheduledMachinePool: 1 Provisioning, 1 ShuttingDown)"))
	for _, name := range []string{"workers", "idle"} {
		f.g.Expect(f.poolAnnotations(name)).To(HaveKeyWithValue(lifecycle.FreezeAnnotation, "upgrade from v1.35.4 to v1.36.2"),
			"new Machines of pool %s are held first", name)
	}

	workers := &runtimehooksv1.AfterWorkersUpgradeResponse{}
	f.h.AfterWorkersUpgrade(f.ctx, &runtimehooksv1.AfterWorkersUpgradeRequest{Cluster: *f.freshCluster(), KubernetesVersion: "v1.36.2"}, workers)
	f.g.Expect(workers.RetryAfterSeconds).To(BeEquivalentTo(7))
	f.g.Expect(workers.Message).To(Equal("5-Spot: waiting for scheduled Machines to run v1.36.2: workers-1 (v1.35.4)"))

	del := &runtimehooksv1.BeforeClusterDeleteResponse{}
	f.h.BeforeClusterDelete(f.ctx, &runtimehooksv1.BeforeClusterDeleteRequest{Cluster: *f.freshCluster()}, del)
	f.g.Expect(del.RetryAfterSeconds).To(BeEquivalentTo(7))
	f.g.Expect(del.Message).To(Equal("5-Spot: waiting for scheduled Machines to be deleted: workers-1"))

	done := &runtimehooksv1.AfterClusterUpgradeResponse{}
	f.h.AfterClusterUpgrade(f.ctx, &runtimehooksv1.AfterClusterUpgradeRequest{Cluster: *f.freshCluster(), KubernetesVersion: "v1.36.2"}, done)
	f.g.Expect(done.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
	f.g.Expect(f.poolAnnotations("workers")).NotTo(HaveKey(lifecycle.FreezeAnnotation), "AfterClusterUpgrade lifts the hold")

	f.g.Expect(env.Client.Delete(f.ctx, old)).To(Succeed())
	del = &runtimehooksv1.BeforeClusterDeleteResponse{}
	f.h.BeforeClusterDelete(f.ctx, &runtimehooksv1.BeforeClusterDeleteRequest{Cluster: *f.freshCluster()}, del)
	f.g.Expect(del.RetryAfterSeconds).To(BeZero())
	f.g.Expect(del.Status).To(Equal(runtimehooksv1.ResponseStatusSuccess))
}
