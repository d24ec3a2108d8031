package lifecycle

import (
	"context"
	"fmt"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FreezeAnnotation on a 5-Spot object stops its new activations while its
// Cluster upgrades; the value says why. The Runtime SDK hooks set and clear
// it (ClusterClass clusters). It lives on 5-Spot's own objects, not on the
// Cluster: CAPI's topology controller rewrites the Cluster's annotations
// with merge patches from its own snapshot and would drop it.
const FreezeAnnotation = "5spot.finos.org/activations-frozen"

// Frozen says why activations of obj are held for its Cluster, or "": the
// hooks' annotation, or, for a ClusterClass cluster, a topology version the
// control plane has not reached yet (so an object created mid-upgrade waits
// too, and the hold starts before the first hook is even called).
func Frozen(obj client.Object, cluster *clusterv1.Cluster, cp ControlPlane) string {
	if reason := obj.GetAnnotations()[FreezeAnnotation]; reason != "" {
		return reason
	}
	if cluster != nil && cluster.Spec.Topology.IsDefined() && cp.Version != "" && cluster.Spec.Topology.Version != cp.Version {
		return fmt.Sprintf("the topology moves the control plane from %s to %s", cp.Version, cluster.Spec.Topology.Version)
	}
	return ""
}

// SetFreeze records (reason != "") or lifts (reason == "") the hooks' hold on
// obj. It writes only when the value changes, so repeated hook calls are free.
func SetFreeze(ctx context.Context, c client.Client, obj client.Object, reason string) error {
	if obj.GetAnnotations()[FreezeAnnotation] == reason {
		return nil
	}
	base := obj.DeepCopyObject().(client.Object)
	annotations := obj.GetAnnotations()
	if reason == "" {
		delete(annotations, FreezeAnnotation)
	} else {
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[FreezeAnnotation] = reason
	}
	obj.SetAnnotations(annotations)
	return c.Patch(ctx, obj, client.MergeFrom(base))
}
