package scheduledmachinepool

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

const (
	// clusterNameIndex indexes pools by spec.clusterName.
	clusterNameIndex = "spec.clusterName"
	// nodeIndex indexes pools by "<cluster>/<node>" of every machine's nodeRef.
	nodeIndex = "status.machines.nodeRef"
)

// ControllerName names the controller in logs, metrics and the cluster cache.
const ControllerName = "scheduledmachinepool"

// SetupWithManager registers the controller. Watches: pools, Machines
// carrying the 5spot.finos.org/scheduled-machine-pool label, Clusters
// (mapped to the pools naming them), workload cluster connections, and Nodes
// in workload clusters through the cluster cache (added per cluster on
// first use). There is no polling: the controller wakes at the instants it
// computed (next change of the count, grace deadlines, backoff).
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts controller.Options) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &v1alpha1.ScheduledMachinePool{}, clusterNameIndex, func(o client.Object) []string {
		return []string{o.(*v1alpha1.ScheduledMachinePool).Spec.ClusterName}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &v1alpha1.ScheduledMachinePool{}, nodeIndex, func(o client.Object) []string {
		p := o.(*v1alpha1.ScheduledMachinePool)
		var keys []string
		for _, m := range p.Status.Machines {
			if m.NodeRef != nil {
				keys = append(keys, p.Spec.ClusterName+"/"+m.NodeRef.Name)
			}
		}
		return keys
	}); err != nil {
		return err
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	hasPoolLabel, err := predicate.LabelSelectorPredicate(metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: v1alpha1.ScheduledMachinePoolLabel, Operator: metav1.LabelSelectorOpExists}},
	})
	if err != nil {
		return err
	}
	r.trigger = make(chan event.GenericEvent, 1024)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		WithOptions(opts).
		For(&v1alpha1.ScheduledMachinePool{}).
		Watches(&clusterv1.Machine{}, handler.EnqueueRequestsFromMapFunc(machineToPool), builder.WithPredicates(hasPoolLabel)).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.clusterToPools)).
		WatchesRawSource(source.Channel(r.trigger, &handler.EnqueueRequestForObject{}))
	if cc, ok := r.Workload.(clustercache.ClusterCache); ok {
		b = b.WatchesRawSource(cc.GetClusterSource(ControllerName, r.clusterToPools))
	}
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	r.controller = c
	return nil
}

// WakeCluster makes every pool of a Cluster look again now (a Runtime SDK
// hook changed something they depend on). It never blocks: when the queue
// of wake-ups is full the pools are woken by their own events.
func (r *Reconciler) WakeCluster(ctx context.Context, cluster client.ObjectKey) {
	list := &v1alpha1.ScheduledMachinePoolList{}
	if err := r.Client.List(ctx, list, client.InNamespace(cluster.Namespace), client.MatchingFields{clusterNameIndex: cluster.Name}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing ScheduledMachinePools to wake", "cluster", cluster)
		return
	}
	for i := range list.Items {
		select {
		case r.trigger <- event.GenericEvent{Object: &list.Items[i]}:
		default:
		}
	}
}

// watchNodes starts (once per cluster connection) a watch on the workload
// cluster's Nodes that wakes the pools owning them.
func (r *Reconciler) watchNodes(ctx context.Context, cluster client.ObjectKey) error {
	if r.controller == nil {
		return nil
	}
	return r.Workload.Watch(ctx, cluster, clustercache.NewWatcher(clustercache.WatcherOptions{
		Name:    ControllerName + "-nodes",
		Watcher: r.controller,
		Kind:    &corev1.Node{},
		EventHandler: handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return r.listRequests(ctx, cluster.Namespace, client.MatchingFields{nodeIndex: cluster.Name + "/" + o.GetName()})
		}),
	}))
}

func machineToPool(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetLabels()[v1alpha1.ScheduledMachinePoolLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name}}}
}

func (r *Reconciler) clusterToPools(ctx context.Context, o client.Object) []reconcile.Request {
	return r.listRequests(ctx, o.GetNamespace(), client.MatchingFields{clusterNameIndex: o.GetName()})
}

func (r *Reconciler) listRequests(ctx context.Context, namespace string, fields client.MatchingFields) []reconcile.Request {
	list := &v1alpha1.ScheduledMachinePoolList{}
	if err := r.Client.List(ctx, list, client.InNamespace(namespace), fields); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing ScheduledMachinePools", "fields", fmt.Sprint(fields))
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, p := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&p)})
	}
	return reqs
}
