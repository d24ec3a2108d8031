package lifecycle

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// DefaultGracefulShutdown is the grace period when none is configured.
const DefaultGracefulShutdown = 5 * time.Minute

// Grace returns the configured grace period between cordon and deletion.
func Grace(d *metav1.Duration) time.Duration {
	if d == nil {
		return DefaultGracefulShutdown
	}
	return d.Duration
}

// StartGrace begins a graceful removal: the Node is cordoned (remembering
// that 5-Spot did it) and the grace period's deadline is set once, at now +
// grace, so that a restart does not reset it. The Machine may be deleted
// when now is no longer before the returned deadline.
func StartGrace(ctx context.Context, workload client.Client, node *corev1.Node, deadline *metav1.Time, grace time.Duration, now time.Time) (*metav1.Time, error) {
	if err := Cordon(ctx, workload, node); err != nil {
		return deadline, err
	}
	if deadline == nil {
		deadline = &metav1.Time{Time: now.Add(grace)}
	}
	return deadline, nil
}

// DeleteMachine deletes a Machine unless it is already going. skipDrain
// first marks it so that Cluster API does not drain its Node (kill switch,
// emergency reclaim); otherwise Cluster API drains it in the workload
// cluster (Eviction API, PodDisruptionBudgets, nodeDrainTimeout).
func DeleteMachine(ctx context.Context, c client.Client, m *clusterv1.Machine, skipDrain bool) error {
	if skipDrain && m.DeletionTimestamp.IsZero() && m.Annotations[clusterv1.ExcludeNodeDrainingAnnotation] == "" {
		base := m.DeepCopy()
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[clusterv1.ExcludeNodeDrainingAnnotation] = "5spot"
		if err := c.Patch(ctx, m, client.MergeFrom(base)); err != nil {
			return err
		}
	}
	return DeleteIfPresent(ctx, c, m)
}

// DeleteUnadopted deletes a bootstrap or infrastructure object that no
// Machine adopted (so nobody else deletes it) and reads it again: it returns
// the object while it still exists. Their kinds are not watched, so callers
// look again shortly while something remains.
func DeleteUnadopted(ctx context.Context, c client.Client, obj *unstructured.Unstructured, ref *v1alpha1.ObjectReference, namespace string) (*unstructured.Unstructured, error) {
	if obj == nil {
		return nil, nil
	}
	if err := DeleteIfPresent(ctx, c, obj); err != nil {
		return obj, err
	}
	return GetRef(ctx, c, ref, namespace)
}
