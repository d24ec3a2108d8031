package scheduledmachine_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

func TestMissingClusterCreatesNothingUntilItExists(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("orphan")
	sm.Spec.ClusterName = "later"
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.g.Eventually(func() string { return conditions.GetReason(f.get(sm), v1alpha1.ReferencesValidCondition) }).Should(Equal(v1alpha1.ReasonClusterNotFound))
	f.g.Expect(f.get(sm).Status.MachineRef).To(BeNil())

	f.createCluster("later")
	got := f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.g.Expect(conditions.IsTrue(got, v1alpha1.ReferencesValidCondition)).To(BeTrue())
}

func TestPausedClusterFreezesChanges(t *testing.T) {
	useClock(t, start) // before the window
	f := newFixture(t)
	f.cluster.Spec.Paused = ptr.To(true)
	f.g.Expect(env.Client.Update(f.ctx, f.cluster)).To(Succeed())
	sm := f.sm("frozen")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.g.Eventually(func() bool { return conditions.IsTrue(f.get(sm), v1alpha1.PausedCondition) }).Should(BeTrue())

	clk.SetTime(start.Add(time.Hour)) // the window opens while paused
	f.poke(sm)
	f.g.Consistently(func() *v1alpha1.ObjectReference { return f.get(sm).Status.MachineRef }).WithTimeout(time.Second).Should(BeNil())

	cl := &clusterv1.Cluster{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(f.cluster), cl)).To(Succeed())
	cl.Spec.Paused = ptr.To(false)
	f.g.Expect(env.Client.Update(f.ctx, cl)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning) // woken by the Cluster watch
}

// Deleting the Cluster while a scheduled Machine is Active completes: 5-Spot
// deletes its Machine at once (CAPI does not delete Machines another
// controller owns, and its Cluster deletion would wait for them forever).
func TestClusterDeletionRemovesOurMachineSoDeletionCompletes(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("teardown")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.emulateCAPIRunning("teardown-1", "node-teardown-1", true)
	f.eventuallyPhase(sm, v1alpha1.PhaseActive)

	// A finalizer plays CAPI's cluster controller: it waits for the Machines.
	cl := &clusterv1.Cluster{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(f.cluster), cl)).To(Succeed())
	cl.Finalizers = []string{"test.5spot/wait-for-machines"}
	f.g.Expect(env.Client.Update(f.ctx, cl)).To(Succeed())
	f.g.Expect(env.Client.Delete(f.ctx, cl)).To(Succeed())

	f.g.Eventually(func() bool {
		return f.exists(&clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "teardown-1", Namespace: f.ns}})
	}).WithTimeout(20*time.Second).Should(BeFalse(), "our Machine is deleted at once, without the grace period")
	f.g.Expect(f.node("node-teardown-1").Spec.Unschedulable).To(BeFalse(), "no cordon and grace wait during teardown")

	machines := &clusterv1.MachineList{}
	f.g.Expect(env.Client.List(f.ctx, machines, client.InNamespace(f.ns))).To(Succeed())
	f.g.Expect(machines.Items).To(BeEmpty())
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(cl), cl)).To(Succeed())
	cl.Finalizers = nil
	f.g.Expect(env.Client.Update(f.ctx, cl)).To(Succeed())
	f.g.Eventually(func() bool { return f.exists(&clusterv1.Cluster{ObjectMeta: f.cluster.ObjectMeta}) }).Should(BeFalse())
}
