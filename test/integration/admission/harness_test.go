package admission

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/test/harness"
)

func TestHarnessInstallsTheClusterAPICRDs(t *testing.T) {
	g := NewWithT(t)
	c := ctx(t)
	ns, err := env.CreateNamespace(c, "harness")
	g.Expect(err).NotTo(HaveOccurred())

	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1", Namespace: ns}, Spec: clusterv1.ClusterSpec{Paused: ptr.To(true)}}
	g.Expect(env.Client.Create(c, cluster)).To(Succeed(), "core v1beta2 Cluster CRD")

	for _, gvk := range []struct{ apiVersion, kind string }{
		{"infrastructure.cluster.x-k8s.io/v1beta2", "DevMachine"},
		{"bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig"},
	} {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(gvk.apiVersion)
		u.SetKind(gvk.kind)
		u.SetNamespace(ns)
		u.SetName("x")
		u.SetAnnotations(map[string]string{})
		if gvk.kind == "DevMachine" {
			_ = unstructured.SetNestedMap(u.Object, map[string]any{"backend": map[string]any{"inMemory": map[string]any{}}}, "spec")
		}
		g.Expect(env.Client.Create(c, u)).To(Succeed(), "%s CRD", gvk.kind)
	}

	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(env.Client.Get(c, client.ObjectKey{Name: "kubeadmconfigs.bootstrap.cluster.x-k8s.io"}, crd)).To(Succeed())
	g.Expect(crd.Labels).To(HaveKeyWithValue("cluster.x-k8s.io/v1beta2", "v1beta2"), "provider CRDs carry the contract label")
	g.Expect(env.Client.Get(c, client.ObjectKey{Name: "scheduledmachines.5spot.finos.org"}, crd)).To(Succeed())
	g.Expect(crd.Labels).To(HaveKeyWithValue("clusterctl.cluster.x-k8s.io/move-hierarchy", "true"))
}

func TestKubectlExplainTeachesTheSchedule(t *testing.T) {
	g := NewWithT(t)
	kubeconfig, err := env.Kubeconfig()
	g.Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(t.TempDir(), "kubeconfig")
	g.Expect(os.WriteFile(path, kubeconfig, 0o600)).To(Succeed())

	out, err := exec.Command(harness.KubectlPath(), "--kubeconfig", path, "explain", "scheduledmachine.spec.schedule").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"daysOfWeek", "hoursOfDay", "wrap-around", "wall-clock", "excludeDates", "IANA", "elapsed time"} {
		g.Expect(text).To(ContainSubstring(want))
	}

	out, err = exec.Command(harness.KubectlPath(), "--kubeconfig", path, "get", "sm", "-A").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
}

func TestHarnessCAPIVersionMatchesGoMod(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(harness.RepoRoot(), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "sigs.k8s.io/cluster-api/api "+harness.CAPIVersion) {
		t.Fatalf("go.mod does not require sigs.k8s.io/cluster-api/api %s", harness.CAPIVersion)
	}
}
