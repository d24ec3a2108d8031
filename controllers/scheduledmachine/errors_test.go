package scheduledmachine_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	capierrors "sigs.k8s.io/cluster-api/api/deprecated/errors"
	"sigs.k8s.io/cluster-api/util/conditions"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// Provisioning → Error (infrastructure failure) → backoff → Provisioning.
func TestInfrastructureFailureErrorsBacksOffAndRecovers(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("flaky")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)

	m := f.machine("flaky-1")
	m.Status.Deprecated = &clusterv1.MachineDeprecatedStatus{V1Beta1: &clusterv1.MachineV1Beta1DeprecatedStatus{
		FailureReason: ptr.To[capierrors.MachineStatusError]("CreateError"), FailureMessage: ptr.To("no capacity in rack 3"),
	}}
	f.g.Expect(env.Client.Status().Update(f.ctx, m)).To(Succeed())

	got := f.eventuallyPhase(sm, v1alpha1.PhaseError)
	f.g.Expect(conditions.GetReason(got, v1alpha1.MachineReadyCondition)).To(Equal(v1alpha1.ReasonInfrastructureFailed))
	f.g.Expect(conditions.GetMessage(got, v1alpha1.MachineReadyCondition)).To(ContainSubstring("no capacity in rack 3"))
	f.g.Expect(got.Status.Retry.Attempts).To(BeEquivalentTo(1))
	f.g.Expect(got.Status.Retry.NextRetryTime.Time).To(BeTemporally("==", start.Add(time.Hour+30*time.Second)))
	f.g.Eventually(func() bool {
		return f.exists(&clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "flaky-1", Namespace: f.ns}})
	}).
		Should(BeFalse(), "the failed Machine is deleted")
	f.g.Expect(f.events(sm)).To(ContainElement("Warning/Error"))

	// Before the backoff expires nothing is created.
	f.poke(sm)
	f.g.Consistently(func() v1alpha1.Phase { return f.get(sm).Status.Phase }).WithTimeout(time.Second).Should(Equal(v1alpha1.PhaseError))

	clk.SetTime(start.Add(time.Hour + 30*time.Second))
	f.poke(sm)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.g.Expect(got.Status.MachineRef.Name).To(Equal("flaky-2"), "a fresh activation")
	f.emulateCAPIRunning("flaky-2", "node-flaky-2", true)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseActive)
	f.g.Expect(got.Status.Retry).To(BeNil(), "success resets the backoff")
}

// Provisioning → Error when the Machine is not Running within the timeout;
// the backoff doubles (kept in status across attempts).
func TestProvisioningTimeoutErrorsWithDoublingBackoff(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("slow")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)

	clk.SetTime(start.Add(time.Hour + provisioningTimeout))
	f.poke(sm)
	got := f.eventuallyPhase(sm, v1alpha1.PhaseError)
	f.g.Expect(conditions.GetReason(got, v1alpha1.MachineReadyCondition)).To(Equal(v1alpha1.ReasonProvisioningTimeout))

	at := start.Add(time.Hour + provisioningTimeout + 30*time.Second)
	clk.SetTime(at)
	f.poke(sm)
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	clk.SetTime(at.Add(provisioningTimeout))
	f.poke(sm)
	got = f.eventuallyPhase(sm, v1alpha1.PhaseError)
	f.g.Expect(got.Status.Retry.Attempts).To(BeEquivalentTo(2))
	f.g.Expect(got.Status.Retry.NextRetryTime.Time).To(BeTemporally("==", at.Add(provisioningTimeout+time.Minute)), "30 s doubled")
}

// A Running Machine whose Node is not Ready is reported, never deleted.
func TestNodeNeverReadyIsReportedNotDeleted(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("sick")
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	f.emulateCAPIRunning("sick-1", "node-sick-1", false)

	f.g.Eventually(func() string { return conditions.GetReason(f.get(sm), v1alpha1.MachineReadyCondition) }).
		Should(Equal(v1alpha1.ReasonNodeNotReady))
	f.g.Eventually(func() []string { return f.events(sm) }).Should(ContainElement("Warning/NodeNotReady"))
	f.g.Expect(f.machine("sick-1").DeletionTimestamp.IsZero()).To(BeTrue())
	f.g.Expect(f.get(sm).Status.NodeRef).To(Equal(&v1alpha1.NodeReference{Name: "node-sick-1"}))
}

// Active → EmergencyRemove → Disabled: enabled=false is persisted before
// the Node's request is cleared; the Machine goes without drain.
func TestReclaimRequestEjectsAndDisables(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("reclaim")
	sm.Spec.KillIfCommands = []string{"xmrig"}
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	m := f.machine("reclaim-1")
	m.Finalizers = []string{"test.5spot/hold"}
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	node := f.emulateCAPIRunning("reclaim-1", "node-reclaim-1", true)
	f.eventuallyPhase(sm, v1alpha1.PhaseActive)

	node = f.node(node.Name)
	node.Annotations = map[string]string{v1alpha1.ReclaimRequestedAnnotation: "true"}
	f.g.Expect(env.Client.Update(f.ctx, node)).To(Succeed())

	f.g.Eventually(func() map[string]string { return f.node(node.Name).Annotations }).ShouldNot(HaveKey(v1alpha1.ReclaimRequestedAnnotation))
	got := f.get(sm)
	f.g.Expect(got.Spec.Schedule.Enabled).To(HaveValue(BeFalse()), "the schedule is disabled")
	m = f.machine("reclaim-1")
	f.g.Expect(m.DeletionTimestamp.IsZero()).To(BeFalse())
	f.g.Expect(m.Annotations).To(HaveKey(clusterv1.ExcludeNodeDrainingAnnotation))
	f.g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseEmergencyRemove))
	f.g.Expect(f.events(sm)).To(ContainElement("Warning/EmergencyRemove"))

	m.Finalizers = nil
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseDisabled)
}

// An administrator's taint with the same (key, effect) is never overwritten;
// 5-Spot's own taints follow the spec.
func TestTaintOwnershipConflictIsReportedAndOwnTaintsFollowTheSpec(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	sm := f.sm("taints")
	sm.Spec.NodeTaints = []v1alpha1.NodeTaint{
		{Key: "dedicated", Value: "batch", Effect: corev1.TaintEffectNoSchedule},
		{Key: "gpu", Value: "a100", Effect: corev1.TaintEffectNoSchedule},
	}
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseProvisioning)
	node := f.emulateCAPIRunning("taints-1", "node-taints-1", false)
	node = f.node(node.Name)
	node.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "admin", Effect: corev1.TaintEffectNoSchedule}}
	f.g.Expect(env.Client.Update(f.ctx, node)).To(Succeed())
	node.Status.Conditions[0].Status = corev1.ConditionTrue
	f.g.Expect(env.Client.Status().Update(f.ctx, node)).To(Succeed())
	f.eventuallyPhase(sm, v1alpha1.PhaseActive)

	f.g.Eventually(func() string { return conditions.GetReason(f.get(sm), v1alpha1.NodeTaintedCondition) }).Should(Equal(v1alpha1.ReasonTaintOwnership))
	taints := f.node(node.Name).Spec.Taints
	f.g.Expect(taints).To(ContainElement(corev1.Taint{Key: "dedicated", Value: "admin", Effect: corev1.TaintEffectNoSchedule}), "the admin's taint is untouched")
	f.g.Expect(taints).To(ContainElement(corev1.Taint{Key: "gpu", Value: "a100", Effect: corev1.TaintEffectNoSchedule}))
	f.g.Expect(f.get(sm).Status.AppliedNodeTaints).To(Equal([]v1alpha1.NodeTaint{{Key: "gpu", Value: "a100", Effect: corev1.TaintEffectNoSchedule}}))

	// Changing the spec changes and removes only 5-Spot's taints.
	cur := f.get(sm)
	cur.Spec.NodeTaints = []v1alpha1.NodeTaint{{Key: "dedicated", Value: "batch", Effect: corev1.TaintEffectNoSchedule}}
	f.g.Expect(env.Client.Update(f.ctx, cur)).To(Succeed())
	f.g.Eventually(func() []corev1.Taint { return f.node(node.Name).Spec.Taints }).Should(Equal(
		[]corev1.Taint{{Key: "dedicated", Value: "admin", Effect: corev1.TaintEffectNoSchedule}}))
}
