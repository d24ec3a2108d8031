package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

// scenario is one namespace with a workload cluster whose control plane is up.
type scenario struct {
	t        *testing.T
	g        *WithT
	ctx      context.Context
	c        client.Client
	ns       string
	wc       *mgmt.WorkloadCluster
	workload client.Client
}

// newBareScenario is a namespace without a Cluster.
func newBareScenario(t *testing.T, name string) *scenario {
	g := NewWithT(t)
	g.SetDefaultEventuallyPollingInterval(poll)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	t.Cleanup(cancel)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-"}}
	g.Expect(plane.Client.Create(ctx, ns)).To(Succeed())
	return &scenario{t: t, g: g, ctx: ctx, c: plane.Client, ns: ns.Name}
}

func newScenario(t *testing.T, name string) *scenario {
	s := newBareScenario(t, name)
	g, ctx, c := s.g, s.ctx, s.c
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}}
	wc := &mgmt.WorkloadCluster{Namespace: ns.Name, Name: name}
	g.Expect(wc.Create(ctx, c)).To(Succeed())
	g.Eventually(func() error { return wc.ControlPlaneInitialized(ctx, c) }).WithTimeout(3*time.Minute).
		Should(Succeed(), "the workload cluster's control plane should be initialized")
	workload, err := wc.Client(ctx, c, plane.Scheme)
	g.Expect(err).NotTo(HaveOccurred())
	return &scenario{t: t, g: g, ctx: ctx, c: c, ns: ns.Name, wc: wc, workload: workload}
}

// scheduledMachine is a ScheduledMachine made of a kubeadm join and an
// in-memory DevMachine, whose own schedule is almost never active (29
// February, midnight): the tests open and close windows with overrides.
func (s *scenario) scheduledMachine(name string) *v1alpha1.ScheduledMachine {
	raw := func(v any) runtime.RawExtension {
		data, err := json.Marshal(v)
		s.g.Expect(err).NotTo(HaveOccurred())
		return runtime.RawExtension{Raw: data}
	}
	return &v1alpha1.ScheduledMachine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns},
		Spec: v1alpha1.ScheduledMachineSpec{
			ClusterName: s.wc.Name,
			Schedule:    v1alpha1.ScheduleSpec{Cron: "0 0 29 2 *"},
			BootstrapSpec: v1alpha1.EmbeddedResource{APIVersion: bootstrapv1.GroupVersion.String(), Kind: "KubeadmConfig",
				Spec: raw(mgmt.KubeadmJoinConfigSpec())},
			InfrastructureSpec: v1alpha1.EmbeddedResource{APIVersion: infrav1.GroupVersion.String(), Kind: "DevMachine",
				Spec: raw(mgmt.InMemoryDevMachineSpec())},
			GracefulShutdownTimeout: &metav1.Duration{Duration: 3 * time.Second},
			NodeTaints:              []v1alpha1.NodeTaint{{Key: "workload", Value: "batch", Effect: corev1.TaintEffectNoSchedule}},
		},
	}
}

func (s *scenario) get(sm *v1alpha1.ScheduledMachine) *v1alpha1.ScheduledMachine {
	got := &v1alpha1.ScheduledMachine{}
	s.g.Expect(s.c.Get(s.ctx, client.ObjectKeyFromObject(sm), got)).To(Succeed())
	return got
}

// update changes the ScheduledMachine, retrying on conflicts with the controller.
func (s *scenario) update(sm *v1alpha1.ScheduledMachine, change func(*v1alpha1.ScheduledMachine)) {
	s.g.Eventually(func() error {
		cur := s.get(sm)
		change(cur)
		return s.c.Update(s.ctx, cur)
	}).WithTimeout(10 * time.Second).Should(Succeed())
}

func override(mode v1alpha1.OverrideMode, d time.Duration) func(*v1alpha1.ScheduledMachine) {
	return func(sm *v1alpha1.ScheduledMachine) {
		sm.Spec.Override = &v1alpha1.ScheduleOverride{Mode: mode, Until: metav1.NewTime(time.Now().Add(d).Truncate(time.Second)), Reason: "e2e"}
	}
}

func (s *scenario) waitPhase(sm *v1alpha1.ScheduledMachine, phase v1alpha1.Phase, timeout time.Duration) *v1alpha1.ScheduledMachine {
	s.t.Helper()
	var got *v1alpha1.ScheduledMachine
	s.g.Eventually(func() v1alpha1.Phase {
		got = s.get(sm)
		return got.Status.Phase
	}).WithTimeout(timeout).Should(Equal(phase), func() string {
		return fmt.Sprintf("ScheduledMachine %s should reach %s; it is %s: %s", sm.Name, phase, got.Status.Phase, got.Status.Message)
	})
	return got
}

// waitRunning waits until the activation's Machine is Running with a Node
// and the ScheduledMachine reports it Active.
func (s *scenario) waitRunning(sm *v1alpha1.ScheduledMachine) (*v1alpha1.ScheduledMachine, *clusterv1.Machine) {
	s.t.Helper()
	got := s.waitPhase(sm, v1alpha1.PhaseActive, 2*time.Minute)
	m := &clusterv1.Machine{}
	s.g.Expect(s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: got.Status.MachineRef.Name}, m)).To(Succeed())
	s.g.Expect(m.Status.Phase).To(Equal(string(clusterv1.MachinePhaseRunning)))
	return got, m
}

// gone reports whether an object no longer exists.
func (s *scenario) gone(obj client.Object) func() bool {
	return func() bool { return apierrors.IsNotFound(s.c.Get(s.ctx, client.ObjectKeyFromObject(obj), obj)) }
}

// waitNothingLeft waits until the activation's Machine, KubeadmConfig,
// DevMachine and bootstrap data secret are all gone.
func (s *scenario) waitNothingLeft(name, bootstrapSecret string) {
	s.t.Helper()
	for _, obj := range []client.Object{
		&clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: name}},
		&bootstrapv1.KubeadmConfig{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: name}},
		&infrav1.DevMachine{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: name}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: bootstrapSecret}},
	} {
		s.g.Eventually(s.gone(obj)).WithTimeout(time.Minute).Should(BeTrue(), "%T %s should be gone", obj, obj.GetName())
	}
}

func (s *scenario) bootstrapSecretOf(name string) string {
	cfg := &bootstrapv1.KubeadmConfig{}
	s.g.Expect(s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: name}, cfg)).To(Succeed())
	s.g.Expect(cfg.Status.DataSecretName).NotTo(BeEmpty())
	return cfg.Status.DataSecretName
}

// The whole lifecycle on real CAPI: a window opens, CAPI provisions the
// Machine, 5-Spot taints the Node; the window closes, 5-Spot cordons the Node
// in the workload cluster, CAPI drains and deletes; the next window makes a
// fresh Machine; the kill switch terminates; deleting the ScheduledMachine
// cleans up.
func TestScheduledMachineLifecycleOnRealClusterAPI(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "life")
	sm := s.scheduledMachine("gpu")
	override(v1alpha1.OverrideForceOn, time.Hour)(sm)

	opened := time.Now()
	s.g.Expect(s.c.Create(s.ctx, sm)).To(Succeed())
	got, m := s.waitRunning(sm)
	t.Logf("window open -> Machine %s Running and Active: %s", m.Name, time.Since(opened).Round(100*time.Millisecond))
	s.g.Expect(got.Status.NodeRef).NotTo(BeNil())
	s.g.Expect(got.Status.ProviderID).To(Equal(m.Spec.ProviderID))
	s.g.Expect(m.Spec.Version).To(Equal(mgmt.DefaultKubernetesVersion), "created at the control plane's version")
	node := &corev1.Node{}
	s.g.Eventually(func(g Gomega) {
		g.Expect(s.workload.Get(s.ctx, client.ObjectKey{Name: got.Status.NodeRef.Name}, node)).To(Succeed())
		g.Expect(node.Spec.Taints).To(ContainElement(corev1.Taint{Key: "workload", Value: "batch", Effect: corev1.TaintEffectNoSchedule}))
	}).WithTimeout(30*time.Second).Should(Succeed(), "the Node in the workload cluster should carry the requested taint")
	secret := s.bootstrapSecretOf(m.Name)

	// The window closes.
	closed := time.Now()
	s.update(sm, override(v1alpha1.OverrideForceOff, time.Hour))
	s.waitPhase(sm, v1alpha1.PhaseShuttingDown, 30*time.Second)
	s.g.Eventually(func(g Gomega) {
		g.Expect(s.workload.Get(s.ctx, client.ObjectKey{Name: node.Name}, node)).To(Succeed())
		g.Expect(node.Spec.Unschedulable).To(BeTrue())
	}).WithTimeout(30*time.Second).Should(Succeed(), "the Node should be cordoned in the workload cluster")
	s.waitPhase(sm, v1alpha1.PhaseInactive, 2*time.Minute)
	s.waitNothingLeft(m.Name, secret)
	t.Logf("window closed -> Inactive with nothing left: %s", time.Since(closed).Round(100*time.Millisecond))

	// The next window: a fresh Machine.
	reopened := time.Now()
	s.update(sm, override(v1alpha1.OverrideForceOn, time.Hour))
	got, m2 := s.waitRunning(sm)
	s.g.Expect(m2.Name).NotTo(Equal(m.Name))
	t.Logf("next window -> Machine %s Running: %s", m2.Name, time.Since(reopened).Round(100*time.Millisecond))

	// Kill switch: gone at once, back when cleared.
	killed := time.Now()
	s.update(sm, func(sm *v1alpha1.ScheduledMachine) { sm.Spec.KillSwitch = true })
	s.waitPhase(sm, v1alpha1.PhaseTerminated, 30*time.Second)
	s.g.Eventually(s.gone(m2)).WithTimeout(time.Minute).Should(BeTrue(), "the kill switch removes the Machine")
	t.Logf("kill switch -> Machine gone: %s", time.Since(killed).Round(100*time.Millisecond))
	s.update(sm, func(sm *v1alpha1.ScheduledMachine) { sm.Spec.KillSwitch = false })
	got, m3 := s.waitRunning(sm)
	secret3 := s.bootstrapSecretOf(m3.Name)

	// Deleting the ScheduledMachine cleans up.
	s.g.Expect(s.c.Delete(s.ctx, got)).To(Succeed())
	s.g.Eventually(s.gone(&v1alpha1.ScheduledMachine{ObjectMeta: sm.ObjectMeta})).WithTimeout(2*time.Minute).
		Should(BeTrue(), "the ScheduledMachine should be released once its Machine is gone")
	s.waitNothingLeft(m3.Name, secret3)
}

// Deleting the Cluster while a scheduled Machine is Active completes: CAPI
// does not delete a Machine another controller owns, 5-Spot does.
func TestClusterDeletionWithAnActiveScheduledMachineCompletes(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "teardown")
	sm := s.scheduledMachine("batch")
	override(v1alpha1.OverrideForceOn, time.Hour)(sm)
	s.g.Expect(s.c.Create(s.ctx, sm)).To(Succeed())
	_, m := s.waitRunning(sm)

	begin := time.Now()
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: s.wc.Name}}
	s.g.Expect(s.c.Delete(s.ctx, cluster)).To(Succeed())
	s.g.Eventually(s.gone(m)).WithTimeout(2*time.Minute).Should(BeTrue(), "5-Spot should delete its Machine")
	s.g.Eventually(s.gone(cluster)).WithTimeout(3*time.Minute).Should(BeTrue(), "the Cluster's deletion should complete")
	t.Logf("Cluster deletion with an Active scheduled Machine completed in %s", time.Since(begin).Round(100*time.Millisecond))
	got := s.waitPhase(sm, v1alpha1.PhasePending, time.Minute)
	s.g.Expect(got.Status.MachineRef).To(BeNil())
}
