package scheduledmachine

import (
	"context"

	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

const (
	// clusterNameIndex indexes ScheduledMachines by spec.clusterName.
	clusterNameIndex = "spec.clusterName"
	// nodeIndex indexes ScheduledMachines by "<cluster>/<node>" of status.nodeRef.
	nodeIndex = "status.nodeRef"
)

// ControllerName names the controller in logs, metrics and the cluster cache.
const ControllerName = "scheduledmachine"

// SetupWithManager registers the controller. Watches: ScheduledMachines
// (queued by their spec.priority), Machines carrying the
// 5spot.finos.org/scheduled-machine label, Clusters (mapped to the
// ScheduledMachines naming them), workload cluster connections, and Nodes in
// workload clusters through the cluster cache (added per cluster on first use).
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts controller.Options) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &v1alpha1.ScheduledMachine{}, clusterNameIndex, func(o client.Object) []string {
		return []string{o.(*v1alpha1.ScheduledMachine).Spec.ClusterName}
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &v1alpha1.ScheduledMachine{}, nodeIndex, func(o client.Object) []string {
		sm := o.(*v1alpha1.ScheduledMachine)
		if sm.Status.NodeRef == nil {
			return nil
		}
		return []string{sm.Spec.ClusterName + "/" + sm.Status.NodeRef.Name}
	}); err != nil {
		return err
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if opts.UsePriorityQueue == nil {
		opts.UsePriorityQueue = ptr.To(true)
	}
	hasOwnerLabel, err := predicate.LabelSelectorPredicate(metav1LabelSelectorExists(v1alpha1.ScheduledMachineLabel))
	if err != nil {
		return err
	}
	r.trigger = make(chan event.GenericEvent, 1024)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(ControllerName).
		WithOptions(opts).
		WatchesRawSource(sourceKind(mgr, &v1alpha1.ScheduledMachine{}, priorityHandler{})).
		Watches(&clusterv1.Machine{}, handler.EnqueueRequestsFromMapFunc(r.dependents().OfMachine), builder.WithPredicates(hasOwnerLabel)).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.dependents().OfCluster)).
		WatchesRawSource(source.Channel(r.trigger, priorityHandler{}))
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

// dependents maps Clusters, Nodes and Machines to the ScheduledMachines using them.
func (r *Reconciler) dependents() lifecycle.Dependents {
	return lifecycle.Dependents{
		Client: r.Client, NewList: func() client.ObjectList { return &v1alpha1.ScheduledMachineList{} },
		ClusterIndex: clusterNameIndex, NodeIndex: nodeIndex, OwnerLabel: v1alpha1.ScheduledMachineLabel,
	}
}

// WakeCluster makes every ScheduledMachine of a Cluster look again now (a Runtime SDK
// hook changed something they depend on).
func (r *Reconciler) WakeCluster(ctx context.Context, cluster client.ObjectKey) {
	r.dependents().Wake(ctx, cluster, r.trigger)
}

// watchNodes starts (once per cluster connection) a watch on the workload
// cluster's Nodes that wakes the ScheduledMachines using them.
func (r *Reconciler) watchNodes(ctx context.Context, cluster client.ObjectKey) error {
	return r.dependents().WatchNodes(ctx, r.Workload, r.controller, ControllerName, cluster)
}

// priorityHandler queues a ScheduledMachine with its spec.priority, so that
// when work piles up (many windows opening at 09:00) the important ones go first.
type priorityHandler struct{}

type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

func (priorityHandler) add(o client.Object, q queue) {
	req := reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)}
	sm, ok := o.(*v1alpha1.ScheduledMachine)
	pq, isPQ := q.(priorityqueue.PriorityQueue[reconcile.Request])
	if !ok || !isPQ {
		q.Add(req)
		return
	}
	pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(int(ptr.Deref(sm.Spec.Priority, 50)))}, req)
}

func (h priorityHandler) Create(_ context.Context, e event.CreateEvent, q queue) { h.add(e.Object, q) }
func (h priorityHandler) Update(_ context.Context, e event.UpdateEvent, q queue) {
	h.add(e.ObjectNew, q)
}
func (h priorityHandler) Delete(_ context.Context, e event.DeleteEvent, q queue) { h.add(e.Object, q) }
func (h priorityHandler) Generic(_ context.Context, e event.GenericEvent, q queue) {
	h.add(e.Object, q)
}
