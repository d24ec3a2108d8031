package scheduledmachinepool_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/controllers/scheduledmachinepool"
)

var errCrash = errors.New("simulated crash")

// counting returns a client that counts every write and fails the writes
// refuse returns true for (a crash stand-in).
func counting(t *testing.T, writes *atomic.Int64, refuse func(client.Object) bool) client.Client {
	t.Helper()
	base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	count := func(obj client.Object) error {
		if refuse != nil && refuse(obj) {
			return errCrash
		}
		writes.Add(1)
		return nil
	}
	return interceptor.NewClient(base, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if err := count(obj); err != nil {
				return err
			}
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			writes.Add(1)
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, p client.Patch, opts ...client.PatchOption) error {
			writes.Add(1)
			return c.Patch(ctx, obj, p, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			writes.Add(1)
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			writes.Add(1)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, opts ...client.SubResourcePatchOption) error {
			writes.Add(1)
			return c.SubResource(sub).Patch(ctx, obj, p, opts...)
		},
	})
}

// direct returns a reconciler driven by the test: its pools lack the
// watch-filter label, so the manager's controller leaves them alone.
func direct(c client.Client) *scheduledmachinepool.Reconciler {
	r := newReconciler(c)
	r.WatchFilterValue = ""
	return r
}

func reconcileOnce(f *fixture, r *scheduledmachinepool.Reconciler, p *v1alpha1.ScheduledMachinePool) (reconcile.Result, error) {
	return r.Reconcile(f.ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(p)})
}

// Between changes of the desired count a reconcile writes nothing and asks
// to be woken exactly at the next change; entry transitions that leave the
// count as it is wake nobody.
func TestReconcileBetweenChangesMakesNoWritesAndWakesExactly(t *testing.T) {
	useClock(t, start) // Monday 08:00
	f := newFixture(t)
	var writes atomic.Int64
	r := direct(counting(t, &writes, nil))

	p := f.pool("quiet", 1)
	p.Labels = nil
	// "inner" (08:00-08:59, inside "outer") never changes the count: the
	// wake-up is at 10:00, when "outer" ends, not at 09:00.
	p.Spec.Schedules = []v1alpha1.PoolSchedule{entry("outer", 2, "mon-fri", "6-9"), entry("inner", 2, "mon-fri", "8")}
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	for range 3 { // finalizer, Machines, status
		_, err := reconcileOnce(f, r, p)
		f.g.Expect(err).NotTo(HaveOccurred())
	}
	f.g.Expect(f.machines(p)).To(HaveLen(2))
	f.emulateCAPIRunning("quiet-1", true)
	f.emulateCAPIRunning("quiet-2", true)
	// Observes Active once CAPI's cluster cache has connected to the
	// workload cluster (until then the Nodes cannot be read).
	f.g.Eventually(func() int32 {
		_, err := reconcileOnce(f, r, p)
		f.g.Expect(err).NotTo(HaveOccurred())
		return f.get(p).Status.ReadyReplicas
	}).Should(BeEquivalentTo(2))

	writes.Store(0)
	for _, at := range []time.Duration{0, time.Minute, 30 * time.Minute, 59*time.Minute + 59*time.Second} {
		clk.SetTime(start.Add(at))
		res, err := reconcileOnce(f, r, p)
		f.g.Expect(err).NotTo(HaveOccurred())
		f.g.Expect(res.RequeueAfter).To(Equal(2*time.Hour-at), "wakes exactly at 10:00")
	}
	f.g.Expect(writes.Load()).To(BeZero(), "a reconcile between changes must not write")

	clk.SetTime(start.Add(2 * time.Hour)) // the change: now it writes (cordon, status)
	_, err := reconcileOnce(f, r, p)
	f.g.Expect(err).NotTo(HaveOccurred())
	f.g.Expect(writes.Load()).To(BeNumerically(">", 0))
	f.g.Expect(f.get(p).Status.DesiredReplicas).To(BeEquivalentTo(1))
}

// A crash after the names were recorded but before the Machines were
// created, then a restart: the same names are resumed, nothing is duplicated.
func TestCrashHalfWayResumesWithoutDuplicates(t *testing.T) {
	useClock(t, start)
	f := newFixture(t)
	var writes atomic.Int64
	crashing := counting(t, &writes, func(obj client.Object) bool {
		_, isMachine := obj.(*clusterv1.Machine)
		return isMachine
	})
	p := f.pool("crash", 2)
	p.Labels = nil
	f.g.Expect(env.Client.Create(f.ctx, p)).To(Succeed())
	r := direct(crashing)
	_, _ = reconcileOnce(f, r, p) // finalizer
	_, err := reconcileOnce(f, r, p)
	f.g.Expect(err).To(MatchError(errCrash))
	got := f.get(p)
	f.g.Expect(got.Status.MachineCounter).To(BeEquivalentTo(2), "the counter is recorded before anything is created")
	f.g.Expect(got.Status.Machines).To(HaveLen(2))
	f.g.Expect(got.Status.Machines[0].Name).To(Equal("crash-1"))

	r = direct(env.Client) // restart with a working client
	for range 2 {
		_, err = reconcileOnce(f, r, p)
		f.g.Expect(err).NotTo(HaveOccurred())
	}
	got = f.get(p)
	f.g.Expect(got.Status.MachineCounter).To(BeEquivalentTo(2), "the same names resumed")
	for _, gvk := range []schema.GroupVersionKind{
		{Group: "bootstrap.cluster.x-k8s.io", Version: "v1beta2", Kind: "KubeadmConfigList"},
		{Group: "infrastructure.cluster.x-k8s.io", Version: "v1beta2", Kind: "DevMachineList"},
		{Group: "cluster.x-k8s.io", Version: "v1beta2", Kind: "MachineList"},
	} {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk)
		f.g.Expect(env.Client.List(f.ctx, list, client.InNamespace(f.ns))).To(Succeed())
		f.g.Expect(list.Items).To(HaveLen(2), "exactly two of %s", gvk.Kind)
	}
	f.g.Expect(f.machines(p)).To(Equal([]string{"crash-1", "crash-2"}))
}
