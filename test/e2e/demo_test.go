package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/test/e2e/demo"
)

// `make demo` tells a story; this checks that it happens, with the demo's own
// Setup on the suite's plane: paused is Disabled, active-now becomes Active
// with a Node, and opens-soon is Inactive until its window opens and then goes
// through Provisioning to Active. The window is placed at the first whole
// minute at least 15 s away (not the demo's 90 s), to keep the test short.
func TestDemoExamplesReachTheirPhases(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.SetDefaultEventuallyPollingInterval(poll)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c := plane.Client

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "demo-"}}
	g.Expect(c.Create(ctx, ns)).To(Succeed())
	begin := time.Now()
	d, err := demo.Setup(ctx, c, demo.Options{Namespace: ns.Name, WindowLead: -1, MinNotice: 15 * time.Second})
	g.Expect(err).NotTo(HaveOccurred(), "the demo's setup should create the cluster and the examples")
	t.Cleanup(func() {
		for _, e := range d.Examples {
			_ = c.Delete(context.Background(), &v1alpha1.ScheduledMachine{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: e.Name}})
		}
		_ = d.Cluster.Delete(context.Background(), c)
	})
	t.Logf("examples created %s after start; %s's window opens at %s",
		time.Since(begin).Round(100*time.Millisecond), demo.OpensSoon, d.WindowStart.Format(time.TimeOnly))

	// Poll all three together and record each one's phases, so that no
	// phase is missed while waiting for another object.
	r := &phaseRecorder{c: c, ns: ns.Name, seen: map[string][]v1alpha1.Phase{}, firstAt: map[string]time.Time{}, last: map[string]*v1alpha1.ScheduledMachine{}}
	var inactiveBeforeWindow *v1alpha1.ScheduledMachine
	g.Eventually(func(g Gomega) {
		for _, e := range d.Examples {
			g.Expect(r.record(ctx, e.Name)).To(Succeed())
		}
		if sm := r.last[demo.OpensSoon]; sm.Status.Phase == v1alpha1.PhaseInactive && time.Now().Before(d.WindowStart) {
			inactiveBeforeWindow = sm
		}
		g.Expect(r.last[demo.ActiveNow].Status.Phase).To(Equal(v1alpha1.PhaseActive), "active-now: %s", r.last[demo.ActiveNow].Status.Message)
		g.Expect(r.last[demo.OpensSoon].Status.Phase).To(Equal(v1alpha1.PhaseActive), "opens-soon: %s", r.last[demo.OpensSoon].Status.Message)
	}).WithTimeout(time.Until(d.WindowStart)+3*time.Minute).Should(Succeed(),
		"active-now and opens-soon should both become Active (opens-soon once its window opened)")

	active := r.last[demo.ActiveNow]
	g.Expect(active.Status.MachineRef).NotTo(BeNil(), "active-now should name its Machine")
	g.Expect(active.Status.NodeRef).NotTo(BeNil(), "active-now should name its Node")
	g.Expect(active.Status.NextCleanup).NotTo(BeNil(), "active-now should announce when its hours end")
	t.Logf("%s Active (node %s) %s after start", demo.ActiveNow, active.Status.NodeRef.Name, r.firstAt[demo.ActiveNow+"/Active"].Sub(begin).Round(100*time.Millisecond))

	g.Expect(inactiveBeforeWindow).NotTo(BeNil(), "opens-soon should be seen Inactive before its window opened; it showed %v", r.seen[demo.OpensSoon])
	g.Expect(inactiveBeforeWindow.Status.NextActivation).NotTo(BeNil(), "opens-soon should announce its next activation while Inactive")
	g.Expect(inactiveBeforeWindow.Status.NextActivation.Time).To(BeTemporally("==", d.WindowStart), "opens-soon's next activation should be its window's start")
	g.Expect(inOrder(r.seen[demo.OpensSoon], v1alpha1.PhaseInactive, v1alpha1.PhaseProvisioning, v1alpha1.PhaseActive)).To(BeTrue(),
		"opens-soon should go Inactive, then Provisioning, then Active; it showed %v", r.seen[demo.OpensSoon])
	opened := r.firstAt[demo.OpensSoon+"/Provisioning"]
	g.Expect(opened).To(BeTemporally(">=", d.WindowStart), "opens-soon must not start provisioning before its window")
	soon := r.last[demo.OpensSoon]
	g.Expect(soon.Status.NodeRef).NotTo(BeNil(), "opens-soon should name its Node")
	t.Logf("%s Active (node %s) %s after its window opened, %s after start; phases %v",
		demo.OpensSoon, soon.Status.NodeRef.Name, r.firstAt[demo.OpensSoon+"/Active"].Sub(d.WindowStart).Round(100*time.Millisecond),
		r.firstAt[demo.OpensSoon+"/Active"].Sub(begin).Round(100*time.Millisecond), r.seen[demo.OpensSoon])

	g.Expect(r.last[demo.Paused].Status.Phase).To(Equal(v1alpha1.PhaseDisabled), "paused (enabled: false) should be Disabled")
	g.Expect(r.seen[demo.Paused]).To(HaveEach(BeElementOf(v1alpha1.PhasePending, v1alpha1.PhaseDisabled)),
		"paused should never be anything but Disabled (or Pending, before its first evaluation)")
	g.Expect(r.last[demo.Paused].Status.MachineRef).To(BeNil(), "paused should never have created a Machine")
}

// phaseRecorder keeps, per ScheduledMachine, the sequence of phases seen, the
// first time each was seen ("name/Phase") and the last object read.
type phaseRecorder struct {
	c       client.Client
	ns      string
	seen    map[string][]v1alpha1.Phase
	firstAt map[string]time.Time
	last    map[string]*v1alpha1.ScheduledMachine
}

func (r *phaseRecorder) record(ctx context.Context, name string) error {
	sm := &v1alpha1.ScheduledMachine{}
	if err := r.c.Get(ctx, client.ObjectKey{Namespace: r.ns, Name: name}, sm); err != nil {
		return err
	}
	r.last[name] = sm
	p := sm.Status.Phase
	if seen := r.seen[name]; len(seen) == 0 || seen[len(seen)-1] != p {
		r.seen[name] = append(seen, p)
	}
	if _, ok := r.firstAt[name+"/"+string(p)]; !ok {
		r.firstAt[name+"/"+string(p)] = time.Now()
	}
	return nil
}

// inOrder reports whether want occur in seen in this order (not necessarily
// next to each other).
func inOrder(seen []v1alpha1.Phase, want ...v1alpha1.Phase) bool {
	i := 0
	for _, p := range seen {
		if i < len(want) && p == want[i] {
			i++
		}
	}
	return i == len(want)
}
