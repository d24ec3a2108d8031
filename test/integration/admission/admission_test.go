package admission

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/offline"
	"github.com/5spot-dev/5spot/internal/validation"
	"github.com/5spot-dev/5spot/test/harness"
)

func readDocs(t *testing.T, file string) []offline.Document {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := offline.ReadDocuments(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no objects", file)
	}
	return docs
}

func offlineValidator(t *testing.T) *offline.Validator {
	t.Helper()
	v, err := offline.NewValidator(validation.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// exampleFiles are the manifests users start from: ours, and the shared ones
// beside the repository when they are there (they must stay identical).
func exampleFiles(t *testing.T) []string {
	ours, _ := filepath.Glob(filepath.Join(harness.RepoRoot(), "test", "testdata", "examples", "*.yaml"))
	if len(ours) < 3 {
		t.Fatalf("expected the example manifests in test/testdata/examples, found %d", len(ours))
	}
	shared, _ := filepath.Glob(filepath.Join(harness.RepoRoot(), "..", "shared", "examples", "*.yaml"))
	return append(ours, shared...)
}

func TestExamplesAreAcceptedUnchangedAndReadBackWithDefaults(t *testing.T) {
	v := offlineValidator(t)
	for _, file := range exampleFiles(t) {
		for _, doc := range readDocs(t, file) {
			t.Run(filepath.Base(file)+"/"+doc.Object.GetName(), func(t *testing.T) {
				g := NewWithT(t)
				c := ctx(t)
				u := doc.Object.DeepCopy()
				g.Expect(env.Client.Create(c, u)).To(Succeed(), "the API server must accept %s unchanged", file)
				t.Cleanup(func() { _ = env.Client.Delete(ctx(t), u) })

				got := &v1alpha1.ScheduledMachine{}
				g.Expect(env.Client.Get(c, client.ObjectKeyFromObject(u), got)).To(Succeed())
				s := got.Spec
				g.Expect(s.Priority).To(HaveValue(BeEquivalentTo(orInt(doc, 50, "spec", "priority"))))
				g.Expect(s.GracefulShutdownTimeout.Duration).To(Equal(5 * time.Minute))
				g.Expect(s.NodeDrainTimeout.Duration).To(Equal(5 * time.Minute))
				g.Expect(s.KillSwitch).To(BeFalse())
				g.Expect(s.Schedule.Enabled).To(HaveValue(BeTrue()))
				g.Expect(s.Schedule.Timezone).NotTo(BeEmpty())
				raw, _, _ := unstructured.NestedString(doc.Object.Object, "spec", "schedule", "timezone")
				if raw == "" {
					g.Expect(s.Schedule.Timezone).To(Equal("UTC"))
				}

				res := v.Validate(c, doc.Object)
				g.Expect(res.Errors).To(BeEmpty(), "kubectl 5spot validate must accept %s", file)
				g.Expect(res.Object.Spec).To(Equal(got.Spec), "offline defaults must equal the API server's")
			})
		}
	}
}

func orInt(doc offline.Document, def int64, path ...string) int64 {
	if v, ok, _ := unstructured.NestedInt64(doc.Object.Object, path...); ok {
		return v
	}
	return def
}

// expectation is a "# expect: <field> ~ <substring>" header line of a corpus file.
type expectation struct{ field, substring string }

func expectations(t *testing.T, file string) []expectation {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []expectation
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "# expect: ")
		if !ok {
			continue
		}
		f, s, ok := strings.Cut(rest, " ~ ")
		if !ok {
			t.Fatalf("%s: malformed expectation %q", file, line)
		}
		out = append(out, expectation{f, s})
	}
	if len(out) == 0 {
		t.Fatalf("%s: no expectations", file)
	}
	return out
}

// serverViolations returns the API server's rejection as "<field>: <message>" lines.
func serverViolations(t *testing.T, err error) []string {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Fatalf("not an API status error: %v", err)
	}
	details := status.Status().Details
	if details == nil || len(details.Causes) == 0 {
		t.Fatalf("rejection carries no field causes: %v", err)
	}
	var lines []string
	for _, c := range details.Causes {
		lines = append(lines, c.Field+": "+c.Message)
	}
	return lines
}

func TestInvalidCorpusIsRejectedWithTheSameMessagesOnlineAndOffline(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(harness.RepoRoot(), "test", "testdata", "invalid", "*.yaml"))
	if len(files) < 40 {
		t.Fatalf("the invalid corpus must hold at least 40 manifests, found %d", len(files))
	}
	v := offlineValidator(t)
	multi := 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			g := NewWithT(t)
			c := ctx(t)
			doc := readDocs(t, file)[0]
			want := expectations(t, file)
			if len(want) > 1 {
				multi++
			}
			err := env.Client.Create(c, doc.Object.DeepCopy())
			if err == nil {
				_ = env.Client.Delete(c, doc.Object.DeepCopy())
				t.Fatalf("the API server accepted an invalid manifest")
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid status, got %v", err)
			online := serverViolations(t, err)
			offlineLines := offline.ViolationLines(v.Validate(c, doc.Object).Errors)

			slices.Sort(online)
			slices.Sort(offlineLines)
			g.Expect(offlineLines).To(Equal(online), "kubectl 5spot validate must report exactly what the API server reports")
			for _, w := range want {
				g.Expect(online).To(ContainElement(And(HavePrefix(w.field+": "), ContainSubstring(w.substring))),
					"expected a violation of %s mentioning %q", w.field, w.substring)
			}
		})
	}
	if multi < 3 {
		t.Errorf("the corpus should hold several manifests with several violations, found %d", multi)
	}
}

func TestClusterNameIsImmutableWhileAMachineExists(t *testing.T) {
	g := NewWithT(t)
	c := ctx(t)
	sm := validSM("immutable-cluster")
	g.Expect(env.Client.Create(c, sm)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx(t), sm) })

	// Without a Machine the cluster may change.
	sm.Spec.ClusterName = "other"
	g.Expect(env.Client.Update(c, sm)).To(Succeed())

	sm.Status.MachineRef = &v1alpha1.ObjectReference{APIVersion: "cluster.x-k8s.io/v1beta2", Kind: "Machine", Name: "m-1"}
	g.Expect(env.Client.Status().Update(c, sm)).To(Succeed())
	sm.Spec.ClusterName = "third"
	err := env.Client.Update(c, sm)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring(`spec.clusterName: Forbidden: cannot change while Machine "m-1" exists`))

	got := &v1alpha1.ScheduledMachine{}
	g.Expect(env.Client.Get(c, client.ObjectKeyFromObject(sm), got)).To(Succeed())
	g.Expect(got.Spec.ClusterName).To(Equal("other"), "a rejected update must leave the stored object as it was")
}

func TestRejectedUpdateKeepsTheRunningObject(t *testing.T) {
	g := NewWithT(t)
	c := ctx(t)
	sm := validSM("keep-running")
	g.Expect(env.Client.Create(c, sm)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx(t), sm) })
	sm.Spec.Schedule.HoursOfDay = []string{"9", "99"}
	err := env.Client.Update(c, sm)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("spec.schedule.hoursOfDay[1]"))
	got := &v1alpha1.ScheduledMachine{}
	g.Expect(env.Client.Get(c, client.ObjectKeyFromObject(sm), got)).To(Succeed())
	g.Expect(got.Spec.Schedule.HoursOfDay).To(Equal([]string{"9-17"}))
}

type warningRecorder struct{ warnings []string }

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.warnings = append(w.warnings, text)
}

func TestScheduleThatNeverActivatesIsAcceptedWithAWarning(t *testing.T) {
	g := NewWithT(t)
	c := ctx(t)
	rec := &warningRecorder{}
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandler = rec
	cl, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())

	sm := validSM("never")
	sm.Spec.Schedule = v1alpha1.ScheduleSpec{Cron: "* * 30 2 *"} // February 30th
	g.Expect(cl.Create(c, sm)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx(t), sm) })
	g.Expect(rec.warnings).To(ContainElement(ContainSubstring("never becomes active")))

	rec.warnings = nil
	ok := validSM("sometimes")
	g.Expect(cl.Create(c, ok)).To(Succeed())
	t.Cleanup(func() { _ = env.Client.Delete(ctx(t), ok) })
	g.Expect(rec.warnings).To(BeEmpty())
}

func TestExtraAPIGroupsAllowProvidersOutsideCAPIGroups(t *testing.T) {
	g := NewWithT(t)
	sm := validSM("k0s")
	sm.Spec.BootstrapSpec.APIVersion = "k0smotron.io/v1beta1"
	errs, _ := validation.ValidateScheduledMachine(sm, validation.Options{})
	g.Expect(errs.ToAggregate().Error()).To(ContainSubstring("spec.bootstrapSpec.apiVersion"))
	errs, _ = validation.ValidateScheduledMachine(sm, validation.Options{ExtraAPIGroups: []string{"k0smotron.io"}})
	g.Expect(errs).To(BeEmpty())
	g.Expect(validation.ValidateExtraAPIGroups([]string{"rbac.authorization.k8s.io"})).To(HaveOccurred())
	g.Expect(validation.ValidateExtraAPIGroups([]string{""})).To(HaveOccurred())
}

func validSM(name string) *v1alpha1.ScheduledMachine {
	return &v1alpha1.ScheduledMachine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1alpha1.ScheduledMachineSpec{
			ClusterName: "c1",
			Schedule:    v1alpha1.ScheduleSpec{DaysOfWeek: []string{"mon-fri"}, HoursOfDay: []string{"9-17"}},
			BootstrapSpec: v1alpha1.EmbeddedResource{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig",
				Spec: runtime.RawExtension{Raw: []byte(`{}`)}},
			InfrastructureSpec: v1alpha1.EmbeddedResource{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DevMachine",
				Spec: runtime.RawExtension{Raw: []byte(`{"backend":{"inMemory":{}}}`)}},
		},
	}
}
