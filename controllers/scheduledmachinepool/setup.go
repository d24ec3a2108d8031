package scheduledmachinepool

import (
	"context"

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
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
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
		Watches(&clusterv1.Machine{}, handler.EnqueueRequestsFromMapFunc(r.dependents().OfMachine), builder.WithPredicates(hasPoolLabel)).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.dependents().OfCluster)).
		WatchesRawSource(source.Channel(r.trigger, &handler.EnqueueRequestForObject{}))
	if cc, ok := r.Workload.(clustercache.ClusterCache); ok {
		b = b.WatchesRawSource(cc.GetClusterSource(ControllerName, r.dependents().OfCluster))
	}
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	r.controller = c
	return nil
}

// dependents maps Clusters, Nodes and Machines to the ScheduledMachinePools using them.
func (r *Reconciler) dependents() lifecycle.Dependents {
	return lifecycle.Dependents{
		Client: r.Client, NewList: func() client.ObjectList { return &v1alpha1.ScheduledMachinePoolList{} },
		ClusterIndex: clusterNameIndex, NodeIndex: nodeIndex, OwnerLabel: v1alpha1.ScheduledMachinePoolLabel,
	}
}

// WakeCluster makes every ScheduledMachinePool of a Cluster look again now (a Runtime SDK
// hook changed something they depend on).
func (r *Reconciler) WakeCluster(ctx context.Context, cluster client.ObjectKey) {
	r.dependents().Wake(ctx, cluster, r.trigger)
}

// watchNodes starts (once per cluster connection) a watch on the workload
// cluster's Nodes that wakes the ScheduledMachinePools using them.
func (r *Reconciler) watchNodes(ctx context.Context, cluster client.ObjectKey) error {
	return r.dependents().WatchNodes(ctx, r.Workload, r.controller, ControllerName, cluster)
}
