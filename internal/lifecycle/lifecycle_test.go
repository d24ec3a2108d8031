package lifecycle

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

func taint(k, v string, e corev1.TaintEffect) corev1.Taint {
	return corev1.Taint{Key: k, Value: v, Effect: e}
}
func want(k, v string, e corev1.TaintEffect) v1alpha1.NodeTaint {
	return v1alpha1.NodeTaint{Key: k, Value: v, Effect: e}
}

const ns, pns = corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule

func TestPlanTaints(t *testing.T) {
	cases := []struct {
		name                     string
		current                  []corev1.Taint
		owned, requested         []v1alpha1.NodeTaint
		wantTaints               []corev1.Taint
		wantApplied, wantConflic []v1alpha1.NodeTaint
		wantChanged              bool
	}{
		{name: "add to an empty node", requested: []v1alpha1.NodeTaint{want("a", "1", ns)},
			wantTaints: []corev1.Taint{taint("a", "1", ns)}, wantApplied: []v1alpha1.NodeTaint{want("a", "1", ns)}, wantChanged: true},
		{name: "nothing to do", current: []corev1.Taint{taint("a", "1", ns)}, owned: []v1alpha1.NodeTaint{want("a", "1", ns)},
			requested: []v1alpha1.NodeTaint{want("a", "1", ns)}, wantTaints: []corev1.Taint{taint("a", "1", ns)}, wantApplied: []v1alpha1.NodeTaint{want("a", "1", ns)}},
		{name: "update our value", current: []corev1.Taint{taint("a", "1", ns)}, owned: []v1alpha1.NodeTaint{want("a", "1", ns)},
			requested: []v1alpha1.NodeTaint{want("a", "2", ns)}, wantTaints: []corev1.Taint{taint("a", "2", ns)}, wantApplied: []v1alpha1.NodeTaint{want("a", "2", ns)}, wantChanged: true},
		{name: "remove ours no longer requested, keep others", current: []corev1.Taint{taint("a", "1", ns), taint("x", "", ns)},
			owned: []v1alpha1.NodeTaint{want("a", "1", ns)}, wantTaints: []corev1.Taint{taint("x", "", ns)}, wantChanged: true},
		{name: "admin's taint with same key and effect is a conflict", current: []corev1.Taint{taint("a", "admin", ns)},
			requested: []v1alpha1.NodeTaint{want("a", "1", ns)}, wantTaints: []corev1.Taint{taint("a", "admin", ns)}, wantConflic: []v1alpha1.NodeTaint{want("a", "1", ns)}},
		{name: "same key, other effect is not a conflict", current: []corev1.Taint{taint("a", "admin", ns)},
			requested: []v1alpha1.NodeTaint{want("a", "1", pns)}, wantTaints: []corev1.Taint{taint("a", "admin", ns), taint("a", "1", pns)},
			wantApplied: []v1alpha1.NodeTaint{want("a", "1", pns)}, wantChanged: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := PlanTaints(c.current, c.owned, c.requested)
			if !equal(p.Taints, c.wantTaints) || !equal(p.Applied, c.wantApplied) || !equal(p.Conflicts, c.wantConflic) || p.Changed != c.wantChanged {
				t.Fatalf("got %+v", p)
			}
		})
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPreflight(t *testing.T) {
	stable := ControlPlane{Version: "v1.36.2", Initialized: true}
	cases := []struct {
		name    string
		cp      ControlPlane
		version string
		kind    string
		ok      bool
		reason  string
	}{
		{"stable, same version", stable, "v1.36.2", "KubeadmConfig", true, v1alpha1.ReasonPreflightPassed},
		{"provisioning", ControlPlane{Provisioning: true}, "v1.36.2", "KubeadmConfig", false, v1alpha1.ReasonControlPlaneUnstable},
		{"upgrading", ControlPlane{Version: "v1.35.0", Upgrading: true}, "v1.36.2", "KubeadmConfig", false, v1alpha1.ReasonControlPlaneUnstable},
		{"newer minor than the control plane", stable, "v1.37.0", "K0sWorkerConfig", false, v1alpha1.ReasonVersionSkew},
		{"three minors older is fine", stable, "v1.33.9", "K0sWorkerConfig", true, v1alpha1.ReasonPreflightPassed},
		{"four minors older is not", stable, "v1.32.0", "K0sWorkerConfig", false, v1alpha1.ReasonVersionSkew},
		{"kubeadm needs the same minor", stable, "v1.35.4", "KubeadmConfig", false, v1alpha1.ReasonVersionSkew},
		{"unknown control plane version passes", ControlPlane{Initialized: true}, "v1.30.0", "KubeadmConfig", true, v1alpha1.ReasonPreflightPassed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Preflight(c.cp, c.version, "bootstrap.cluster.x-k8s.io/v1beta2", c.kind)
			if got.OK != c.ok || got.Reason != c.reason {
				t.Fatalf("got %+v, want ok=%v reason=%s", got, c.ok, c.reason)
			}
		})
	}
}

func TestActivationNameIsDeterministicShortAndPerActivation(t *testing.T) {
	if ActivationName("gpu", 1) != "gpu-1" || ActivationName("gpu", 2) != "gpu-2" {
		t.Fatal("short names are <base>-<activation>")
	}
	long := strings.Repeat("a", 80)
	n1, n2 := ActivationName(long, 7), ActivationName(long, 7)
	if n1 != n2 || len(n1) > 63 || !strings.HasSuffix(n1, "-7") {
		t.Fatalf("long names are hashed deterministically to 63 characters: %q", n1)
	}
	if ActivationName(long+"b", 7) == n1 {
		t.Fatal("different bases must not collide")
	}
}

func TestBackoffDoublesFrom30SecondsTo5Minutes(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i, w := range want {
		if got := Backoff(int32(i + 1)); got != w {
			t.Fatalf("attempt %d: got %s, want %s", i+1, got, w)
		}
	}
}

func TestBuildRejectsASpecThatIsNotAnObject(t *testing.T) {
	sm := &v1alpha1.ScheduledMachine{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "n", UID: "u"}}
	tmpl := Template{ClusterName: "c",
		BootstrapSpec:      v1alpha1.EmbeddedResource{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig", Spec: runtime.RawExtension{Raw: []byte(`[1]`)}},
		InfrastructureSpec: v1alpha1.EmbeddedResource{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DevMachine"},
	}
	_, err := Build(tmpl, Owner{Object: sm, GVK: schema.GroupVersionKind{Kind: "ScheduledMachine"}, LabelKey: "k", LabelValue: "v"}, "x-1", 1)
	if err == nil || !strings.Contains(err.Error(), "spec.bootstrapSpec") {
		t.Fatalf("want an error naming spec.bootstrapSpec, got %v", err)
	}
}

func TestFrozenByTheHooksOrByAnUnfinishedTopologyUpgrade(t *testing.T) {
	sm := &v1alpha1.ScheduledMachine{}
	topology := &clusterv1.Cluster{Spec: clusterv1.ClusterSpec{Topology: clusterv1.Topology{
		ClassRef: clusterv1.ClusterClassRef{Name: "c"}, Version: "v1.37.0"}}}
	plain := &clusterv1.Cluster{}
	cases := []struct {
		name    string
		ann     string
		cluster *clusterv1.Cluster
		cp      ControlPlane
		want    string
	}{
		{"nothing", "", plain, ControlPlane{Version: "v1.36.0"}, ""},
		{"the hooks' hold", "upgrade from a to b", plain, ControlPlane{Version: "v1.36.0"}, "upgrade from a to b"},
		{"topology ahead of the control plane", "", topology, ControlPlane{Version: "v1.36.0"}, "the topology moves the control plane from v1.36.0 to v1.37.0"},
		{"topology reached", "", topology, ControlPlane{Version: "v1.37.0"}, ""},
		{"control plane version unknown (creating)", "", topology, ControlPlane{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sm.Annotations = map[string]string{}
			if c.ann != "" {
				sm.Annotations[FreezeAnnotation] = c.ann
			}
			if got := Frozen(sm, c.cluster, c.cp); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
