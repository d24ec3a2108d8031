// Package scheduledmachinepool is the ScheduledMachinePool controller: it
// asks the pool schedule how many machines are wanted now, creates or
// removes Cluster API Machines to match (each with its own bootstrap and
// infrastructure objects), rolls them when the template changes, and wakes
// up exactly at the next change of the desired count.
//
// Every machine-level step (building and creating the objects, tracking a
// Machine, the graceful removal, preflight, backoff, the Cluster gate) is
// internal/lifecycle's, shared with the ScheduledMachine controller; this
// package decides how many machines there are and which ones go.
package scheduledmachinepool

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/patch"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
	"github.com/5spot-dev/5spot/internal/poolschedule"
)

// Reconciler reconciles ScheduledMachinePools.
type Reconciler struct {
	// Client talks to the management cluster.
	Client client.Client
	// APIReader reads the pool itself, uncached: its status holds the
	// machine names and counter, and a reconcile must never act on an older
	// status than the one it wrote last (the cache may lag behind).
	// SetupWithManager defaults it to the manager's API reader; without
	// it, Client is used.
	APIReader client.Reader
	// Workload reaches Nodes in workload clusters; never the management client.
	Workload lifecycle.WorkloadClusters
	// Clock is the time the schedule is evaluated at.
	Clock clock.PassiveClock
	// Recorder emits Kubernetes Events.
	Recorder events.EventRecorder
	// ProvisioningTimeout bounds how long a Machine may take to be Running.
	ProvisioningTimeout time.Duration
	// StuckDeletionAfter is when a slow deletion of the pool is reported as stuck.
	StuckDeletionAfter time.Duration
	// WatchFilterValue, when set, limits the controller to objects labelled
	// cluster.x-k8s.io/watch-filter=<value>.
	WatchFilterValue string

	controller controller.Controller
	// trigger wakes pools on behalf of Runtime SDK hooks.
	trigger chan event.GenericEvent
}

// scope is one pool and what was read for it in one reconcile.
type scope struct {
	pool    *v1alpha1.ScheduledMachinePool
	patcher *patch.Helper
	// patchClient is what the patch helper reads and writes with.
	patchClient client.Client
	now         time.Time

	desired poolschedule.State

	cluster  lifecycle.ClusterState
	template lifecycle.Template
	// hash identifies the current template (TemplateHashLabel).
	hash string

	// read: the Machines were read, so slots and counts may be written.
	read  bool
	slots []*slot
	// leaving are the pool's Machines being deleted that no slot tracks any
	// more (a failed or replaced Machine still draining).
	leaving []*clusterv1.Machine

	workload client.Client
	// reachable is false when the workload cluster could not be asked.
	reachable bool

	// stop ends the phase list early (nothing more to do this time).
	stop bool
	// wakeAt collects instants the controller must look again at.
	wakeAt []time.Time
}

func (s *scope) wake(t time.Time) { s.wakeAt = append(s.wakeAt, t) }

// persist writes the object now (names before creating objects) and goes on
// with a fresh patch base.
func (s *scope) persist(ctx context.Context) error {
	if s.read {
		s.syncSlots()
	}
	if err := s.patcher.Patch(ctx, s.pool, patch.WithOwnedConditions{Conditions: ownedConditions}); err != nil {
		return err
	}
	h, err := patch.NewHelper(s.pool, s.patchClient)
	if err != nil {
		return err
	}
	s.patcher = h
	return nil
}

var ownedConditions = []string{
	v1alpha1.ReadyCondition, v1alpha1.ScheduledCondition, v1alpha1.ReferencesValidCondition,
	v1alpha1.PreflightChecksPassedCondition, v1alpha1.MachinesReadyCondition, v1alpha1.MachinesUpToDateCondition,
	v1alpha1.NodeTaintedCondition, v1alpha1.DeletingCondition, v1alpha1.PausedCondition,
	v1alpha1.ActivationsFrozenCondition,
}

// +kubebuilder:rbac:groups=5spot.finos.org,resources=scheduledmachinepools,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=5spot.finos.org,resources=scheduledmachinepools/status;scheduledmachinepools/finalizers,verbs=get;update;patch

// Reconcile brings one pool to the number of machines its schedule wants now.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	pool := &v1alpha1.ScheduledMachinePool{}
	c := lifecycle.LiveReads(r.Client, r.APIReader)
	if err := c.Get(ctx, req.NamespacedName, pool); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.WatchFilterValue != "" && pool.Labels[clusterv1.WatchLabel] != r.WatchFilterValue {
		return ctrl.Result{}, nil
	}
	patcher, err := patch.NewHelper(pool, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	s := &scope{pool: pool, patcher: patcher, now: r.Clock.Now(), patchClient: c}
	previous := pool.Status.DeepCopy()

	defer func() {
		r.updateStatus(s, previous)
		if err := s.patcher.Patch(ctx, pool, patch.WithOwnedConditions{Conditions: ownedConditions}); err != nil {
			if !apierrors.IsNotFound(err) {
				retErr = kerrors.NewAggregate([]error{retErr, err})
			}
		}
		res = s.result(res)
	}()

	if !pool.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, s)
	}
	if controllerutil.AddFinalizer(pool, v1alpha1.PoolFinalizer) {
		// Persist the finalizer before anything is created.
		return ctrl.Result{}, s.persist(ctx)
	}

	phases := []func(context.Context, *scope) error{
		r.reconcileSchedule,
		r.reconcileCluster,
		r.readMachines,
		r.reconcileMachines,
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

// result turns the wake-up instants into an exact RequeueAfter.
func (s *scope) result(res ctrl.Result) ctrl.Result {
	var soonest time.Time
	for _, t := range s.wakeAt {
		if soonest.IsZero() || t.Before(soonest) {
			soonest = t
		}
	}
	if !soonest.IsZero() {
		after := max(soonest.Sub(s.now), time.Millisecond)
		if res.RequeueAfter == 0 || after < res.RequeueAfter {
			res.RequeueAfter = after
		}
	}
	return res
}

// reconcileCluster reads the Cluster through the gate both controllers
// share: a missing Cluster creates nothing, a paused one freezes every
// change, a deleting one makes the pool remove its Machines at once.
func (r *Reconciler) reconcileCluster(ctx context.Context, s *scope) error {
	key := client.ObjectKey{Namespace: s.pool.Namespace, Name: s.pool.Spec.ClusterName}
	st, err := lifecycle.ReadCluster(ctx, r.Client, key, s.pool)
	if err != nil && st.Cluster == nil {
		return err
	}
	s.cluster = st
	st.Report(func(conditionType string, status bool, reason, message string) {
		setCondition(s.pool, conditionType, status, reason, message)
	})
	if err != nil {
		return err
	}
	if st.Hold() {
		s.stop = true
		return nil
	}
	s.template = r.template(s)
	return nil
}

// template is what each Machine is made of; the version defaults to the
// control plane's current version (CAPI never upgrades standalone Machines).
func (r *Reconciler) template(s *scope) lifecycle.Template {
	t := s.pool.Spec.Template
	v := t.Version
	if v == "" {
		v = s.cluster.ControlPlane.Version
	}
	s.hash = lifecycle.TemplateHash(t.BootstrapSpec, t.InfrastructureSpec, t.MachineTemplate, t.Version, t.NodeDrainTimeout)
	return lifecycle.Template{
		ClusterName: s.pool.Spec.ClusterName, BootstrapSpec: t.BootstrapSpec, InfrastructureSpec: t.InfrastructureSpec,
		MachineTemplate: t.MachineTemplate, Version: v, NodeDrainTimeout: t.NodeDrainTimeout,
		Labels: map[string]string{v1alpha1.TemplateHashLabel: s.hash}, SpecPath: "spec.template",
	}
}

func owner(p *v1alpha1.ScheduledMachinePool) lifecycle.Owner {
	return lifecycle.Owner{Object: p, GVK: v1alpha1.GroupVersion.WithKind("ScheduledMachinePool"),
		LabelKey: v1alpha1.ScheduledMachinePoolLabel, LabelValue: p.Name}
}

// Selector is the label selector of a pool's Machines (status.selector).
func Selector(p *v1alpha1.ScheduledMachinePool) string {
	return v1alpha1.ScheduledMachinePoolLabel + "=" + p.Name
}

// readNodes reads the Nodes of the pool's Machines through CAPI's cluster
// cache. A workload cluster that cannot be reached now is retried shortly.
func (r *Reconciler) readNodes(ctx context.Context, s *scope) error {
	if s.cluster.Cluster == nil {
		return nil
	}
	var wanted []*slot
	for _, sl := range s.slots {
		if sl.machine != nil && sl.state.NodeName != "" {
			wanted = append(wanted, sl)
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	wc, err := lifecycle.Workload(ctx, r.Workload, client.ObjectKeyFromObject(s.cluster.Cluster), r.watchNodes)
	if err != nil {
		return err
	}
	if wc == nil {
		s.wake(s.now.Add(10 * time.Second))
		return nil
	}
	s.workload, s.reachable = wc, true
	for _, sl := range wanted {
		if sl.node, err = lifecycle.GetNode(ctx, wc, sl.state.NodeName); err != nil {
			return err
		}
	}
	return nil
}

// event emits an Event about the pool.
func (r *Reconciler) event(p *v1alpha1.ScheduledMachinePool, warning bool, reason, format string, args ...any) {
	if r.Recorder == nil {
		return
	}
	t := corev1.EventTypeNormal
	if warning {
		t = corev1.EventTypeWarning
	}
	r.Recorder.Eventf(p, nil, t, reason, reason, "%s", fmt.Sprintf(format, args...))
}
