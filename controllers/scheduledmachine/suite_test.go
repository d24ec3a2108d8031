package scheduledmachine_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
	"github.com/5spot-dev/5spot/controllers/scheduledmachine"
	"github.com/5spot-dev/5spot/test/harness"
)

// start is Monday 2026-11-30 08:00 UTC; tests step the clock from there.
var start = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

var (
	env      *harness.Env
	clk      = clocktesting.NewFakeClock(start)
	workload clustercache.ClusterCache
	// managed is the label that lets the manager's controller act on an object
	// (--watch-filter); objects without it are driven by direct Reconcile calls.
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
		r.Recorder = mgr.GetEventRecorder("5spot-scheduledmachine")
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

func newReconciler(c client.Client) *scheduledmachine.Reconciler {
	return &scheduledmachine.Reconciler{
		Client: c, Workload: workload, Clock: clk,
		ProvisioningTimeout: provisioningTimeout, StuckDeletionAfter: 15 * time.Minute,
		WatchFilterValue: "manager",
	}
}

// clockMu serialises tests that move the shared clock.
var clockMu sync.Mutex

// useClock sets the clock for one test and resets it afterwards.
func useClock(t *testing.T, at time.Time) {
	clockMu.Lock()
	clk.SetTime(at)
	t.Cleanup(func() { clk.SetTime(start); clockMu.Unlock() })
}

func testCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
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
	ctx := testCtx(t)
	ns, err := env.CreateNamespace(ctx, "sm")
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

// sm returns a ScheduledMachine for the fixture's Cluster, managed by the
// manager's controller, active on weekdays 09-17 UTC.
func (f *fixture) sm(name string) *v1alpha1.ScheduledMachine {
	return &v1alpha1.ScheduledMachine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns, Labels: copyLabels(managed)},
		Spec: v1alpha1.ScheduledMachineSpec{
			ClusterName: f.cluster.Name,
			Schedule:    v1alpha1.ScheduleSpec{DaysOfWeek: []string{"mon-fri"}, HoursOfDay: []string{"9-17"}},
			BootstrapSpec: v1alpha1.EmbeddedResource{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig",
				Spec: runtime.RawExtension{Raw: []byte(`{"joinConfiguration":{"nodeRegistration":{"imagePullPolicy":"IfNotPresent"}}}`)}},
			InfrastructureSpec: v1alpha1.EmbeddedResource{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DevMachine",
				Spec: runtime.RawExtension{Raw: []byte(`{"backend":{"inMemory":{}}}`)}},
			Version:                 "v1.36.0",
			GracefulShutdownTimeout: &metav1.Duration{Duration: 2 * time.Minute},
			NodeDrainTimeout:        &metav1.Duration{Duration: 3 * time.Minute},
		},
	}
}

func copyLabels(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (f *fixture) get(sm *v1alpha1.ScheduledMachine) *v1alpha1.ScheduledMachine {
	got := &v1alpha1.ScheduledMachine{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(sm), got)).To(Succeed())
	return got
}

// poke makes the controller look again (after the test moved the clock: the
// controller's own wake-up timer runs on real time).
func (f *fixture) poke(sm *v1alpha1.ScheduledMachine) {
	f.t.Helper()
	f.g.Eventually(func() error {
		cur := f.get(sm)
		base := cur.DeepCopy()
		if cur.Annotations == nil {
			cur.Annotations = map[string]string{}
		}
		cur.Annotations["test.5spot/poke"] = clk.Now().Format(time.RFC3339Nano) + fmt.Sprint(time.Now().UnixNano())
		return env.Client.Patch(f.ctx, cur, client.MergeFrom(base))
	}).Should(Succeed())
}

// eventuallyPhase waits for a phase, poking the controller as it goes.
func (f *fixture) eventuallyPhase(sm *v1alpha1.ScheduledMachine, phase v1alpha1.Phase) *v1alpha1.ScheduledMachine {
	f.t.Helper()
	var got *v1alpha1.ScheduledMachine
	f.g.Eventually(func() v1alpha1.Phase {
		got = f.get(sm)
		return got.Status.Phase
	}).WithTimeout(20*time.Second).Should(Equal(phase), func() string {
		return fmt.Sprintf("ScheduledMachine %s should reach phase %s; status: %+v", sm.Name, phase, got.Status)
	})
	return got
}

func (f *fixture) machine(name string) *clusterv1.Machine {
	m := &clusterv1.Machine{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKey{Namespace: f.ns, Name: name}, m)).To(Succeed())
	return m
}

func (f *fixture) exists(obj client.Object) bool {
	err := env.Client.Get(f.ctx, client.ObjectKeyFromObject(obj), obj)
	return err == nil
}

func unstructuredRef(apiVersion, kind, ns, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// emulateCAPIRunning plays Cluster API's part: the Machine becomes Running
// with a Node, which is created Ready in the workload cluster.
func (f *fixture) emulateCAPIRunning(machineName, nodeName string, ready bool) *corev1.Node {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
	f.g.Expect(env.Client.Create(f.ctx, node)).To(Succeed())
	f.t.Cleanup(func() { _ = env.Client.Delete(context.Background(), node) })
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now(), Reason: "Test"}}
	f.g.Expect(env.Client.Status().Update(f.ctx, node)).To(Succeed())

	m := f.machine(machineName)
	m.Spec.ProviderID = "in-memory://" + nodeName
	f.g.Expect(env.Client.Update(f.ctx, m)).To(Succeed())
	m.Status.Phase = string(clusterv1.MachinePhaseRunning)
	m.Status.NodeRef = clusterv1.MachineNodeReference{Name: nodeName}
	f.g.Expect(env.Client.Status().Update(f.ctx, m)).To(Succeed())
	return node
}

func (f *fixture) node(name string) *corev1.Node {
	n := &corev1.Node{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKey{Name: name}, n)).To(Succeed())
	return n
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

func metaFor(name, ns string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }
