package kind

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// The first scenario: a ScheduledMachine whose schedule is (almost) never
// active, with an override ForceOn, joins the CAPD cluster now: 5-Spot
// creates the KubeadmConfig, the DockerMachine and the Machine; CAPD starts a
// container, kubeadm joins it, kindnet makes the Node Ready, and the
// ScheduledMachine reports Active with its Machine and Node. More scenarios
// of the in-memory suite (window close and graceful removal, kill switch,
// errors) come here as the controller gains them.
func TestForceOnJoinsACAPDClusterUntilActive(t *testing.T) {
	ctx := t.Context()
	sm := forceOnMachine(t, "force-on")
	if err := suite.client.Create(ctx, sm); err != nil {
		t.Fatalf("creating ScheduledMachine: %v", err)
	}
	t.Cleanup(func() { deleteScheduledMachine(sm) })

	key := client.ObjectKeyFromObject(sm)
	err := poll(ctx, 20*time.Minute, func(ctx context.Context) error {
		if err := suite.client.Get(ctx, key, sm); err != nil {
			return err
		}
		if sm.Status.Phase != v1alpha1.PhaseActive {
			return fmt.Errorf("%w: ScheduledMachine %s is %s: %s", errNotYet, key, sm.Status.Phase, sm.Status.Message)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ScheduledMachine never became Active: %v\nstatus: %s", err, toJSON(sm.Status))
	}

	if sm.Status.MachineRef == nil || sm.Status.NodeRef == nil || sm.Status.NodeRef.Name == "" {
		t.Fatalf("Active without machineRef and nodeRef: %s", toJSON(sm.Status))
	}
	var m clusterv1.Machine
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: sm.Namespace, Name: sm.Status.MachineRef.Name}, &m); err != nil {
		t.Fatalf("the Machine in status: %v", err)
	}
	if m.Status.NodeRef.Name != sm.Status.NodeRef.Name {
		t.Errorf("Machine's node %q, ScheduledMachine's %q", m.Status.NodeRef.Name, sm.Status.NodeRef.Name)
	}
	if m.Spec.Version != kubernetesVersion {
		t.Errorf("Machine at %s, want the control plane's %s", m.Spec.Version, kubernetesVersion)
	}
	if owner := metav1.GetControllerOf(&m); owner == nil || owner.Kind != "ScheduledMachine" || owner.Name != sm.Name {
		t.Errorf("Machine's controller is %v, want the ScheduledMachine", owner)
	}
}

// forceOnMachine is a worker for the CAPD cluster: kubeadm join on a
// DockerMachine (kindest/node image at the control plane's version).
func forceOnMachine(t *testing.T, name string) *v1alpha1.ScheduledMachine {
	t.Helper()
	until := metav1.NewTime(time.Now().Add(3 * time.Hour).Truncate(time.Second))
	return &v1alpha1.ScheduledMachine{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec: v1alpha1.ScheduledMachineSpec{
			ClusterName: workloadCluster,
			// One hour a week: the override, not the schedule, brings it in.
			Schedule: v1alpha1.ScheduleSpec{DaysOfWeek: []string{"sun"}, HoursOfDay: []string{"3"}, Timezone: "UTC"},
			Override: &v1alpha1.ScheduleOverride{Mode: v1alpha1.OverrideForceOn, Until: until, Reason: "kind e2e"},
			BootstrapSpec: v1alpha1.EmbeddedResource{
				APIVersion: "bootstrap.cluster.x-k8s.io/v1beta2", Kind: "KubeadmConfig",
				// CAPD's nodes share the host's disk: kubelet must not evict on it.
				Spec: rawJSON(t, map[string]any{"joinConfiguration": map[string]any{"nodeRegistration": map[string]any{
					"kubeletExtraArgs": []any{map[string]any{"name": "eviction-hard", "value": "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%"}},
				}}}),
			},
			InfrastructureSpec: v1alpha1.EmbeddedResource{
				APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "DockerMachine",
				Spec: rawJSON(t, map[string]any{}),
			},
		},
	}
}

// deleteScheduledMachine removes a scenario's ScheduledMachine and waits
// until 5-Spot has removed its Machine and the object is gone, so that the
// workload cluster is deleted without 5-Spot's machines in the way.
func deleteScheduledMachine(sm *v1alpha1.ScheduledMachine) {
	ctx := context.Background()
	if err := suite.client.Delete(ctx, sm); err != nil && !apierrors.IsNotFound(err) {
		logf("deleting ScheduledMachine %s: %v", sm.Name, err)
		return
	}
	err := poll(ctx, 10*time.Minute, func(ctx context.Context) error {
		err := suite.client.Get(ctx, client.ObjectKeyFromObject(sm), &v1alpha1.ScheduledMachine{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("%w: ScheduledMachine %s is still being deleted", errNotYet, sm.Name)
	})
	if err != nil {
		logf("%v", err)
	}
}

func rawJSON(t *testing.T, v any) runtime.RawExtension {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: data}
}

func toJSON(v any) string {
	data, _ := json.MarshalIndent(v, "", "  ")
	return string(data)
}

func runtimeToUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}
