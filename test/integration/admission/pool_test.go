package admission

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/offline"
	"github.com/5spot-dev/5spot/test/harness"
)

// The pool example is accepted unchanged; the API server's defaults equal
// the offline validator's.
func TestPoolExampleIsAcceptedAndReadBackWithDefaults(t *testing.T) {
	g := NewWithT(t)
	c := ctx(t)
	v := offlineValidator(t)
	doc := readDocs(t, filepath.Join(harness.RepoRoot(), "test", "testdata", "pools", "business-hours-pool.yaml"))[0]
	u := doc.Object.DeepCopy()
	g.Expect(env.Client.Create(c, u)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx(t), u) })

	got := &v1alpha1.ScheduledMachinePool{}
	g.Expect(env.Client.Get(c, client.ObjectKeyFromObject(u), got)).To(Succeed())
	s := got.Spec
	g.Expect(s.DeletePolicy).To(Equal(v1alpha1.DeleteNewest))
	g.Expect(s.MaxUnavailable).To(HaveValue(BeEquivalentTo(1)))
	g.Expect(s.Template.GracefulShutdownTimeout.Duration).To(Equal(5 * time.Minute))
	g.Expect(s.Template.NodeDrainTimeout.Duration).To(Equal(5 * time.Minute))
	g.Expect(s.Schedules[1].Schedule.Enabled).To(HaveValue(BeTrue()))

	res := v.Validate(c, doc.Object)
	g.Expect(res.Errors).To(BeEmpty())
	g.Expect(res.Pool).NotTo(BeNil())
	g.Expect(res.Pool.Spec).To(Equal(got.Spec), "offline defaults must equal the API server's")
}

// Pool manifests break the ScheduledMachine rules at the pool's field paths
// (spec.schedules[i].schedule..., spec.template...); the API server and
// `kubectl 5spot validate` report the same violations.
func TestInvalidPoolsAreRejectedWithFieldPathsOnlineAndOffline(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(harness.RepoRoot(), "test", "testdata", "invalid-pools", "*.yaml"))
	if len(files) < 10 {
		t.Fatalf("expected the invalid pool manifests, found %d", len(files))
	}
	v := offlineValidator(t)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			g := NewWithT(t)
			c := ctx(t)
			doc := readDocs(t, file)[0]
			err := env.Client.Create(c, doc.Object.DeepCopy())
			if err == nil {
				_ = env.Client.Delete(c, doc.Object.DeepCopy())
				t.Fatalf("the API server accepted an invalid pool")
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid status, got %v", err)
			online := serverViolations(t, err)
			offlineLines := offline.ViolationLines(v.Validate(c, doc.Object).Errors)
			slices.Sort(online)
			slices.Sort(offlineLines)
			g.Expect(offlineLines).To(Equal(online), "kubectl 5spot validate must report exactly what the API server reports")
			for _, w := range expectations(t, file) {
				g.Expect(online).To(ContainElement(And(HavePrefix(w.field+": "), ContainSubstring(w.substring))),
					"expected a violation of %s mentioning %q", w.field, w.substring)
			}
		})
	}
}

func TestPoolClusterNameIsImmutableWhileItHasMachines(t *testing.T) {
	g := NewWithT(t)
	c := ctx(t)
	p := validPool("immutable-pool")
	g.Expect(env.Client.Create(c, p)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx(t), p) })

	p.Spec.ClusterName = "other"
	g.Expect(env.Client.Update(c, p)).To(Succeed(), "without Machines the cluster may change")

	p.Status.Machines = []v1alpha1.PoolMachine{{Name: "immutable-pool-1", Phase: v1alpha1.PhaseActive}}
	g.Expect(env.Client.Status().Update(c, p)).To(Succeed())
	p.Spec.ClusterName = "third"
	err := env.Client.Update(c, p)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring(`spec.clusterName: Forbidden: cannot change while the pool has 1 Machines (for example "immutable-pool-1")`))
}

func TestPoolEntryThatNeverActivatesIsAcceptedWithAWarning(t *testing.T) {
	g := NewWithT(t)
	c := ctx(t)
	rec := &warningRecorder{}
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandler = rec
	cl, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())

	p := validPool("never-pool")
	p.Spec.Schedules = append(p.Spec.Schedules, v1alpha1.PoolSchedule{Name: "leap", Replicas: 3, Schedule: v1alpha1.ScheduleSpec{Cron: "* * 30 2 *"}})
	g.Expect(cl.Create(c, p)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx(t), p) })
	g.Expect(rec.warnings).To(ContainElement(ContainSubstring("spec.schedules[1].schedule: schedule leap never becomes active")))
}

// kubectl get smp tells the story: desired and ready counts, the active
// entries and when the count changes next.
func TestKubectlGetShowsThePoolColumns(t *testing.T) {
	g := NewWithT(t)
	c := ctx(t)
	p := validPool("columns")
	g.Expect(env.Client.Create(c, p)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx(t), p) })
	p.Status = v1alpha1.ScheduledMachinePoolStatus{DesiredReplicas: 3, ReadyReplicas: 2, Replicas: 3, ActiveSchedule: "day",
		NextChange: &v1alpha1.PoolChange{Time: metav1.NewTime(now.Add(5 * time.Hour)), Replicas: 1}}
	g.Expect(env.Client.Status().Update(c, p)).To(Succeed())

	kubeconfig, err := env.Kubeconfig()
	g.Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(t.TempDir(), "kubeconfig")
	g.Expect(os.WriteFile(path, kubeconfig, 0o600)).To(Succeed())
	out, err := exec.Command(harness.KubectlPath(), "--kubeconfig", path, "get", "smp", "-n", "default", "columns").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	g.Expect(lines).To(HaveLen(2))
	g.Expect(strings.Fields(lines[0])).To(Equal([]string{"NAME", "CLUSTER", "DESIRED", "REPLICAS", "READY", "ACTIVE", "SCHEDULE", "NEXT", "CHANGE", "AGE"}))
	g.Expect(strings.Fields(lines[1])[:6]).To(Equal([]string{"columns", "c1", "3", "3", "2", "day"}))
}

func validPool(name string) *v1alpha1.ScheduledMachinePool {
	sm := validSM(name)
	return &v1alpha1.ScheduledMachinePool{
		ObjectMeta: sm.ObjectMeta,
		Spec: v1alpha1.ScheduledMachinePoolSpec{
			ClusterName: "c1",
			Replicas:    ptr.To[int32](1),
			Schedules:   []v1alpha1.PoolSchedule{{Name: "day", Replicas: 3, Schedule: sm.Spec.Schedule}},
			Template: v1alpha1.ScheduledMachineTemplate{
				BootstrapSpec:      sm.Spec.BootstrapSpec,
				InfrastructureSpec: v1alpha1.EmbeddedResource{APIVersion: sm.Spec.InfrastructureSpec.APIVersion, Kind: "DevMachine", Spec: runtime.RawExtension{Raw: []byte(`{}`)}},
			},
		},
	}
}
