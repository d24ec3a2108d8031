package scheduledmachine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/controllers/scheduledmachine"
	"github.com/5spot-dev/5spot/test/harness"
)

// writeCounter counts every write a reconciler makes, and can refuse some.
type writeCounter struct {
	client.Client
	writes atomic.Int64
	// refuse, when set, fails writes it returns true for (a crash stand-in).
	refuse func(obj client.Object) bool
}

var errCrash = errors.New("simulated crash")

func (w *writeCounter) count(obj client.Object) error {
	if w.refuse != nil && w.refuse(obj) {
		return errCrash
	}
	w.writes.Add(1)
	return nil
}

func (w *writeCounter) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if err := w.count(obj); err != nil {
		return err
	}
	return w.Client.Create(ctx, obj, opts...)
}
func (w *writeCounter) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	w.writes.Add(1)
	return w.Client.Update(ctx, obj, opts...)
}
func (w *writeCounter) Patch(ctx context.Context, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
	w.writes.Add(1)
	return w.Client.Patch(ctx, obj, p, opts...)
}
func (w *writeCounter) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	w.writes.Add(1)
	return w.Client.Delete(ctx, obj, opts...)
}
func (w *writeCounter) Status() client.SubResourceWriter { return &statusCounter{w.Client.Status(), w} }

type statusCounter struct {
	client.SubResourceWriter
	w *writeCounter
}

func (s *statusCounter) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	s.w.writes.Add(1)
	return s.SubResourceWriter.Update(ctx, obj, opts...)
}
func (s *statusCounter) Patch(ctx context.Context, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
	s.w.writes.Add(1)
	return s.SubResourceWriter.Patch(ctx, obj, p, opts...)
}

// direct returns a reconciler driven by the test (not by the manager: the
// objects it handles lack the watch-filter label).
func direct(c client.Client) *scheduledmachine.Reconciler {
	r := newReconciler(c)
	r.WatchFilterValue = ""
	return r
}

func reconcileOnce(f *fixture, r *scheduledmachine.Reconciler, sm *v1alpha1.ScheduledMachine) (reconcile.Result, error) {
	return r.Reconcile(f.ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(sm)})
}

// Between transitions a reconcile makes no API write at all.
func TestReconcileBetweenTransitionsMakesNoWrites(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	counter := &writeCounter{Client: env.Client}
	r := direct(counter)

	sm := f.sm("quiet")
	sm.Labels = nil
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	for range 3 { // finalizer, then status
		_, err := reconcileOnce(f, r, sm)
		f.g.Expect(err).NotTo(HaveOccurred())
	}
	f.g.Expect(f.get(sm).Status.Phase).To(Equal(v1alpha1.PhaseInactive))

	counter.writes.Store(0)
	for _, at := range []time.Duration{0, time.Minute, 30 * time.Minute, 59*time.Minute + 59*time.Second} {
		clk.SetTime(start.Add(at))
		res, err := reconcileOnce(f, r, sm)
		f.g.Expect(err).NotTo(HaveOccurred())
		f.g.Expect(res.RequeueAfter).To(Equal(time.Hour-at), "wakes exactly at 09:00")
		f.g.Expect(*res.Priority).To(Equal(50), "requeues keep spec.priority")
	}
	f.g.Expect(counter.writes.Load()).To(BeZero(), "a reconcile between transitions must not write")

	clk.SetTime(start.Add(time.Hour)) // the transition: now it writes
	_, err := reconcileOnce(f, r, sm)
	f.g.Expect(err).NotTo(HaveOccurred())
	f.g.Expect(counter.writes.Load()).To(BeNumerically(">", 0))
}

// A crash between creating the bootstrap object and the Machine, then a
// restart: the same names are resumed and nothing is duplicated.
func TestCrashHalfWayResumesWithoutDuplicates(t *testing.T) {
	useClock(t, start.Add(time.Hour))
	f := newFixture(t)
	crashing := &writeCounter{Client: env.Client, refuse: func(obj client.Object) bool {
		_, isMachine := obj.(*clusterv1.Machine)
		return isMachine
	}}
	sm := f.sm("crash")
	sm.Labels = nil
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	r := direct(crashing)
	_, _ = reconcileOnce(f, r, sm) // finalizer
	_, err := reconcileOnce(f, r, sm)
	f.g.Expect(err).To(MatchError(errCrash))
	got := f.get(sm)
	f.g.Expect(got.Status.MachineRef.Name).To(Equal("crash-1"), "names are recorded before anything is created")
	f.g.Expect(f.exists(unstructuredRef("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig", f.ns, "crash-1"))).To(BeTrue())

	// Restart: a fresh reconciler with a working client.
	r = direct(env.Client)
	for range 2 {
		_, err = reconcileOnce(f, r, sm)
		f.g.Expect(err).NotTo(HaveOccurred())
	}
	got = f.get(sm)
	f.g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseProvisioning))
	f.g.Expect(got.Status.Activation).To(BeEquivalentTo(1), "the same activation resumed")
	for _, gvk := range []schema.GroupVersionKind{
		{Group: "bootstrap.cluster.x-k8s.io", Version: "v1beta2", Kind: "KubeadmConfigList"},
		{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Kind: "DevMachineList"},
		{Group: "cluster.x-k8s.io", Version: "v1beta2", Kind: "MachineList"},
	} {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk)
		f.g.Expect(env.Client.List(f.ctx, list, client.InNamespace(f.ns))).To(Succeed())
		f.g.Expect(list.Items).To(HaveLen(1), "exactly one %s", gvk.Kind)
	}
}

// The shared example manifests are accepted and acted on: each reaches a
// phase that says what happens, with the cause in a condition.
func TestExamplesAreActedOn(t *testing.T) {
	// Saturday 2026-12-05 12:00 UTC: inside the weekend window (Fri 21:00 -
	// Mon 06:00 Berlin); weekday schedules are inactive.
	useClock(t, time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
	f := newFixture(t)
	files, _ := filepath.Glob(filepath.Join(harness.RepoRoot(), "test", "testdata", "examples", "*.yaml"))
	f.g.Expect(files).NotTo(BeEmpty())
	r := direct(env.Client)
	for _, file := range files {
		data, err := os.ReadFile(file)
		f.g.Expect(err).NotTo(HaveOccurred())
		sm := &v1alpha1.ScheduledMachine{}
		f.g.Expect(yaml.Unmarshal(data, sm)).To(Succeed())
		sm.Namespace = f.ns
		if !f.exists(&clusterv1.Cluster{ObjectMeta: metaFor(sm.Spec.ClusterName, f.ns)}) {
			f.createCluster(sm.Spec.ClusterName)
		}
		f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed(), file)
		for range 3 {
			_, _ = reconcileOnce(f, r, sm)
		}
		got := f.get(sm)
		f.g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation), file)
		switch sm.Name {
		case "weekend-batch":
			f.g.Expect(got.Status.InSchedule).To(BeTrue())
			f.g.Expect(got.Status.NextCleanup.Time).To(BeTemporally("==", time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)), "Monday 06:00 Berlin")
			// KubeadmConfig v1beta2 refuses an empty nodeRegistration: the
			// provider's rejection is reported, not looped on.
			f.g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseError))
			f.g.Expect(conditions.GetReason(got, v1alpha1.MachineReadyCondition)).To(Equal(v1alpha1.ReasonInvalidInlineSpec))
			f.g.Expect(conditions.GetMessage(got, v1alpha1.MachineReadyCondition)).To(ContainSubstring("nodeRegistration"))
		default: // weekday schedules on a Saturday
			f.g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhaseInactive), file)
			f.g.Expect(got.Status.NextActivation).NotTo(BeNil())
		}
	}
}

// Waiting (Pending on the control plane) is not a transition either: looking
// again, as Cluster events make it do, writes nothing.
func TestPendingOnTheControlPlaneMakesNoWrites(t *testing.T) {
	useClock(t, start.Add(time.Hour)) // inside the window
	f := newFixture(t)
	f.cluster.Status.Initialization.ControlPlaneInitialized = ptr.To(false)
	f.g.Expect(env.Client.Status().Update(f.ctx, f.cluster)).To(Succeed())
	counter := &writeCounter{Client: env.Client}
	r := direct(counter)
	sm := f.sm("waiting")
	sm.Labels = nil
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	for range 3 {
		_, err := reconcileOnce(f, r, sm)
		f.g.Expect(err).NotTo(HaveOccurred())
	}
	got := f.get(sm)
	f.g.Expect(got.Status.Phase).To(Equal(v1alpha1.PhasePending))
	f.g.Expect(got.Status.LastScheduledTime.Time).To(BeTemporally("==", start.Add(time.Hour)))

	counter.writes.Store(0)
	for _, at := range []time.Duration{time.Minute, 10 * time.Minute, time.Hour} {
		clk.SetTime(start.Add(time.Hour + at))
		_, err := reconcileOnce(f, r, sm)
		f.g.Expect(err).NotTo(HaveOccurred())
	}
	f.g.Expect(counter.writes.Load()).To(BeZero(), "a ScheduledMachine waiting for its control plane must not be rewritten")
	f.g.Expect(f.get(sm).Status.LastScheduledTime.Time).To(BeTemporally("==", start.Add(time.Hour)), "set once, when the window opened")
}
