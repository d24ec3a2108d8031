package scheduledmachine

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
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
		Watches(&clusterv1.Machine{}, handler.EnqueueRequestsFromMapFunc(machineToScheduledMachine), builder.WithPredicates(hasOwnerLabel)).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.clusterToScheduledMachines)).
		WatchesRawSource(source.Channel(r.trigger, priorityHandler{}))
	if cc, ok := r.Workload.(clustercache.ClusterCache); ok {
		b = b.WatchesRawSource(cc.GetClusterSource(ControllerName, r.clusterToScheduledMachines))
	}
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	r.controller = c
	return nil
}

// WakeCluster makes every ScheduledMachine of a Cluster look again now (a
// Runtime SDK hook changed something they depend on). It never blocks: when
// the queue of wake-ups is full the objects are woken by their own events.
func (r *Reconciler) WakeCluster(ctx context.Context, cluster client.ObjectKey) {
	list := &v1alpha1.ScheduledMachineList{}
	if err := r.Client.List(ctx, list, client.InNamespace(cluster.Namespace), client.MatchingFields{clusterNameIndex: cluster.Name}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing ScheduledMachines to wake", "cluster", cluster)
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
// cluster's Nodes that wakes the ScheduledMachines owning them.
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

func machineToScheduledMachine(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetLabels()[v1alpha1.ScheduledMachineLabel]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name}}}
}

func (r *Reconciler) clusterToScheduledMachines(ctx context.Context, o client.Object) []reconcile.Request {
	return r.listRequests(ctx, o.GetNamespace(), client.MatchingFields{clusterNameIndex: o.GetName()})
}

func (r *Reconciler) listRequests(ctx context.Context, namespace string, fields client.MatchingFields) []reconcile.Request {
	list := &v1alpha1.ScheduledMachineList{}
	if err := r.Client.List(ctx, list, client.InNamespace(namespace), fields); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing ScheduledMachines", "fields", fmt.Sprint(fields))
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, sm := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&sm)})
	}
	return reqs
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
