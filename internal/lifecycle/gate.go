package lifecycle

import (
	"context"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FreezeAnnotation on a Cluster stops new activations of its scheduled
// machines while a Cluster upgrade is under way; its value says why. The
// Runtime SDK hooks set and clear it (ClusterClass clusters); the controller
// reads it, together with the control plane's own state, for every Cluster.
const FreezeAnnotation = "5spot.finos.org/activations-frozen"

// Frozen returns why activations are frozen for the Cluster, or "".
func Frozen(cluster *clusterv1.Cluster) string {
	if cluster == nil {
		return ""
	}
	return cluster.Annotations[FreezeAnnotation]
}

// SetFreeze freezes (reason != "") or unfreezes (reason == "") activations.
// It writes only when the value changes, so repeated hook calls are free.
func SetFreeze(ctx context.Context, c client.Client, cluster *clusterv1.Cluster, reason string) error {
	if Frozen(cluster) == reason {
		return nil
	}
	base := cluster.DeepCopy()
	if reason == "" {
		delete(cluster.Annotations, FreezeAnnotation)
	} else {
		if cluster.Annotations == nil {
			cluster.Annotations = map[string]string{}
		}
		cluster.Annotations[FreezeAnnotation] = reason
	}
	return c.Patch(ctx, cluster, client.MergeFrom(base))
}
