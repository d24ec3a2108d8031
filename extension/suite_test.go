package extension_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/extension"
	"github.com/5spot-dev/5spot/test/harness"
)

var env *harness.Env

func TestMain(m *testing.M) {
	var err error
	env, err = harness.Start(harness.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test API server:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

// wakes records which Clusters the handlers woke.
type wakes struct {
	mu   sync.Mutex
	keys []client.ObjectKey
}

func (w *wakes) wake(_ context.Context, k client.ObjectKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.keys = append(w.keys, k)
}

func (w *wakes) all() []client.ObjectKey {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]client.ObjectKey(nil), w.keys...)
}

type fixture struct {
	t       *testing.T
	g       *WithT
	ctx     context.Context
	cluster *clusterv1.Cluster
	wakes   *wakes
	h       *extension.Handlers
}

func newFixture(t *testing.T) *fixture {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	ns, err := env.CreateNamespace(ctx, "ext")
	g.Expect(err).NotTo(HaveOccurred())
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: ns},
		Spec: clusterv1.ClusterSpec{ControlPlaneEndpoint: clusterv1.APIEndpoint{Host: "127.0.0.1", Port: 6443}}}
	g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
	w := &wakes{}
	return &fixture{t: t, g: g, ctx: ctx, cluster: cluster, wakes: w,
		h: &extension.Handlers{Client: env.Client, Wake: w.wake, RetryAfterSeconds: 7}}
}

// scheduledMachine creates a ScheduledMachine of the Cluster in a phase.
func (f *fixture) scheduledMachine(name string, phase v1alpha1.Phase) *v1alpha1.ScheduledMachine {
	sm := &v1alpha1.ScheduledMachine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.cluster.Namespace},
		Spec: v1alpha1.ScheduledMachineSpec{
			ClusterName: f.cluster.Name,
			Schedule:    v1alpha1.ScheduleSpec{HoursOfDay: []string{"9-17"}},
			BootstrapSpec: v1alpha1.EmbeddedResource{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig",
				Spec: runtime.RawExtension{Raw: []byte(`{}`)}},
			InfrastructureSpec: v1alpha1.EmbeddedResource{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DevMachine",
				Spec: runtime.RawExtension{Raw: []byte(`{}`)}},
		},
	}
	f.g.Expect(env.Client.Create(f.ctx, sm)).To(Succeed())
	f.setPhase(sm, phase)
	return sm
}

func (f *fixture) setPhase(sm *v1alpha1.ScheduledMachine, phase v1alpha1.Phase) {
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(sm), sm)).To(Succeed())
	sm.Status.Phase = phase
	f.g.Expect(env.Client.Status().Update(f.ctx, sm)).To(Succeed())
}

// machine creates a Machine 5-Spot would have created, at a version.
func (f *fixture) machine(name, version string) *clusterv1.Machine {
	m := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.cluster.Namespace, Labels: map[string]string{
			clusterv1.ClusterNameLabel: f.cluster.Name, v1alpha1.ScheduledMachineLabel: name}},
		Spec: clusterv1.MachineSpec{ClusterName: f.cluster.Name, Version: version,
			Bootstrap:         clusterv1.Bootstrap{DataSecretName: ptrTo("x")},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{APIGroup: "infrastructure.cluster.x-k8s.io", Kind: "DevMachine", Name: name}},
	}
	f.g.Expect(env.Client.Create(f.ctx, m)).To(Succeed())
	return m
}

func ptrTo[T any](v T) *T { return &v }

func (f *fixture) freshCluster() *clusterv1.Cluster {
	c := &clusterv1.Cluster{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKeyFromObject(f.cluster), c)).To(Succeed())
	return c
}

func (f *fixture) scheduledMachineNamed(name string) *v1alpha1.ScheduledMachine {
	sm := &v1alpha1.ScheduledMachine{}
	f.g.Expect(env.Client.Get(f.ctx, client.ObjectKey{Namespace: f.cluster.Namespace, Name: name}, sm)).To(Succeed())
	return sm
}

func (f *fixture) annotations(name string) map[string]string {
	return f.scheduledMachineNamed(name).Annotations
}

func (f *fixture) resourceVersion(name string) string {
	return f.scheduledMachineNamed(name).ResourceVersion
}
