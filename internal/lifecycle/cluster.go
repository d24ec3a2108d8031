package lifecycle

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// ClusterState is what a controller reads off the Cluster before it touches
// any Machine: whether the Cluster exists, is paused or deleting, its control
// plane, and whether an upgrade froze new activations.
type ClusterState struct {
	Key client.ObjectKey
	// Cluster is nil when it does not exist.
	Cluster  *clusterv1.Cluster
	Paused   bool
	Deleting bool
	// ControlPlane and Frozen are read only for a Cluster that is neither
	// paused nor deleting.
	ControlPlane ControlPlane
	Frozen       string
}

// ReadCluster reads the Cluster and, when it is live, its control plane and
// whether an upgrade holds owner's new activations. On a control plane read
// error the state read so far is returned with the error.
func ReadCluster(ctx context.Context, c client.Reader, key client.ObjectKey, owner client.Object) (ClusterState, error) {
	st := ClusterState{Key: key}
	cluster := &clusterv1.Cluster{}
	if err := c.Get(ctx, key, cluster); err != nil {
		if apierrors.IsNotFound(err) {
			return st, nil
		}
		return st, err
	}
	st.Cluster = cluster
	st.Paused = ptr.Deref(cluster.Spec.Paused, false) || cluster.Annotations[clusterv1.PausedAnnotation] != ""
	st.Deleting = !st.Paused && !cluster.DeletionTimestamp.IsZero()
	if st.Paused || st.Deleting {
		return st, nil
	}
	cp, err := ReadControlPlane(ctx, c, cluster)
	st.ControlPlane = cp
	st.Frozen = Frozen(owner, cluster, cp)
	return st, err
}

// Hold reports that nothing may change now: the Cluster does not exist (so
// nothing is created) or is paused (so nothing is touched).
func (s ClusterState) Hold() bool { return s.Cluster == nil || s.Paused }

// Report explains the state through set, in the conditions both controllers
// share: ReferencesValid, Paused and ActivationsFrozen.
func (s ClusterState) Report(set func(conditionType string, status bool, reason, message string)) {
	if s.Cluster == nil {
		set(v1alpha1.ReferencesValidCondition, false, v1alpha1.ReasonClusterNotFound,
			fmt.Sprintf("Cluster %s/%s does not exist; nothing is created until it does", s.Key.Namespace, s.Key.Name))
		return
	}
	set(v1alpha1.ReferencesValidCondition, true, v1alpha1.ReasonReferencesResolved, "")
	if s.Paused {
		set(v1alpha1.PausedCondition, true, v1alpha1.ReasonClusterPaused,
			fmt.Sprintf("Cluster %s is paused: 5-Spot makes no changes until it is resumed", s.Cluster.Name))
		return
	}
	set(v1alpha1.PausedCondition, false, "NotPaused", "")
	if s.Deleting {
		return
	}
	if s.Frozen != "" {
		set(v1alpha1.ActivationsFrozenCondition, true, v1alpha1.ReasonClusterUpgrading,
			fmt.Sprintf("Cluster %s is upgrading (%s): no new activations until it is done", s.Cluster.Name, s.Frozen))
	} else {
		set(v1alpha1.ActivationsFrozenCondition, false, "NotFrozen", "")
	}
}
