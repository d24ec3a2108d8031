// Package scheduledmachine is the ScheduledMachine controller: it asks the
// schedule engine what should exist now, creates or removes one Cluster API
// Machine accordingly, and wakes up exactly at the next transition.
package scheduledmachine

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/patch"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// WorkloadClusters gives access to workload clusters (CAPI's ClusterCache).
type WorkloadClusters = lifecycle.WorkloadClusters

// Reconciler reconciles ScheduledMachines.
type Reconciler struct {
	// Client talks to the management cluster.
	Client client.Client
	// APIReader reads the ScheduledMachine itself, uncached: its status
	// names the current activation, and acting on a status older than the
	// last one written (the cache may lag behind the Machines' cache) would
	// take the new activation's Machine for a leftover. SetupWithManager
	// defaults it to the manager's API reader; without it, Client is used.
	APIReader client.Reader
	// Workload reaches Nodes in workload clusters; never the management client.
	Workload WorkloadClusters
	// Clock is the time the schedule is evaluated at.
	Clock clock.PassiveClock
	// Recorder emits Kubernetes Events.
	Recorder events.EventRecorder
	// ProvisioningTimeout bounds how long a Machine may take to be Running.
	ProvisioningTimeout time.Duration
	// StuckDeletionAfter is when a slow deletion is reported as stuck.
	StuckDeletionAfter time.Duration
	// WatchFilterValue, when set, limits the controller to objects labelled
	// cluster.x-k8s.io/watch-filter=<value> (Cluster API's convention for
	// running several instances side by side).
	WatchFilterValue string

	controller controller.Controller
	// trigger wakes ScheduledMachines on behalf of Runtime SDK hooks.
	trigger chan event.GenericEvent
}

// scope is one ScheduledMachine and what was read for it in one reconcile.
type scope struct {
	sm      *v1alpha1.ScheduledMachine
	patcher *patch.Helper
	now     time.Time

	eval evaluation

	cluster         *clusterv1.Cluster
	clusterDeleting bool
	controlPlane    lifecycle.ControlPlane
	// frozen says why a Cluster upgrade holds new activations, or "".
	frozen string

	// machine, bootstrap and infra are the current activation's objects.
	machine      *clusterv1.Machine
	machineState lifecycle.MachineState
	bootstrap    *unstructured.Unstructured
	infra        *unstructured.Unstructured
	// leftovers are other Machines of this ScheduledMachine (earlier activations).
	leftovers []clusterv1.Machine

	workload client.Client
	node     *corev1.Node

	// stop ends the phase list early (nothing more to do this time).
	stop bool
	// wakeAt collects instants the controller must look again at.
	wakeAt []time.Time
}

// wake asks for a reconcile at t.
func (s *scope) wake(t time.Time) { s.wakeAt = append(s.wakeAt, t) }

// persist writes the object now (for example names before creating objects)
// and continues with a fresh patch base.
func (s *scope) persist(ctx context.Context, c client.Client) error {
	if err := s.patcher.Patch(ctx, s.sm, patch.WithOwnedConditions{Conditions: ownedConditions}); err != nil {
		return err
	}
	h, err := patch.NewHelper(s.sm, c)
	if err != nil {
		return err
	}
	s.patcher = h
	return nil
}

var ownedConditions = []string{
	v1alpha1.ReadyCondition, v1alpha1.ScheduledCondition, v1alpha1.MachineReadyCondition,
	v1alpha1.ReferencesValidCondition, v1alpha1.PreflightChecksPassedCondition,
	v1alpha1.NodeTaintedCondition, v1alpha1.DeletingCondition, v1alpha1.PausedCondition,
	v1alpha1.ActivationsFrozenCondition,
}

// +kubebuilder:rbac:groups=5spot.finos.org,resources=scheduledmachines,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=5spot.finos.org,resources=scheduledmachines/status;scheduledmachines/finalizers,verbs=get;update;patch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=machines,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=bootstrap.cluster.x-k8s.io;infrastructure.cluster.x-k8s.io,resources=*,verbs=get;create;delete
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=*,verbs=get;list;watch
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one ScheduledMachine to what its schedule wants now.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	sm := &v1alpha1.ScheduledMachine{}
	c := r.patchClient()
	if err := c.Get(ctx, req.NamespacedName, sm); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.WatchFilterValue != "" && sm.Labels[clusterv1.WatchLabel] != r.WatchFilterValue {
		return ctrl.Result{}, nil
	}
	patcher, err := patch.NewHelper(sm, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	s := &scope{sm: sm, patcher: patcher, now: r.Clock.Now()}
	previous := sm.Status.DeepCopy()

	defer func() {
		r.updateStatus(s, previous)
		if err := s.patcher.Patch(ctx, sm, patch.WithOwnedConditions{Conditions: ownedConditions}); err != nil {
			if !apierrors.IsNotFound(err) {
				retErr = kerrors.NewAggregate([]error{retErr, err})
			}
		}
		res = r.result(s, res)
	}()

	if !sm.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, s)
	}
	if controllerutil.AddFinalizer(sm, v1alpha1.Finalizer) {
		// Persist the finalizer before anything is created.
		return ctrl.Result{}, s.persist(ctx, r.patchClient())
	}

	phases := []func(context.Context, *scope) error{
		r.reconcileSchedule,
		r.reconcileCluster,
		r.readObjects,
		r.reconcileLifecycle,
		r.reconcileTaints,
	}
	var errs []error
	for _, phase := range phases {
		if err := phase(ctx, s); err != nil {
			errs = append(errs, err)
		}
		if s.stop || len(errs) > 0 {
			break
		}
	}
	return ctrl.Result{}, kerrors.NewAggregate(errs)
}

// patchClient reads the ScheduledMachine live (APIReader) for Reconcile and
// for the patch helper's conflict retries, and writes through Client.
func (r *Reconciler) patchClient() client.Client { return lifecycle.LiveReads(r.Client, r.APIReader) }

// result turns the wake-up instants into an exact RequeueAfter and carries
// the object's priority so that requeues keep it.
func (r *Reconciler) result(s *scope, res ctrl.Result) ctrl.Result {
	var soonest time.Time
	for _, t := range s.wakeAt {
		if soonest.IsZero() || t.Before(soonest) {
			soonest = t
		}
	}
	if !soonest.IsZero() {
		after := soonest.Sub(s.now)
		if after <= 0 {
			after = time.Millisecond
		}
		if res.RequeueAfter == 0 || after < res.RequeueAfter {
			res.RequeueAfter = after
		}
	}
	res.Priority = ptr.To(int(ptr.Deref(s.sm.Spec.Priority, 50)))
	return res
}

// reconcileCluster reads the Cluster. A missing Cluster stops everything (nothing
// is created); a paused Cluster freezes changes; a deleting Cluster makes the
// lifecycle remove our Machine at once.
func (r *Reconciler) reconcileCluster(ctx context.Context, s *scope) error {
	key := client.ObjectKey{Namespace: s.sm.Namespace, Name: s.sm.Spec.ClusterName}
	st, err := lifecycle.ReadCluster(ctx, r.Client, key, s.sm)
	if err != nil && st.Cluster == nil {
		return err
	}
	st.Report(func(conditionType string, status bool, reason, message string) {
		setCondition(s.sm, conditionType, status, reason, message)
	})
	if err != nil {
		return err
	}
	s.cluster = st.Cluster
	if st.Cluster == nil {
		setPhase(s, v1alpha1.PhasePending, fmt.Sprintf("waiting for Cluster %s", key.Name))
	}
	if st.Hold() {
		s.stop = true
		return nil
	}
	s.clusterDeleting = st.Deleting
	s.controlPlane = st.ControlPlane
	s.frozen = st.Frozen
	return nil
}

// readObjects reads the current activation's objects, earlier Machines of
// this ScheduledMachine, and the Node in the workload cluster.
func (r *Reconciler) readObjects(ctx context.Context, s *scope) error {
	sm := s.sm
	machines := &clusterv1.MachineList{}
	if err := r.Client.List(ctx, machines, client.InNamespace(sm.Namespace),
		client.MatchingLabels{v1alpha1.ScheduledMachineLabel: sm.Name}); err != nil {
		return err
	}
	for i := range machines.Items {
		m := &machines.Items[i]
		if !lifecycle.HasOwner(m, sm.UID) {
			continue
		}
		if sm.Status.MachineRef != nil && m.Name == sm.Status.MachineRef.Name {
			s.machine = m
			s.machineState = lifecycle.ReadMachine(m)
			continue
		}
		s.leftovers = append(s.leftovers, *m)
	}
	var err error
	if s.bootstrap, err = lifecycle.GetRef(ctx, r.Client, sm.Status.BootstrapRef, sm.Namespace); err != nil {
		return err
	}
	if s.infra, err = lifecycle.GetRef(ctx, r.Client, sm.Status.InfrastructureRef, sm.Namespace); err != nil {
		return err
	}
	if s.machine == nil || s.machineState.NodeName == "" || s.cluster == nil {
		return nil
	}
	return r.readNode(ctx, s)
}

// readNode reads the Machine's Node through CAPI's cluster cache. A workload
// cluster that cannot be reached right now is retried shortly, not an error.
func (r *Reconciler) readNode(ctx context.Context, s *scope) error {
	wc, err := lifecycle.Workload(ctx, r.Workload, client.ObjectKeyFromObject(s.cluster), r.watchNodes)
	if err != nil || wc == nil {
		if err == nil {
			s.wake(s.now.Add(10 * time.Second))
		}
		return err
	}
	s.workload = wc
	s.node, err = lifecycle.GetNode(ctx, wc, s.machineState.NodeName)
	return err
}
