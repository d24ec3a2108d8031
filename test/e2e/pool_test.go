package e2e

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// A pool going 1 -> 3 -> 1 as its entry opens and closes, on real CAPI: the
// two extra Machines are created, become Running, and when the entry closes
// are cordoned, drained and deleted by CAPI with nothing left behind.
func TestPoolScalesUpAndDownWithItsScheduleOnRealClusterAPI(t *testing.T) {
	t.Parallel()
	s := newScenario(t, "pool")
	sm := s.scheduledMachine("template") // reuse its inline specs
	pool := &v1alpha1.ScheduledMachinePool{
		ObjectMeta: metav1.ObjectMeta{Name: "batch", Namespace: s.ns},
		Spec: v1alpha1.ScheduledMachinePoolSpec{
			ClusterName: s.wc.Name,
			Template: v1alpha1.ScheduledMachineTemplate{
				BootstrapSpec: sm.Spec.BootstrapSpec, InfrastructureSpec: sm.Spec.InfrastructureSpec,
				GracefulShutdownTimeout: &metav1.Duration{Duration: 2 * time.Second},
			},
			Replicas: ptr.To[int32](1),
			// The entry's own schedule is almost never active: the override
			// opens it (ForceOn without replicas = the largest entry).
			Schedules: []v1alpha1.PoolSchedule{{Name: "peak", Replicas: 3, Schedule: v1alpha1.ScheduleSpec{Cron: "0 0 29 2 *"}}},
		},
	}
	s.g.Expect(s.c.Create(s.ctx, pool)).To(Succeed())

	machines := func() []clusterv1.Machine {
		list := &clusterv1.MachineList{}
		s.g.Expect(s.c.List(s.ctx, list, client.InNamespace(s.ns), client.MatchingLabels{v1alpha1.ScheduledMachinePoolLabel: pool.Name})).To(Succeed())
		return list.Items
	}
	running := func(n int) func(g Gomega) {
		return func(g Gomega) {
			got := &v1alpha1.ScheduledMachinePool{}
			g.Expect(s.c.Get(s.ctx, client.ObjectKeyFromObject(pool), got)).To(Succeed())
			g.Expect(got.Status.ReadyReplicas).To(BeEquivalentTo(n))
			ms := machines()
			g.Expect(ms).To(HaveLen(n))
			for _, m := range ms {
				g.Expect(m.Status.Phase).To(Equal(string(clusterv1.MachinePhaseRunning)))
			}
		}
	}
	s.g.Eventually(running(1)).WithTimeout(2*time.Minute).Should(Succeed(), "the baseline: one Machine Running")
	first := machines()[0].Name

	opened := time.Now()
	s.g.Eventually(func() error {
		cur := &v1alpha1.ScheduledMachinePool{}
		s.g.Expect(s.c.Get(s.ctx, client.ObjectKeyFromObject(pool), cur)).To(Succeed())
		cur.Spec.Override = &v1alpha1.PoolOverride{ScheduleOverride: v1alpha1.ScheduleOverride{
			Mode: v1alpha1.OverrideForceOn, Until: metav1.NewTime(time.Now().Add(time.Hour).Truncate(time.Second))}}
		return s.c.Update(s.ctx, cur)
	}).WithTimeout(10 * time.Second).Should(Succeed())
	s.g.Eventually(running(3)).WithTimeout(2*time.Minute).Should(Succeed(), "the entry opens: three Machines Running")
	t.Logf("entry open -> 3 Machines Running: %s", time.Since(opened).Round(100*time.Millisecond))

	var extra []clusterv1.Machine
	secrets := map[string]string{}
	for _, m := range machines() {
		cfg := &bootstrapv1.KubeadmConfig{}
		s.g.Expect(s.c.Get(s.ctx, client.ObjectKey{Namespace: s.ns, Name: m.Name}, cfg)).To(Succeed())
		secrets[m.Name] = cfg.Status.DataSecretName
		if m.Name != first {
			extra = append(extra, m)
		}
	}

	closed := time.Now()
	s.g.Eventually(func() error {
		cur := &v1alpha1.ScheduledMachinePool{}
		s.g.Expect(s.c.Get(s.ctx, client.ObjectKeyFromObject(pool), cur)).To(Succeed())
		cur.Spec.Override = nil
		return s.c.Update(s.ctx, cur)
	}).WithTimeout(10 * time.Second).Should(Succeed())
	s.g.Eventually(running(1)).WithTimeout(2*time.Minute).Should(Succeed(), "the entry closes: back to one Machine")
	for _, m := range extra {
		s.waitNothingLeft(m.Name, secrets[m.Name])
		s.g.Expect(s.gone(&infrav1.DevMachine{ObjectMeta: metav1.ObjectMeta{Namespace: s.ns, Name: m.Name}})()).To(BeTrue())
	}
	t.Logf("entry closed -> back to 1 with nothing left: %s", time.Since(closed).Round(100*time.Millisecond))
	s.g.Expect(machines()[0].Name).To(Equal(first), "the newest Machines go first (deletePolicy Newest)")
}
