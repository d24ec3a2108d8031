package lifecycle

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Dependents finds the 5-Spot objects (ScheduledMachines or pools) that
// depend on a Cluster, a Node or a Machine, so both controllers map events
// to requests and wake objects the same way.
type Dependents struct {
	Client client.Client
	// NewList returns an empty list of the dependent kind.
	NewList func() client.ObjectList
	// ClusterIndex and NodeIndex are field indexes on the dependent kind:
	// spec.clusterName, and "<cluster>/<node>" of the Nodes it uses.
	ClusterIndex, NodeIndex string
	// OwnerLabel on a Machine names its dependent.
	OwnerLabel string
}

// Requests lists the dependents in namespace matching fields.
func (d Dependents) Requests(ctx context.Context, namespace string, fields client.MatchingFields) []reconcile.Request {
	objs := d.list(ctx, namespace, fields)
	reqs := make([]reconcile.Request, 0, len(objs))
	for _, o := range objs {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
	}
	return reqs
}

func (d Dependents) list(ctx context.Context, namespace string, fields client.MatchingFields) []client.Object {
	list := d.NewList()
	if err := d.Client.List(ctx, list, client.InNamespace(namespace), fields); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing dependents", "fields", fmt.Sprint(fields))
		return nil
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil
	}
	out := make([]client.Object, 0, len(items))
	for _, item := range items {
		if o, ok := item.(client.Object); ok {
			out = append(out, o)
		}
	}
	return out
}

// OfCluster maps a Cluster to the dependents naming it.
func (d Dependents) OfCluster(ctx context.Context, cluster client.Object) []reconcile.Request {
	return d.Requests(ctx, cluster.GetNamespace(), client.MatchingFields{d.ClusterIndex: cluster.GetName()})
}

// OfMachine maps a Machine to the dependent its owner label names.
func (d Dependents) OfMachine(_ context.Context, m client.Object) []reconcile.Request {
	name := m.GetLabels()[d.OwnerLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: m.GetNamespace(), Name: name}}}
}

// Wake sends every dependent of a Cluster to trigger (a Runtime SDK hook
// changed something they depend on). It never blocks: when the channel is
// full the objects are woken by their own events.
func (d Dependents) Wake(ctx context.Context, cluster client.ObjectKey, trigger chan<- event.GenericEvent) {
	for _, o := range d.list(ctx, cluster.Namespace, client.MatchingFields{d.ClusterIndex: cluster.Name}) {
		select {
		case trigger <- event.GenericEvent{Object: o}:
		default:
		}
	}
}

// WatchNodes starts (once per cluster connection) a watch on the workload
// cluster's Nodes that wakes the dependents using them.
func (d Dependents) WatchNodes(ctx context.Context, workload WorkloadClusters, c controller.Controller, name string, cluster client.ObjectKey) error {
	if c == nil {
		return nil
	}
	return workload.Watch(ctx, cluster, clustercache.NewWatcher(clustercache.WatcherOptions{
		Name:    name + "-nodes",
		Watcher: c,
		Kind:    &corev1.Node{},
		EventHandler: handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return d.Requests(ctx, cluster.Namespace, client.MatchingFields{d.NodeIndex: cluster.Name + "/" + o.GetName()})
		}),
	}))
}
