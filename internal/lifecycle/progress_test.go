package lifecycle

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

func TestTrackClassifiesAMachineOnItsWayToAReadyNode(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: "m-1"}}
	ready := &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
	notReady := &corev1.Node{}
	running := MachineState{Running: true, NodeName: "n-1"}
	cases := []struct {
		name      string
		st        MachineState
		node      *corev1.Node
		reachable bool
		started   time.Time
		outcome   Outcome
		reason    string
	}{
		{"infrastructure failure", MachineState{Failed: true, FailureMessage: "x"}, nil, true, now, MachineFailed, v1alpha1.ReasonInfrastructureFailed},
		{"provisioning within the timeout", MachineState{}, nil, true, now.Add(-19 * time.Minute), MachineProvisioning, v1alpha1.ReasonMachineProvisioning},
		{"waiting for bootstrap", MachineState{Waiting: clusterv1.MachineBootstrapConfigReadyCondition + ": no data"}, nil, true, now, MachineProvisioning, v1alpha1.ReasonBootstrapNotReady},
		{"timed out", MachineState{}, nil, true, now.Add(-20 * time.Minute), MachineFailed, v1alpha1.ReasonProvisioningTimeout},
		{"no start recorded counts from now", MachineState{}, nil, true, time.Time{}, MachineProvisioning, v1alpha1.ReasonMachineProvisioning},
		{"running, Node not Ready", running, notReady, true, now, NodeNotReady, v1alpha1.ReasonNodeNotReady},
		{"running, workload cluster unreachable", running, nil, false, now, NodeNotReady, v1alpha1.ReasonNodeNotReady},
		{"running with a Ready Node", running, ready, true, now, MachineReady, v1alpha1.ReasonMachineRunning},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Track(m, c.st, c.node, c.reachable, c.started, now, 20*time.Minute)
			if p.Outcome != c.outcome || p.Reason != c.reason {
				t.Fatalf("got %+v", p)
			}
		})
	}
}

func TestOutdatedOnlyFollowsAStableControlPlane(t *testing.T) {
	stable := ControlPlane{Version: "v1.37.0", Initialized: true}
	cases := []struct {
		pinned, machine string
		cp              ControlPlane
		want            bool
	}{
		{"", "v1.36.0", stable, true},
		{"", "v1.37.0", stable, false},
		{"v1.36.0", "v1.36.0", stable, false}, // pinned: the user decides
		{"", "v1.36.0", ControlPlane{Version: "v1.37.0", Upgrading: true}, false},
		{"", "v1.36.0", ControlPlane{}, false},
	}
	for _, c := range cases {
		if got := Outdated(c.pinned, c.cp, c.machine); got != c.want {
			t.Errorf("Outdated(%q, %+v, %q) = %v", c.pinned, c.cp, c.machine, got)
		}
	}
}

func TestTemplateHashIgnoresKeyOrderAndSeesEveryChange(t *testing.T) {
	res := func(raw string) v1alpha1.EmbeddedResource {
		return v1alpha1.EmbeddedResource{APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DevMachine", Spec: runtime.RawExtension{Raw: []byte(raw)}}
	}
	boot := v1alpha1.EmbeddedResource{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig"}
	drain := &metav1.Duration{Duration: 5 * time.Minute}
	base := TemplateHash(boot, res(`{"a":1,"b":{"c":2}}`), nil, "", drain)
	if got := TemplateHash(boot, res(`{"b":{"c":2},"a":1}`), nil, "", drain); got != base {
		t.Fatal("re-serialised specs hash the same")
	}
	for name, other := range map[string]string{
		"spec":     TemplateHash(boot, res(`{"a":2,"b":{"c":2}}`), nil, "", drain),
		"labels":   TemplateHash(boot, res(`{"a":1,"b":{"c":2}}`), &v1alpha1.MachineTemplate{Labels: map[string]string{"x": "y"}}, "", drain),
		"version":  TemplateHash(boot, res(`{"a":1,"b":{"c":2}}`), nil, "v1.36.0", drain),
		"drain":    TemplateHash(boot, res(`{"a":1,"b":{"c":2}}`), nil, "", &metav1.Duration{Duration: time.Minute}),
		"provider": TemplateHash(v1alpha1.EmbeddedResource{APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "K0sWorkerConfig"}, res(`{"a":1,"b":{"c":2}}`), nil, "", drain),
	} {
		if other == base {
			t.Errorf("a %s change must change the hash", name)
		}
	}
	if len(base) != 16 {
		t.Fatalf("hash %q is a short label value", base)
	}
}

func TestNextRetryCountsAndBacksOff(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	r := NextRetry(nil, "boom", now)
	r = NextRetry(r, "again", now)
	if r.Attempts != 2 || !r.NextRetryTime.Time.Equal(now.Add(time.Minute)) || r.LastFailure != "again" {
		t.Fatalf("got %+v", r)
	}
}
