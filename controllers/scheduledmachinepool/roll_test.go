package scheduledmachinepool_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	capierrors "sigs.k8s.io/cluster-api/api/deprecated/errors"
	"sigs.k8s.io/cluster-api/util/conditions"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// readyNow counts the pool's Machines that are not being deleted, Running,
// with a Ready Node and not cordoned: the capacity workloads can use.
func (f *fixture) readyNow(p *v1alpha1.ScheduledMachinePool) int {
	n := 0
	for _, name := range f.machines(p) {
		m := f.machine(name)
		if m.Status.NodeRef.Name != "" && !f.node(name).Spec.Unschedulable {
			n++
		}
	}
	return n
}

// A template change rolls the Machines one at a time (maxUnavailable 1):
// an outdated Machine is removed, its replacement created from the new
// template, and the next one goes only once the replacement is Ready.
func TestTemplateRollReplacesAtMostMaxUnavailableAtATime(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	p := f.pool("roll", 3)
	p.Spec.Template.GracefulShutdownTimeout = &metav1.Duration{}
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	f.eventuallyMachines(p, "roll-1", "roll-2", "roll-3")
	f.runAll(p)
	got := f.eventuallyReady(p, 3)
	f.g.Expect(conditions.IsTrue(got, v1alpha1.MachinesUpToDateCondition)).To(BeTrue())
	oldHash := f.machine("roll-1").Labels[v1alpha1.TemplateHashLabel]

	f.update(p, func(p *v1alpha1.ScheduledMachinePool) {
		p.Spec.Template.MachineTemplate = &v1alpha1.MachineTemplate{Labels: map[string]string{"rev": "2"}}
	})
	// Newest first: roll-3 goes, roll-4 comes from the new template.
	for i, next := range []struct{ old, replacement string }{{"roll-3", "roll-4"}, {"roll-2", "roll-5"}, {"roll-1", "roll-6"}} {
		f.g.Eventually(func() bool { return f.gone(next.old) }).Should(BeTrue(), "step %d: %s is replaced", i, next.old)
		f.g.Eventually(func() bool {
			return f.exists(&clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: next.replacement, Namespace: f.ns}})
		}).Should(BeTrue())
		m := f.machine(next.replacement)
		f.g.Expect(m.Labels).To(HaveKeyWithValue("rev", "2"))
		f.g.Expect(m.Labels[v1alpha1.TemplateHashLabel]).NotTo(Equal(oldHash))
		if i < 2 { // after the last replacement every Machine is built from the new template
			f.g.Expect(conditions.GetReason(f.get(p), v1alpha1.MachinesUpToDateCondition)).To(Equal(v1alpha1.ReasonRollingOut))
		}
		// While the replacement provisions, nothing else is touched.
		f.poke(p)
		f.g.Consistently(func() int { return f.readyNow(p) }).WithTimeout(time.Second).Should(Equal(2), "step %d: never more than 1 unavailable", i)
		f.g.Expect(f.machines(p)).To(HaveLen(3))
		f.emulateCAPIRunning(next.replacement, true)
	}
	got = f.eventuallyReady(p, 3)
	f.g.Eventually(func() bool { return conditions.IsTrue(f.get(p), v1alpha1.MachinesUpToDateCondition) }).Should(BeTrue())
	f.g.Expect(f.machines(p)).To(Equal([]string{"roll-4", "roll-5", "roll-6"}))
	f.g.Expect(got.Status.UpToDateReplicas).To(BeEquivalentTo(3))
	f.g.Expect(f.events(p)).To(ContainElement("Normal/RollingOut"))
}

// One Machine's infrastructure fails: that Machine goes to Error, is
// deleted and retried with backoff on its own; the others stay Active.
func TestAFailingMachineErrorsAndBacksOffWhileTheOthersStay(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	p := f.pool("flaky", 3)
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	f.eventuallyMachines(p, "flaky-1", "flaky-2", "flaky-3")
	f.emulateCAPIRunning("flaky-1", true)
	f.emulateCAPIRunning("flaky-3", true)
	f.g.Eventually(func() int32 { return f.get(p).Status.ReadyReplicas }).Should(BeEquivalentTo(2))

	m := f.machine("flaky-2")
	m.Status.Deprecated = &clusterv1.MachineDeprecatedStatus{V1Beta1: &clusterv1.MachineV1Beta1DeprecatedStatus{
		FailureReason: ptr.To[capierrors.MachineStatusError]("CreateError"), FailureMessage: ptr.To("no capacity in rack 3"),
	}}
	f.g.Expect(env.Client.Status().Update(f.ctx, m)).To(Succeed())

	f.g.Eventually(func() v1alpha1.Phase { return slot(f.get(p), "flaky-2").Phase }).Should(Equal(v1alpha1.PhaseError))
	got := f.get(p)
	failed := slot(got, "flaky-2")
	f.g.Expect(failed.Message).To(ContainSubstring("no capacity in rack 3"))
	f.g.Expect(failed.Retry.Attempts).To(BeEquivalentTo(1))
	f.g.Expect(failed.Retry.NextRetryTime.Time).To(BeTemporally("==", start.Add(30*time.Second)))
	f.g.Expect(conditions.GetReason(got, v1alpha1.MachinesReadyCondition)).To(Equal(v1alpha1.ReasonMachinesFailing))
	f.g.Eventually(func() bool { return f.gone("flaky-2") }).Should(BeTrue(), "the failed Machine is deleted")
	for _, other := range []string{"flaky-1", "flaky-3"} {
		f.g.Expect(slot(got, other).Phase).To(Equal(v1alpha1.PhaseActive), "%s stays", other)
		f.g.Expect(f.node(other).Spec.Unschedulable).To(BeFalse())
	}
	f.g.Eventually(func() []string { return f.events(p) }).Should(ContainElement("Warning/" + v1alpha1.ReasonMachinesFailing))

	// Before the backoff expires nothing is created.
	f.poke(p)
	f.g.Consistently(func() []string { return f.machines(p) }).WithTimeout(time.Second).Should(Equal([]string{"flaky-1", "flaky-3"}))

	f.step(p, start.Add(30*time.Second))
	f.eventuallyMachines(p, "flaky-1", "flaky-3", "flaky-4")
	got = f.get(p)
	f.g.Expect(slot(got, "flaky-4").Retry.Attempts).To(BeEquivalentTo(1), "the backoff stays with the slot until its Machine runs")
	f.emulateCAPIRunning("flaky-4", true)
	got = f.eventuallyReady(p, 3)
	f.g.Expect(slot(got, "flaky-4").Retry).To(BeNil())
	f.g.Expect(conditions.IsTrue(got, v1alpha1.MachinesReadyCondition)).To(BeTrue())
}

// The provider rejects the template: every slot reports it in Error and
// backs off, nothing created half-way is left behind, and fixing the spec
// retries at once.
func TestARejectedTemplateIsReportedAndAFixRetriesAtOnce(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	p := f.pool("rejected", 2)
	p.Spec.Template.InfrastructureSpec.Spec.Raw = []byte(`{"backend":"not-an-object"}`)
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	f.g.Eventually(func() int {
		n := 0
		for _, m := range f.get(p).Status.Machines {
			if m.Phase == v1alpha1.PhaseError {
				n++
			}
		}
		return n
	}).Should(Equal(2))
	got := f.get(p)
	f.g.Expect(got.Status.Machines[0].Message).To(ContainSubstring("spec.template.infrastructureSpec was rejected"))
	f.g.Expect(conditions.GetReason(got, v1alpha1.MachinesReadyCondition)).To(Equal(v1alpha1.ReasonMachinesFailing))
	for _, m := range got.Status.Machines {
		f.g.Eventually(func() bool {
			return f.exists(unstructuredRef("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig", f.ns, m.Name))
		}).Should(BeFalse(), "the bootstrap object created before the rejection is deleted")
	}

	f.update(p, func(p *v1alpha1.ScheduledMachinePool) {
		p.Spec.Template.InfrastructureSpec.Spec.Raw = []byte(`{"backend":{"inMemory":{}}}`)
	})
	f.g.Eventually(func() []string { return f.machines(p) }).Should(HaveLen(2), "retried without waiting for the backoff")
}
