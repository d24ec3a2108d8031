package scheduledmachinepool_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/controllers/scheduledmachinepool"
	"github.com/5spot-dev/5spot/test/harness"
)

// start is Monday 2026-11-30 08:00 UTC; tests step the clock from there.
var start = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

var (
	env      *harness.Env
	clk      = clocktesting.NewFakeClock(start)
	workload clustercache.ClusterCache
	// managed lets the manager's controller act on a pool (--watch-filter);
	// pools without it are driven by direct Reconcile calls.
	managed = map[string]string{clusterv1.WatchLabel: "manager"}
)

const provisioningTimeout = 20 * time.Minute

func TestMain(m *testing.M) {
	if os.Getenv("TEST_LOGS") != "" {
		ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true)))
	}
	var err error
	env, err = harness.Start(harness.Options{Setup: func(mgr ctrl.Manager) error {
		ctx := context.Background()
		workload, err = clustercache.SetupWithManager(ctx, mgr, clustercache.Options{SecretClient: mgr.GetAPIReader(), Client: clustercache.ClientOptions{UserAgent: "5spot-test"}}, controller.Options{})
		if err != nil {
			return err
		}
		r := newReconciler(mgr.GetClient())
		r.Recorder = mgr.GetEventRecorder("5spot-scheduledmachinepool")
		return r.SetupWithManager(ctx, mgr, controller.Options{SkipNameValidation: ptr.To(true)})
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test API server:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

func newReconciler(c client.Client) *scheduledmachinepool.Reconciler {
	return &scheduledmachinepool.Reconciler{
		Client: c, Workload: workload, Clock: clk,
		ProvisioningTimeout: provisioningTimeout, StuckDeletionAfter: 15 * time.Minute,
		WatchFilterValue: "manager",
	}
}

// clockMu serialises tests that move the shared clock.
var clockMu sync.Mutex

func useClock(t *testing.T, at time.Time) {
	clockMu.Lock()
	clk.SetTime(at)
	t.Cleanup(func() { clk.SetTime(start); clockMu.Unlock() })
}

// fixture is one namespace with a Cluster whose workload cluster is the test
// API server itself (its kubeconfig secret points back at it), so Nodes are
// reached through CAPI's cluster cache exactly as in production.
type fixture struct {
	t       *testing.T
	g       *WithT
	ctx     context.Context
	ns      string
	cluster *clusterv1.Cluster
}

func newFixture(t *testing.T) *fixture {
	g := NewWithT(t)
	g.SetDefaultEventuallyTimeout(20 * time.Second)
	g.SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	ns, err := env.CreateNamespace(ctx, "smp")
	g.Expect(err).NotTo(HaveOccurred())
	f := &fixture{t: t, g: g, ctx: ctx, ns: ns}
	f.cluster = f.createCluster("c1")
	return f
}

func (f *fixture) createCluster(name string) *clusterv1.Cluster {
	kubeconfig, err := env.Kubeconfig()
	f.g.Expect(err).NotTo(HaveOccurred())
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-kubeconfig", Namespace: f.ns, Labels: map[string]string{clusterv1.ClusterNameLabel: name}},
		Data:       map[string][]byte{"value": kubeconfig},
		Type:       clusterv1.ClusterSecretType,
	}
	f.g.Expect(env.Client.Create(f.ctx, secret)).To(Succeed())
	cluster := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
		Spec:       clusterv1.ClusterSpec{ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "127.0.0.1", Port: 6443}},
	}
	f.g.Expect(env.Client.Create(f.ctx, cluster)).To(Succeed())
	cluster.Status.Initialization.InfrastructureProvisioned = ptr.To(true)
	cluster.Status.Initialization.ControlPlaneInitialized = ptr.To(true)
	f.g.Expect(env.Client.Status().Update(f.ctx, cluster)).To(Succeed())
	return cluster
}

// pool returns a pool for the fixture's Cluster, managed by the manager's
// controller: baseline replicas, no schedule entries.
func (f *fixture) pool(name string, replicas int32) *v1alpha1.ScheduledMachinePool {
	return &v1alpha1.ScheduledMachinePool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns, Labels: map[string]string{clusterv1.WatchLabel: managed[clusterv1.WatchLabel]}},
		Spec: v1alpha1.ScheduledMachinePoolSpec{
			ClusterName: f.cluster.Name,
			Replicas:    ptr.To(replicas),
			Template: v1alpha1.ScheduledMachineTemplate{
				BootstrapSpec: v1alpha1.EmbeddedResource{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig",
					Spec: runtime.RawExtension{Raw: []byte(`{"joinConfiguration":{"nodeRegistration":{"imagePullPolicy":"IfNotPresent"}}}`)}},
				InfrastructureSpec: v1alpha1.EmbeddedResource{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DevMachine",
					Spec: runtime.RawExtension{Raw: []byte(`{"backend":{"inMemory":{}}}`)}},
				Version:                 "v1.36.0",
				GracefulShutdownTimeout: &metav1.Duration{Duration: 2 * time.Minute},
				NodeDrainTimeout:        &metav1.Duration{Duration: 3 * time.Minute},
			},
		},
	}
}

func entry(name string, replicas int32, days, hours string) v1alpha1.PoolSchedule {
	return v1alpha1.PoolSchedule{Name: name, Replicas: replicas,
		Schedule: v1alpha1.ScheduleSpec{DaysOfWeek: []string{days}, HoursOfDay: []string{hours}}}
}

func (f *fixture) get(p *v1alpha1.ScheduledMachinePool) *v1alpha1.ScheduledMachinePool {
	got := &v1alpha1.ScheduledMachinePool{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
	return got
}

// update changes a pool's spec, retrying on conflicts with the controller.
func (f *fixture) update(p *v1alpha1.ScheduledMachinePool, change func(*v1alpha1.ScheduledMachinePool)) {
	f.t.Helper()
	f.g.Eventually(func() error {
		cur := f.get(p)
		change(cur)
		return env.Client.Update(f.ctx, cur)
	}).Should(Succeed())
}

// poke makes the controller look again (after the test moved the clock: the
// controller's own wake-up timer runs on real time).
func (f *fixture) poke(p *v1alpha1.ScheduledMachinePool) {
	f.t.Helper()
	f.g.Eventually(func() error {
		cur := f.get(p)
		base := cur.DeepCopy()
		if cur.Annotations == nil {
			cur.Annotations = map[string]string{}
		}
		cur.Annotations["test.5spot/poke"] = clk.Now().Format(time.RFC3339Nano) + fmt.Sprint(time.Now().UnixNano())
		return env.Client.Patch(f.ctx, cur, client.MergeFrom(base))
	}).Should(Succeed())
}

// step moves the clock and pokes the pool.
func (f *fixture) step(p *v1alpha1.ScheduledMachinePool, to time.Time) {
	f.t.Helper()
	clk.SetTime(to)
	f.poke(p)
}

// machines returns the names of the pool's Machines that are not being
// deleted, oldest first (by counter).
func (f *fixture) machines(p *v1alpha1.ScheduledMachinePool) []string {
	list := &clusterv1.MachineList{}
	f.g.Expect(env.Client.List(f.ctx, list, client.InNamespace(f.ns), client.MatchingLabels{v1alpha1.ScheduledMachinePoolLabel: p.Name})).To(Succeed())
	var names []string
	for _, m := range list.Items {
		if m.DeletionTimestamp.IsZero() {
			names = append(names, m.Name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return counter(a) - counter(b) })
	return names
}

// counter is the number a pool Machine's name ends with.
func counter(name string) int {
	n, _ := strconv.Atoi(name[strings.LastIndexByte(name, '-')+1:])
	return n
}

// eventuallyMachines waits until the pool's live Machines are exactly names.
func (f *fixture) eventuallyMachines(p *v1alpha1.ScheduledMachinePool, names ...string) {
	f.t.Helper()
	if names == nil {
		names = []string{}
	}
	f.g.Eventually(func() []string { return append([]string{}, f.machines(p)...) }).Should(Equal(names))
}

func (f *fixture) machine(name string) *clusterv1.Machine {
	m := &clusterv1.Machine{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, m)).To(Succeed())
	return m
}

func (f *fixture) exists(obj client.Object) bool {
	return env.Client.Get(f.ctx, client.ObjectKeyFromObject(obj), obj) == nil
}

func (f *fixture) gone(name string) bool {
	return !f.exists(&clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns}})
}

// nodeName is unique per test namespace: Nodes are cluster-scoped.
func (f *fixture) nodeName(machine string) string { return f.ns + "-" + machine }

// emulateCAPIRunning plays Cluster API's part: the Machine becomes Running
// with a Node, created (Ready or not) in the workload cluster.
func (f *fixture) emulateCAPIRunning(machineName string, ready bool) *corev1.Node {
	f.t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: f.nodeName(machineName)}}
	f.g.Expect(env.Client.Create(f.ctx, node)).To(Succeed())
	f.t.Cleanup(func() { _ = env.Client.Delete(context.Background(), node) })
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(), Reason: "Test"}}
	f.g.Expect(env.Client.Status().Update(f.ctx, node)).To(Succeed())

	m := f.machine(machineName)
	m.Spec.ProviderID = "in-memory://" + node.Name
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	m.Status.Phase = string(clusterv1.MachinePhaseRunning)
	m.Status.NodeRef = clusterv1.MachineNodeReference{Name: node.Name}
	f.g.Expect(env.Client.Status().Update(f.ctx, m)).To(Succeed())
	return node
}

func (f *fixture) node(machine string) *corev1.Node {
	n := &corev1.Node{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKey{Name: f.nodeName(machine)}, n)).To(Succeed())
	return n
}

// slot returns the pool's status entry of a Machine.
func slot(p *v1alpha1.ScheduledMachinePool, name string) *v1alpha1.PoolMachine {
	for i := range p.Status.Machines {
		if p.Status.Machines[i].Name == name {
			return &p.Status.Machines[i]
		}
	}
	return nil
}

// eventuallyReady waits until the pool reports ready Machines = want = desired.
func (f *fixture) eventuallyReady(p *v1alpha1.ScheduledMachinePool, want int32) *v1alpha1.ScheduledMachinePool {
	f.t.Helper()
	var got *v1alpha1.ScheduledMachinePool
	f.g.Eventually(func() bool {
		got = f.get(p)
		return got.Status.DesiredReplicas == want && got.Status.ReadyReplicas == want && got.Status.Replicas == want
	}).Should(BeTrue(), func() string {
		return fmt.Sprintf("pool %s should have %d ready Machines; status: %+v", p.Name, want, got.Status)
	})
	return got
}

// runAll brings every live Machine of the pool up that has no Node yet.
func (f *fixture) runAll(p *v1alpha1.ScheduledMachinePool) {
	f.t.Helper()
	for _, name := range f.machines(p) {
		if f.machine(name).Status.NodeRef.Name == "" {
			f.emulateCAPIRunning(name, true)
		}
	}
}

// events returns the reasons of the Events about an object.
func (f *fixture) events(obj client.Object) []string {
	list := &eventsv1.EventList{}
	f.g.Expect(env.Client.List(f.ctx, list, client.InNamespace(f.ns))).To(Succeed())
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.Name == obj.GetName() {
			reasons = append(reasons, e.Type+"/"+e.Reason)
		}
	}
	return reasons
}
