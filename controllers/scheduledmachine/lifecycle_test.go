package scheduledmachine_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// Inactive → Provisioning → Active → ShuttingDown → Inactive, with every
// object, reference, label, owner and status field checked on the way.
func TestWindowOpensActivatesAndClosesGracefully(t *testing.T) {
	useClock(t, start) // Monday 08:00 UTC: before the 09-17 window
	f := newFixture(t)
	sm := f.sm("gpu")
	sm.Spec.MachineTemplate = &v1alpha1.MachineTemplate{Labels: map[string]string{"team": "ml"}, Annotations: map[string]string{"note": "gpu box"}}
	sm.Spec.NodeTaints = []v1alpha1.NodeTaint{{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())

	got := f.eventuallyPhase(sm, v1alpha1.PhaseInactive)
	f.g.Expect(got.Status.InSchedule).To(BeFalse())
	f.g.Expect(got.Status.NextActivation.Time).To(BeTemporally("==", start.Add(time.Hour)))
	f.g.Expect(got.Status.NextCleanup).To(BeNil())
	f.g.Expect(got.Status.MachineRef).To(BeNil())
	f.g.Expect(got.Finalizers).To(ContainElement(v1alpha1.Finalizer))

	// 09:00: the window opens.
	clk.SetTime(start.Add(time.Hour))
	f.poke(sm)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.g.Expect(got.Status.InSchedule).To(BeTrue())
	f.g.Expect(got.Status.NextCleanup.Time).To(BeTemporally("==", start.Add(10*time.Hour)), "09-17 is inclusive: cleanup at 18:00")
	f.g.Expect(got.Status.LastScheduledTime.Time).To(BeTemporally("==", start.Add(time.Hour)))
	f.g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
	f.g.Expect(got.Status.MachineRef.Name).To(Equal("gpu-1"))
	f.g.Expect(got.Status.BootstrapRef).To(Equal(&v1alpha1.ObjectReference{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig", Name: "gpu-1"}))
	f.g.Expect(got.Status.InfrastructureRef).To(Equal(&v1alpha1.ObjectReference{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DevMachine", Name: "gpu-1"}))

	m := f.machine("gpu-1")
	f.g.Expect(m.Spec.ClusterName).To(Equal("c1"))
	f.g.Expect(m.Spec.Version).To(Equal("v1.36.0"))
	f.g.Expect(m.Spec.Deletion.NodeDrainTimeoutSeconds).To(HaveValue(BeEquivalentTo(180)))
	f.g.Expect(m.Spec.Bootstrap.ConfigRef).To(Equal(clusterv1.ContractVersionedObjectReference{APIGroup: "bootstrap.cluster.x-k8s.io", Kind: "KubeadmConfig", Name: "gpu-1"}))
	f.g.Expect(m.Spec.InfrastructureRef).To(Equal(clusterv1.ContractVersionedObjectReference{APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "DevMachine", Name: "gpu-1"}))
	f.g.Expect(m.Labels).To(And(HaveKeyWithValue(clusterv1.ClusterNameLabel, "c1"), HaveKeyWithValue(v1alpha1.ScheduledMachineLabel, "gpu"), HaveKeyWithValue("team", "ml")))
	f.g.Expect(m.Annotations).To(HaveKeyWithValue("note", "gpu box"))
	f.g.Expect(m.OwnerReferences).To(ConsistOf(And(
		HaveField("UID", got.UID), HaveField("Controller", HaveValue(BeTrue())))), "the ScheduledMachine is the Machine's controller")
	for _, kind := range []struct{ apiVersion, kind string }{{"bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig"}, {"infrastructure.cluster.x-k8s.io/v1beta2", "DevMachine"}} {
		u := unstructuredRef(kind.apiVersion, kind.kind, f.ns, "gpu-1")
		f.g.Expect(f.exists(u)).To(BeTrue(), "%s created", kind.kind)
		f.g.Expect(u.GetOwnerReferences()).To(ConsistOf(And(HaveField("UID", got.UID), HaveField("Controller", BeNil()))),
			"%s: a non-controller owner reference, left for CAPI's Machine controller to adopt", kind.kind)
		f.g.Expect(u.GetLabels()).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, "c1"))
	}

	// CAPI brings the Machine up; the Node is Ready in the workload cluster.
	f.emulateCAPIRunning("gpu-1", "node-gpu-1", true)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseActive)
	f.g.Expect(got.Status.NodeRef).To(Equal(&v1alpha1.NodeReference{Name: "node-gpu-1"}))
	f.g.Expect(got.Status.ProviderID).To(Equal("in-memory://node-gpu-1"))
	f.g.Expect(conditions.IsTrue(got, v1alpha1.MachineReadyCondition)).To(BeTrue())
	f.g.Expect(conditions.IsTrue(got, v1alpha1.ReadyCondition)).To(BeTrue())
	f.g.Eventually(func() []corev1.Taint { return f.node("node-gpu-1").Spec.Taints }).Should(ContainElement(corev1.Taint{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}))
	f.g.Eventually(func() []v1alpha1.NodeTaint { return f.get(sm).Status.AppliedNodeTaints }).Should(HaveLen(1))

	// 18:00: the window closes. Cordon, then the grace period.
	clk.SetTime(start.Add(10 * time.Hour))
	f.poke(sm)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseShuttingDown)
	f.g.Expect(got.Status.ShutdownDeadline.Time).To(BeTemporally("==", start.Add(10*time.Hour+2*time.Minute)))
	f.g.Expect(f.node("node-gpu-1").Spec.Unschedulable).To(BeTrue(), "the Node is cordoned in the workload cluster")
	f.g.Expect(f.machine("gpu-1").DeletionTimestamp.IsZero()).To(BeTrue(), "the Machine is kept during the grace period")

	// A restart does not reset the grace: the deadline is in status.
	f.poke(sm)
	f.g.Consistently(func() *metav1.Time { return f.get(sm).Status.ShutdownDeadline }).WithTimeout(time.Second).
		Should(HaveField("Time", BeTemporally("==", start.Add(10*time.Hour+2*time.Minute))))

	// After the grace period the Machine is deleted (CAPI drains it; in this
	// test no CAPI finalizer holds it), then its bootstrap and infrastructure objects.
	clk.SetTime(start.Add(10*time.Hour + 2*time.Minute))
	f.poke(sm)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseInactive)
	f.g.Expect(f.exists(&clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "gpu-1", Namespace: f.ns}})).To(BeFalse())
	f.g.Expect(f.exists(unstructuredRef("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig", f.ns, "gpu-1"))).To(BeFalse())
	f.g.Expect(f.exists(unstructuredRef("infrastructure.cluster.x-k8s.io/v1beta2", "DevMachine", f.ns, "gpu-1"))).To(BeFalse())
	f.g.Expect(got.Status.MachineRef).To(BeNil())
	f.g.Expect(got.Status.NextActivation.Time).To(BeTemporally("==", start.Add(25*time.Hour)), "Tuesday 09:00")
	f.g.Expect(f.events(sm)).To(ContainElements("Normal/Provisioning", "Normal/Active", "Normal/ShuttingDown", "Normal/Inactive"))
}

// ShuttingDown → Active: a window reopening before the Machine is deleted
// uncordons and keeps it.
func TestWindowReopeningDuringShutdownKeepsTheMachine(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("reopen")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.emulateCAPIRunning("reopen-1", "node-reopen-1", true)
	f.eventuallyPhase(sm, v1alpha1.PhaseActive)

	// ForceOff for a minute, then the schedule (still 09-17) wants it again.
	cur := f.get(sm)
	cur.Spec.Override = &v1alpha1.ScheduleOverride{Mode: v1alpha1.OverrideForceOff, Until: metav1.NewTime(start.Add(time.Hour + time.Minute))}
	f.g.Expect(env.Client.Update(f.ctx, cur)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseShuttingDown)
	f.g.Expect(f.node("node-reopen-1").Spec.Unschedulable).To(BeTrue())

	clk.SetTime(start.Add(time.Hour + time.Minute)) // the override expires: in schedule again
	f.poke(sm)
	got := f.eventuallyPhase(sm, v1alpha1.PhaseActive)
	f.g.Expect(got.Status.MachineRef.Name).To(Equal("reopen-1"), "the same Machine is kept")
	f.g.Expect(got.Status.ShutdownDeadline).To(BeNil())
	f.g.Expect(f.node("node-reopen-1").Spec.Unschedulable).To(BeFalse(), "5-Spot lifts its own cordon")
}

// A Machine of the previous window still being deleted when the next window
// opens: the new activation gets new names and proceeds (trap: leftovers
// made creation fail for good).
func TestNextWindowWhilePreviousMachineIsStillDeleting(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("overlap")
	sm.Spec.GracefulShutdownTimeout = &metav1.Duration{}
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)

	// A finalizer stands in for CAPI's drain, holding the Machine.
	m := f.machine("overlap-1")
	m.Finalizers = append(m.Finalizers, "test.5spot/hold")
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	f.emulateCAPIRunning("overlap-1", "node-overlap-1", true)
	f.eventuallyPhase(sm, v1alpha1.PhaseActive)

	clk.SetTime(start.Add(10 * time.Hour)) // closes
	f.poke(sm)
	f.g.Eventually(func() bool { return !f.machine("overlap-1").DeletionTimestamp.IsZero() }).Should(BeTrue())
	f.eventuallyPhase(sm, v1alpha1.PhaseShuttingDown)

	clk.SetTime(start.Add(25 * time.Hour)) // Tuesday 09:00: the next window
	f.poke(sm)
	got := f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.g.Expect(got.Status.MachineRef.Name).To(Equal("overlap-2"))
	f.g.Expect(got.Status.Activation).To(BeEquivalentTo(2))
	f.g.Expect(f.exists(&clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "overlap-2", Namespace: f.ns}})).To(BeTrue())
	f.g.Expect(f.machine("overlap-1").DeletionTimestamp.IsZero()).To(BeFalse(), "the previous Machine is still going")

	old := f.machine("overlap-1")
	old.Finalizers = nil
	f.g.Expect(env.Client.Update(f.ctx, old)).To(Succeed())
}

// Active → Terminated → (killSwitch=false) Provisioning.
func TestKillSwitchTerminatesWithoutDrainAndRecovers(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("kill")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	m := f.machine("kill-1")
	m.Finalizers = append(m.Finalizers, "test.5spot/hold")
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	f.emulateCAPIRunning("kill-1", "node-kill-1", true)
	f.eventuallyPhase(sm, v1alpha1.PhaseActive)

	cur := f.get(sm)
	cur.Spec.KillSwitch = true
	f.g.Expect(env.Client.Update(f.ctx, cur)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseTerminated)
	m = f.machine("kill-1")
	f.g.Expect(m.DeletionTimestamp.IsZero()).To(BeFalse(), "deleted at once, no grace period")
	f.g.Expect(m.Annotations).To(HaveKey(clusterv1.ExcludeNodeDrainingAnnotation), "and without drain")
	f.g.Expect(f.node("node-kill-1").Spec.Unschedulable).To(BeFalse(), "no cordon either")
	m.Finalizers = nil
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	f.g.Eventually(func() *v1alpha1.ObjectReference { return f.get(sm).Status.MachineRef }).Should(BeNil())
	f.g.Expect(f.get(sm).Status.Phase).To(Equal(v1alpha1.PhaseTerminated), "stays Terminated while the switch is on")
	f.g.Expect(f.events(sm)).To(ContainElement("Warning/Terminated"))

	cur = f.get(sm)
	cur.Spec.KillSwitch = false
	f.g.Expect(env.Client.Update(f.ctx, cur)).To(Succeed())
	got := f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.g.Expect(got.Status.MachineRef.Name).To(Equal("kill-2"))
}

// Active → Disabled (machine kept) → enabled again; and Disabled → Pending.
func TestDisablingKeepsTheMachineAndReenablingReevaluates(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("pause")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.emulateCAPIRunning("pause-1", "node-pause-1", true)
	f.eventuallyPhase(sm, v1alpha1.PhaseActive)

	cur := f.get(sm)
	cur.Spec.Schedule.Enabled = ptr.To(false)
	f.g.Expect(env.Client.Update(f.ctx, cur)).To(Succeed())
	got := f.eventuallyPhase(sm, v1alpha1.PhaseDisabled)
	f.g.Expect(got.Status.InSchedule).To(BeFalse())
	clk.SetTime(start.Add(10 * time.Hour)) // even outside the window nothing is removed
	f.poke(sm)
	f.g.Consistently(func() bool { return f.machine("pause-1").DeletionTimestamp.IsZero() }).WithTimeout(time.Second).Should(BeTrue())

	cur = f.get(sm)
	cur.Spec.Schedule.Enabled = ptr.To(true)
	f.g.Expect(env.Client.Update(f.ctx, cur)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseShuttingDown) // re-evaluated: out of schedule now

	// Disabled → Pending: re-enabled in schedule while the control plane is not initialized.
	g2 := newFixture(t)
	cl := g2.cluster
	cl.Status.Initialization.ControlPlaneInitialized = ptr.To(false)
	g2.g.Expect(env.Client.Status().Update(g2.ctx, cl)).To(Succeed())
	clk.SetTime(start.Add(time.Hour))
	sm2 := g2.sm("later")
	sm2.Spec.Schedule.Enabled = ptr.To(false)
	g2.g.Expect(env.Client.Create(g2.ctx, sm2)).To(Succeed())
	g2.eventuallyPhase(sm2, v1alpha1.PhaseDisabled)
	cur = g2.get(sm2)
	cur.Spec.Schedule.Enabled = ptr.To(true)
	g2.g.Expect(env.Client.Update(g2.ctx, cur)).To(Succeed())
	got = g2.eventuallyPhase(sm2, v1alpha1.PhasePending)
	g2.g.Expect(conditions.GetReason(got, v1alpha1.PreflightChecksPassedCondition)).To(Equal(v1alpha1.ReasonControlPlaneNotReady))
}

// Deleting the ScheduledMachine removes its Machine and only then releases it.
func TestDeletingTheScheduledMachineCleansUp(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("bye")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	m := f.machine("bye-1")
	m.Finalizers = append(m.Finalizers, "test.5spot/hold")
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())

	f.g.Expect(env.Client.Delete(f.ctx, f.get(sm))).To(Succeed())
	f.g.Eventually(func() bool { return !f.machine("bye-1").DeletionTimestamp.IsZero() }).Should(BeTrue())
	f.g.Consistently(func() bool { return f.exists(&v1alpha1.ScheduledMachine{ObjectMeta: sm.ObjectMeta}) }).
		WithTimeout(time.Second).Should(BeTrue(), "the finalizer holds the object while its Machine exists")
	f.g.Expect(conditions.IsTrue(f.get(sm), v1alpha1.DeletingCondition)).To(BeTrue())

	m = f.machine("bye-1")
	m.Finalizers = nil
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	f.g.Eventually(func() bool { return f.exists(&v1alpha1.ScheduledMachine{ObjectMeta: sm.ObjectMeta}) }).WithTimeout(20*time.Second).
		Should(BeFalse(), "released once the Machine and its objects are gone")
	f.g.Expect(f.exists(unstructuredRef("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig", f.ns, "bye-1"))).To(BeFalse())
}

var _ = client.IgnoreNotFound
