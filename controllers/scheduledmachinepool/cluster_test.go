package scheduledmachinepool_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

func (f *fixture) freshCluster(name string) *clusterv1.Cluster {
	cl := &clusterv1.Cluster{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, cl)).To(Succeed())
	return cl
}

// The pool goes through the same Cluster gate as a ScheduledMachine: a
// missing Cluster creates nothing, an upgrade freeze holds new Machines, a
// paused Cluster holds every change, and a deleting Cluster gets the pool's
// Machines removed at once so that its deletion completes.
func TestClusterGateMissingFrozenPausedDeleting(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	p := f.pool("gated", 2)
	p.Spec.ClusterName = "later"
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	f.g.Eventually(func() string { return conditions.GetReason(f.get(p), v1alpha1.ReferencesValidCondition) }).Should(Equal(v1alpha1.ReasonClusterNotFound))
	f.g.Expect(f.machines(p)).To(BeEmpty())
	f.g.Expect(conditions.IsFalse(f.get(p), v1alpha1.ReadyCondition)).To(BeTrue())

	f.createCluster("later")
	f.eventuallyMachines(p, "gated-1", "gated-2") // woken by the Cluster watch

	// An upgrade freezes new Machines (the Runtime SDK hooks annotate the pool).
	f.g.Expect(lifecycle.SetFreeze(f.ctx, env.Client, f.get(p), "upgrade from v1.36.0 to v1.37.0")).To(Succeed())
	f.g.Eventually(func() bool { return conditions.IsTrue(f.get(p), v1alpha1.ActivationsFrozenCondition) }).Should(BeTrue())
	f.update(p, func(p *v1alpha1.ScheduledMachinePool) { p.Spec.Replicas = ptr.To[int32](3) })
	f.g.Consistently(func() []string { return f.machines(p) }).WithTimeout(time.Second).Should(HaveLen(2))
	f.g.Expect(lifecycle.SetFreeze(f.ctx, env.Client, f.get(p), "")).To(Succeed())
	f.eventuallyMachines(p, "gated-1", "gated-2", "gated-3")

	// A paused Cluster: no change at all.
	cl := f.freshCluster("later")
	cl.Spec.Paused = ptr.To(true)
	f.g.Expect(env.Client.Update(f.ctx, cl)).To(Succeed())
	f.g.Eventually(func() bool { return conditions.IsTrue(f.get(p), v1alpha1.PausedCondition) }).Should(BeTrue())
	f.update(p, func(p *v1alpha1.ScheduledMachinePool) { p.Spec.Replicas = ptr.To[int32](4) })
	f.g.Consistently(func() []string { return f.machines(p) }).WithTimeout(time.Second).Should(HaveLen(3))
	f.g.Expect(f.get(p).Status.Machines).To(HaveLen(3), "status is not rewritten while paused")
	cl = f.freshCluster("later")
	cl.Spec.Paused = ptr.To(false)
	f.g.Expect(env.Client.Update(f.ctx, cl)).To(Succeed())
	f.eventuallyMachines(p, "gated-1", "gated-2", "gated-3", "gated-4")
	f.runAll(p)
	f.eventuallyReady(p, 4)

	// The Cluster is deleted (a finalizer stands in for CAPI's cluster
	// controller, which waits for the Machines): ours go at once, uncordoned.
	cl = f.freshCluster("later")
	cl.Finalizers = []string{"test.5spot/wait-for-machines"}
	f.g.Expect(env.Client.Update(f.ctx, cl)).To(Succeed())
	f.g.Expect(env.Client.Delete(f.ctx, cl)).To(Succeed())
	f.eventuallyMachines(p)
	f.g.Expect(f.node("gated-1").Spec.Unschedulable).To(BeFalse(), "no grace period during teardown")
	f.g.Eventually(func() []v1alpha1.PoolMachine { return f.get(p).Status.Machines }).Should(BeEmpty())
	cl = f.freshCluster("later")
	cl.Finalizers = nil
	f.g.Expect(env.Client.Update(f.ctx, cl)).To(Succeed())
}

// Deleting the pool removes its Machines and only then releases it.
func TestDeletingThePoolRemovesItsMachinesFirst(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	p := f.pool("bye", 2)
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	f.eventuallyMachines(p, "bye-1", "bye-2")
	m := f.machine("bye-1")
	m.Finalizers = append(m.Finalizers, "test.5spot/hold")
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())

	f.g.Expect(env.Client.Delete(f.ctx, f.get(p))).To(Succeed())
	f.g.Eventually(func() bool { return f.gone("bye-2") && !f.machine("bye-1").DeletionTimestamp.IsZero() }).Should(BeTrue())
	f.g.Consistently(func() bool { return f.exists(&v1alpha1.ScheduledMachinePool{ObjectMeta: p.ObjectMeta}) }).
		WithTimeout(time.Second).Should(BeTrue(), "the finalizer holds the pool while a Machine exists")
	f.g.Expect(conditions.IsTrue(f.get(p), v1alpha1.DeletingCondition)).To(BeTrue())

	m = f.machine("bye-1")
	m.Finalizers = nil
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	f.g.Eventually(func() bool { return f.exists(&v1alpha1.ScheduledMachinePool{ObjectMeta: p.ObjectMeta}) }).Should(BeFalse())
	for _, name := range []string{"bye-1", "bye-2"} {
		f.g.Expect(f.exists(unstructuredRef("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig", f.ns, name))).To(BeFalse())
		f.g.Expect(f.exists(unstructuredRef("infrastructure.cluster.x-k8s.io/v1beta2", "DevMachine", f.ns, name))).To(BeFalse())
	}
}
