package scheduledmachinepool_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

func unstructuredRef(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// Baseline 1, "business" 3 on weekdays 9-17 and "peak" 4 at 11-12: the
// count is the largest of the baseline and every active entry, Machines come
// and go with it, and the pool wakes exactly at each change.
func TestOverlappingSchedulesMaxWinsAndTheCountFollowsTheSchedule(t *testing.T) {
	useClock(t, start) // Monday 08:00 UTC
	f := newFixture(t)
	p := f.pool("workers", 1)
	p.Spec.Schedules = []v1alpha1.PoolSchedule{entry("business", 3, "mon-fri", "9-17"), entry("peak", 4, "mon-fri", "11-12")}
	p.Spec.Template.MachineTemplate = &v1alpha1.MachineTemplate{Labels: map[string]string{"team": "ml"}}
	p.Spec.Template.NodeTaints = []v1alpha1.NodeTaint{{Key: "pool", Value: "workers", Effect: corev1.TaintEffectNoSchedule}}
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())

	// 08:00: the baseline.
	f.eventuallyMachines(p, "workers-1")
	got := f.get(p)
	f.g.Expect(got.Status.DesiredReplicas).To(BeEquivalentTo(1))
	f.g.Expect(got.Status.ActiveSchedules).To(BeEmpty())
	f.g.Expect(got.Status.ActiveSchedule).To(Equal("-"))
	f.g.Expect(got.Status.NextChange.Time.Time).To(BeTemporally("==", start.Add(time.Hour)))
	f.g.Expect(got.Status.NextChange.Replicas).To(BeEquivalentTo(3))
	f.g.Expect(got.Status.Selector).To(Equal("5spot.finos.org/scheduled-machine-pool=workers"))
	f.g.Expect(got.Finalizers).To(ContainElement(v1alpha1.PoolFinalizer))
	f.g.Expect(conditions.GetReason(got, v1alpha1.ScheduledCondition)).To(Equal(v1alpha1.ReasonBaseline))

	m := f.machine("workers-1")
	f.g.Expect(m.Spec.ClusterName).To(Equal("c1"))
	f.g.Expect(m.Spec.Version).To(Equal("v1.36.0"))
	f.g.Expect(m.Spec.Deletion.NodeDrainTimeoutSeconds).To(HaveValue(BeEquivalentTo(180)))
	f.g.Expect(m.Labels).To(And(HaveKeyWithValue(clusterv1.ClusterNameLabel, "c1"), HaveKeyWithValue(v1alpha1.ScheduledMachinePoolLabel, "workers"),
		HaveKey(v1alpha1.TemplateHashLabel), HaveKeyWithValue("team", "ml")))
	f.g.Expect(m.OwnerReferences).To(ConsistOf(And(HaveField("UID", got.UID), HaveField("Controller", HaveValue(BeTrue())))))
	for _, k := range []struct{ apiVersion, kind string }{{"bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig"}, {"infrastructure.cluster.x-k8s.io/v1beta2", "DevMachine"}} {
		u := unstructuredRef(k.apiVersion, k.kind, f.ns, "workers-1")
		f.g.Expect(f.exists(u)).To(BeTrue(), "each Machine has its own %s", k.kind)
		f.g.Expect(u.GetOwnerReferences()).To(ConsistOf(And(HaveField("UID", got.UID), HaveField("Controller", BeNil()))),
			"%s: left for CAPI's Machine controller to adopt", k.kind)
	}
	f.emulateCAPIRunning("workers-1", true)
	f.eventuallyReady(p, 1)
	f.g.Eventually(func() []corev1.Taint { return f.node("workers-1").Spec.Taints }).Should(ContainElement(
		corev1.Taint{Key: "pool", Value: "workers", Effect: corev1.TaintEffectNoSchedule}))

	// 09:00: business hours.
	f.step(p, start.Add(time.Hour))
	f.eventuallyMachines(p, "workers-1", "workers-2", "workers-3")
	got = f.get(p)
	f.g.Expect(got.Status.ActiveSchedules).To(Equal([]string{"business"}))
	f.g.Expect(got.Status.NextChange.Time.Time).To(BeTemporally("==", start.Add(3*time.Hour)))
	f.g.Expect(got.Status.NextChange.Replicas).To(BeEquivalentTo(4))
	f.g.Expect(got.Status.MachineCounter).To(BeEquivalentTo(3))
	f.runAll(p)
	f.eventuallyReady(p, 3)

	// 11:00: the peak overlaps business hours; the larger entry wins.
	f.step(p, start.Add(3*time.Hour))
	f.eventuallyMachines(p, "workers-1", "workers-2", "workers-3", "workers-4")
	got = f.get(p)
	f.g.Expect(got.Status.ActiveSchedules).To(Equal([]string{"business", "peak"}))
	f.g.Expect(got.Status.ActiveSchedule).To(Equal("business,peak"))
	f.g.Expect(got.Status.NextChange.Time.Time).To(BeTemporally("==", start.Add(5*time.Hour)), "12:59 is still peak: 13:00")
	f.runAll(p)
	f.eventuallyReady(p, 4)

	// 13:00: the peak closes. The newest Machine goes gracefully: cordon,
	// grace period, delete.
	f.step(p, start.Add(5*time.Hour))
	f.g.Eventually(func() bool { return f.node("workers-4").Spec.Unschedulable }).Should(BeTrue())
	f.g.Eventually(func() *metav1.Time { return slot(f.get(p), "workers-4").ShutdownDeadline }).ShouldNot(BeNil())
	got = f.get(p)
	f.g.Expect(slot(got, "workers-4").Phase).To(Equal(v1alpha1.PhaseShuttingDown))
	f.g.Expect(slot(got, "workers-4").ShutdownDeadline.Time).To(BeTemporally("==", start.Add(5*time.Hour+2*time.Minute)))
	f.g.Expect(conditions.GetReason(got, v1alpha1.DeletingCondition)).To(Equal(v1alpha1.ReasonScalingDown))
	f.g.Expect(f.machine("workers-4").DeletionTimestamp.IsZero()).To(BeTrue(), "kept during the grace period")
	f.g.Expect(got.Status.AvailableReplicas).To(BeEquivalentTo(3))

	f.step(p, start.Add(5*time.Hour+2*time.Minute))
	f.eventuallyMachines(p, "workers-1", "workers-2", "workers-3")
	f.g.Eventually(func() bool {
		return f.exists(unstructuredRef("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig", f.ns, "workers-4"))
	}).Should(BeFalse(), "nothing is left behind")
	f.eventuallyReady(p, 3)

	// 18:00: back to the baseline, newest first.
	f.step(p, start.Add(10*time.Hour))
	f.g.Eventually(func() bool { return f.node("workers-2").Spec.Unschedulable && f.node("workers-3").Spec.Unschedulable }).Should(BeTrue())
	f.g.Expect(f.node("workers-1").Spec.Unschedulable).To(BeFalse())
	f.step(p, start.Add(10*time.Hour+2*time.Minute))
	f.eventuallyMachines(p, "workers-1")
	got = f.eventuallyReady(p, 1)
	f.g.Expect(got.Status.NextChange.Time.Time).To(BeTemporally("==", start.Add(25*time.Hour)), "Tuesday 09:00")
	f.g.Expect(conditions.IsTrue(got, v1alpha1.ReadyCondition)).To(BeTrue())
	f.g.Eventually(func() []string { return f.events(p) }).Should(ContainElements("Normal/ScalingUp", "Normal/ScalingDown"))
}

// kubectl scale, an HPA or KEDA set the baseline through /scale, which reads
// status.replicas and status.selector.
func TestBaselineViaTheScaleSubresource(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	p := f.pool("scaled", 0)
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	f.g.Eventually(func() string { return f.get(p).Status.Selector }).ShouldNot(BeEmpty())

	scale := &autoscalingv1.Scale{}
	f.g.Expect(env.Client.SubResource("scale").Get(f.ctx, p, scale)).To(Succeed())
	f.g.Expect(scale.Spec.Replicas).To(BeZero())
	f.g.Expect(scale.Status.Selector).To(Equal("5spot.finos.org/scheduled-machine-pool=scaled"))
	f.scaleTo(p, 2)

	f.eventuallyMachines(p, "scaled-1", "scaled-2")
	f.g.Expect(f.get(p).Spec.Replicas).To(HaveValue(BeEquivalentTo(2)))
	f.runAll(p)
	f.eventuallyReady(p, 2)
	f.g.Expect(env.Client.SubResource("scale").Get(f.ctx, p, scale)).To(Succeed())
	f.g.Expect(scale.Status.Replicas).To(BeEquivalentTo(2))
	selector, err := labels.Parse(scale.Status.Selector)
	f.g.Expect(err).NotTo(HaveOccurred())
	selected := &clusterv1.MachineList{}
	f.g.Expect(env.Client.List(f.ctx, selected, client.InNamespace(f.ns), client.MatchingLabelsSelector{Selector: selector})).To(Succeed())
	f.g.Expect(selected.Items).To(HaveLen(2), "status.selector selects the pool's Machines")

	f.scaleTo(p, 0)
	f.g.Eventually(func() bool { return f.node("scaled-1").Spec.Unschedulable && f.node("scaled-2").Spec.Unschedulable }).Should(BeTrue())
	f.step(p, start.Add(2*time.Minute))
	f.eventuallyMachines(p)
	f.g.Eventually(func() int32 { return f.get(p).Status.Replicas }).Should(BeZero())
}

// Each deletePolicy picks its Machine when the pool shrinks from 3 to 2.
func TestScaleDownOrderForEachDeletePolicy(t *testing.T) {
	for _, c := range []struct {
		policy v1alpha1.PoolDeletePolicy
		goes   string
	}{
		{v1alpha1.DeleteNewest, "order-3"},
		{v1alpha1.DeleteOldest, "order-1"},
		{v1alpha1.DeleteNotReadyFirst, "order-2"},
	} {
		t.Run(string(c.policy), func(t *testing.T) {
			useClock(t, start)
			f := newFixture(t)
			p := f.pool("order", 3)
			p.Spec.DeletePolicy = c.policy
			p.Spec.Template.GracefulShutdownTimeout = &metav1.Duration{}
			f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
			f.eventuallyMachines(p, "order-1", "order-2", "order-3")
			f.emulateCAPIRunning("order-1", true)
			f.emulateCAPIRunning("order-2", false) // its Node never gets Ready
			f.emulateCAPIRunning("order-3", true)
			f.g.Eventually(func() int32 { return f.get(p).Status.ReadyReplicas }).Should(BeEquivalentTo(2))

			f.update(p, func(p *v1alpha1.ScheduledMachinePool) { p.Spec.Replicas = ptrTo[int32](2) })
			f.g.Eventually(func() bool { return f.gone(c.goes) }).Should(BeTrue(), "%s removes %s", c.policy, c.goes)
			f.g.Expect(f.machines(p)).To(HaveLen(2))
		})
	}
}

// A scale-up while surplus Machines are in their grace period keeps them
// (uncordoned) instead of creating new ones; Machines already being deleted
// cannot come back and are replaced by new ones.
func TestScaleUpDuringScaleDownReusesMachinesNotYetDeleted(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	p := f.pool("elastic", 3)
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	f.eventuallyMachines(p, "elastic-1", "elastic-2", "elastic-3")
	f.runAll(p)
	f.eventuallyReady(p, 3)

	f.update(p, func(p *v1alpha1.ScheduledMachinePool) { p.Spec.Replicas = ptrTo[int32](1) })
	f.g.Eventually(func() bool { return f.node("elastic-2").Spec.Unschedulable && f.node("elastic-3").Spec.Unschedulable }).Should(BeTrue())

	f.update(p, func(p *v1alpha1.ScheduledMachinePool) { p.Spec.Replicas = ptrTo[int32](3) })
	f.g.Eventually(func() bool { return f.node("elastic-2").Spec.Unschedulable || f.node("elastic-3").Spec.Unschedulable }).Should(BeFalse(),
		"5-Spot lifts its own cordons")
	got := f.eventuallyReady(p, 3)
	f.g.Expect(f.machines(p)).To(Equal([]string{"elastic-1", "elastic-2", "elastic-3"}), "the same Machines, no new ones")
	f.g.Expect(got.Status.MachineCounter).To(BeEquivalentTo(3))
	f.g.Expect(slot(got, "elastic-3").ShutdownDeadline).To(BeNil())
	f.g.Expect(conditions.IsFalse(got, v1alpha1.DeletingCondition)).To(BeTrue())

	// Shrink again and let the grace period pass; a finalizer (standing in
	// for CAPI's drain) holds elastic-3 while it is deleted.
	m := f.machine("elastic-3")
	m.Finalizers = append(m.Finalizers, "test.5spot/drain")
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	f.update(p, func(p *v1alpha1.ScheduledMachinePool) { p.Spec.Replicas = ptrTo[int32](1) })
	f.g.Eventually(func() bool { return f.node("elastic-3").Spec.Unschedulable }).Should(BeTrue())
	f.step(p, start.Add(2*time.Minute))
	f.g.Eventually(func() bool { return f.gone("elastic-2") }).Should(BeTrue())
	f.g.Eventually(func() bool { return f.machine("elastic-3").DeletionTimestamp.IsZero() }).Should(BeFalse())

	// Growing now needs new Machines: elastic-3 is being deleted.
	f.update(p, func(p *v1alpha1.ScheduledMachinePool) { p.Spec.Replicas = ptrTo[int32](3) })
	f.eventuallyMachines(p, "elastic-1", "elastic-4", "elastic-5")
	f.g.Eventually(func() int32 { return f.get(p).Status.Replicas }).Should(BeEquivalentTo(4), "the Machine being deleted still exists")
	f.g.Expect(slot(f.get(p), "elastic-3")).NotTo(BeNil(), "and is still tracked until it is gone")

	m = f.machine("elastic-3")
	m.Finalizers = nil
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	f.g.Eventually(func() *v1alpha1.PoolMachine { return slot(f.get(p), "elastic-3") }).Should(BeNil())
}

func ptrTo[T any](v T) *T { return &v }

// scaleTo sets the baseline through /scale as kubectl scale or an HPA
// does: read the Scale, set replicas, write it back; a conflict with the
// controller's own status writes is retried.
func (f *fixture) scaleTo(p *v1alpha1.ScheduledMachinePool, replicas int32) {
	f.t.Helper()
	f.g.Eventually(func() error {
		scale := &autoscalingv1.Scale{}
		if err := env.Client.SubResource("scale").Get(f.ctx, p, scale); err != nil {
			return err
		}
		scale.Spec.Replicas = replicas
		return env.Client.SubResource("scale").Update(f.ctx, p, client.WithSubResourceBody(scale))
	}).Should(Succeed())
}
