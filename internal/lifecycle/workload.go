package lifecycle

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// WorkloadClusters gives access to workload clusters (CAPI's ClusterCache).
// Nodes live there, never in the management cluster.
type WorkloadClusters interface {
	GetClient(ctx context.Context, cluster client.ObjectKey) (client.Client, error)
	Watch(ctx context.Context, cluster client.ObjectKey, watcher clustercache.Watcher) error
}

// Workload returns a client for the Cluster's workload cluster and calls
// watch so that Node events reach the caller's controller. It returns a nil
// client, and no error, when the workload cluster cannot be reached right
// now: callers look again shortly instead of failing.
func Workload(ctx context.Context, wc WorkloadClusters, cluster client.ObjectKey, watch func(context.Context, client.ObjectKey) error) (client.Client, error) {
	c, err := wc.GetClient(ctx, cluster)
	if err != nil {
		if errors.Is(err, clustercache.ErrClusterNotConnected) {
			return nil, nil
		}
		return nil, err
	}
	if watch != nil {
		if err := watch(ctx, cluster); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// GetNode reads a Node of a workload cluster; nil when it does not exist.
func GetNode(ctx context.Context, workload client.Client, name string) (*corev1.Node, error) {
	node := &corev1.Node{}
	if err := workload.Get(ctx, client.ObjectKey{Name: name}, node); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return node, nil
}
