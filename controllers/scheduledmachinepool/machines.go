package scheduledmachinepool

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// reconcileMachines matches the slots to the desired count (planScale),
// then brings every slot where it should be: removed gracefully, replaced,
// created, or followed. One failing Machine goes to Error and backs off on
// its own; the others carry on.
func (r *Reconciler) reconcileMachines(ctx context.Context, s *scope) error {
	if s.cluster.Deleting {
		return r.removeAllNow(ctx, s, fmt.Sprintf("Cluster %s is being deleted: removing the pool's Machines now", s.cluster.Key.Name))
	}
	p := s.pool
	d := planScale(s.views(), int(s.desired.Replicas), p.Spec.DeletePolicy, int(ptr.Deref(p.Spec.MaxUnavailable, 1)))
	byName := map[string]*slot{}
	for _, sl := range s.slots {
		byName[sl.Name] = sl
	}
	for _, name := range d.Remove {
		sl := byName[name]
		sl.Phase, sl.Replacing, sl.Retry = v1alpha1.PhaseShuttingDown, false, nil
		sl.Message = fmt.Sprintf("removing: the pool shrinks to %d", s.desired.Replicas)
	}
	for _, name := range d.Keep {
		if err := r.keep(ctx, s, byName[name]); err != nil {
			return err
		}
	}
	for _, name := range d.Replace {
		sl := byName[name]
		sl.Phase, sl.Replacing = v1alpha1.PhaseShuttingDown, true
		sl.Message = fmt.Sprintf("replacing Machine %s: %s", sl.Name, s.outdatedBecause(sl))
		r.event(p, false, v1alpha1.ReasonRollingOut, "replacing Machine %s: %s", sl.Name, s.outdatedBecause(sl))
	}
	if p.Generation != p.Status.ObservedGeneration {
		// The spec changed (perhaps to fix what failed): retry now.
		for _, sl := range s.slots {
			if sl.Phase == v1alpha1.PhaseError && sl.Retry != nil {
				sl.Retry.NextRetryTime = nil
			}
		}
	}
	g := &gate{r: r, s: s}
	if d.Add > 0 && g.allows(false) {
		for range d.Add {
			s.slots = append(s.slots, &slot{PoolMachine: v1alpha1.PoolMachine{Phase: v1alpha1.PhasePending}, renew: true})
		}
	}

	var create []*slot
	for _, sl := range s.slots {
		if sl.NodeRef == nil && sl.state.NodeName != "" {
			sl.NodeRef = &v1alpha1.NodeReference{Name: sl.state.NodeName}
		}
		var err error
		switch {
		case sl.surplus():
			sl.gone, err = r.removeGracefully(ctx, s, sl)
		case sl.Replacing && sl.hasObjects():
			_, err = r.removeGracefully(ctx, s, sl)
		case sl.Phase == v1alpha1.PhaseError && sl.Retry != nil && sl.Retry.NextRetryTime != nil && s.now.Before(sl.Retry.NextRetryTime.Time):
			s.wake(sl.Retry.NextRetryTime.Time)
			if sl.live() { // a failed Machine whose deletion did not go through
				err = lifecycle.DeleteMachine(ctx, r.Client, sl.machine, false)
			}
		case sl.live():
			err = r.track(ctx, s, sl)
		default:
			// No live Machine: create one. A retry, a replacement, a
			// leftover of this name still going, or objects someone else
			// removed (a remediation) get a new name.
			sl.renew = sl.renew || sl.Replacing || sl.Phase == v1alpha1.PhaseError || sl.machine != nil ||
				deleting(sl.bootstrap) || deleting(sl.infra) || sl.ProvisioningStartTime != nil && sl.bootstrap == nil
			// Objects created earlier under this name whose Machine the
			// cache does not show yet are ensured again, gate or not.
			resume := !sl.renew && sl.ProvisioningStartTime != nil
			if resume || g.allows(sl.Replacing) {
				create = append(create, sl)
			} else if sl.Phase != v1alpha1.PhaseError {
				sl.Phase, sl.Message = v1alpha1.PhasePending, g.message
			}
		}
		if err != nil {
			return err
		}
	}
	return r.createAll(ctx, s, create)
}

// views describes the slots for planning.
func (s *scope) views() []view {
	out := make([]view, 0, len(s.slots))
	for _, sl := range s.slots {
		out = append(out, view{
			Name: sl.Name, Surplus: sl.surplus(), Replacing: sl.Replacing, Live: sl.live(),
			Ready: sl.ready(), Outdated: s.outdated(sl),
			Marked: sl.machine != nil && sl.machine.Annotations[clusterv1.DeleteMachineAnnotation] != "",
		})
	}
	return out
}

// outdatedBecause says why a slot's Machine is outdated.
func (s *scope) outdatedBecause(sl *slot) string {
	if sl.machine.Labels[v1alpha1.TemplateHashLabel] != s.hash {
		return "the template changed"
	}
	return fmt.Sprintf("it runs %s, the control plane %s", sl.machine.Spec.Version, s.cluster.ControlPlane.Version)
}

// createAll records the new names first (a crash half-way resumes with the
// same names and never duplicates), then creates each slot's objects.
func (r *Reconciler) createAll(ctx context.Context, s *scope, create []*slot) error {
	renamed := false
	for _, sl := range create {
		if sl.renew || sl.Name == "" {
			s.newName(sl)
			sl.Phase, sl.Message = v1alpha1.PhasePending, "creating the Machine"
			renamed = true
		}
	}
	if renamed {
		if err := s.persist(ctx); err != nil {
			return err
		}
	}
	for _, sl := range create {
		err := lifecycle.CreateObjects(ctx, r.Client, s.template, owner(s.pool), sl.Name, index(sl.Name))
		var failure *lifecycle.CreateError
		switch {
		case errors.As(err, &failure):
			if err := r.fail(ctx, s, sl, failure.Reason, failure.Message); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if sl.ProvisioningStartTime == nil {
			sl.ProvisioningStartTime = &metav1.Time{Time: s.now}
		}
		sl.Phase, sl.Replacing = v1alpha1.PhaseProvisioning, false
		sl.Message = fmt.Sprintf("created Machine %s", sl.Name)
		s.wake(sl.ProvisioningStartTime.Add(r.ProvisioningTimeout))
	}
	return nil
}

// track follows a live Machine: provisioning, running, failed.
func (r *Reconciler) track(ctx context.Context, s *scope, sl *slot) error {
	var started time.Time
	if sl.ProvisioningStartTime != nil {
		started = sl.ProvisioningStartTime.Time
	}
	p := lifecycle.Track(sl.machine, sl.state, sl.node, s.reachable, started, s.now, r.ProvisioningTimeout)
	switch p.Outcome {
	case lifecycle.MachineFailed:
		return r.fail(ctx, s, sl, p.Reason, p.Message)
	case lifecycle.MachineProvisioning:
		if sl.ProvisioningStartTime == nil {
			sl.ProvisioningStartTime = &metav1.Time{Time: s.now}
		}
		s.wake(p.Deadline)
		sl.Phase, sl.Message = v1alpha1.PhaseProvisioning, p.Message
	case lifecycle.NodeNotReady:
		sl.Phase, sl.Message = v1alpha1.PhaseProvisioning, p.Message
	case lifecycle.MachineReady:
		sl.Phase, sl.Message, sl.Retry = v1alpha1.PhaseActive, "", nil
	}
	return nil
}

// fail puts one slot in Error: its Machine is deleted so that the next
// attempt starts clean, and the retry waits with exponential backoff kept in
// the slot's status. The pool's other Machines are not touched.
func (r *Reconciler) fail(ctx context.Context, s *scope, sl *slot, reason, message string) error {
	if sl.machine == nil {
		// A creation that failed half-way left objects this reconcile has
		// not read: read them, so that none is left behind.
		bootstrap, infra, _ := lifecycle.Refs(s.refTemplate(), sl.Name)
		var err error
		if sl.bootstrap, err = lifecycle.GetRef(ctx, r.Client, bootstrap, s.pool.Namespace); err != nil {
			return err
		}
		if sl.infra, err = lifecycle.GetRef(ctx, r.Client, infra, s.pool.Namespace); err != nil {
			return err
		}
	}
	if err := r.deleteObjects(ctx, s, sl); err != nil {
		return err
	}
	sl.Retry = lifecycle.NextRetry(sl.Retry, message, s.now)
	sl.Phase, sl.Replacing, sl.ShutdownDeadline = v1alpha1.PhaseError, false, nil
	sl.Message = fmt.Sprintf("%s: %s; retry %d at %s", reason, message, sl.Retry.Attempts, sl.Retry.NextRetryTime.UTC().Format(time.RFC3339))
	s.wake(sl.Retry.NextRetryTime.Time)
	r.event(s.pool, true, v1alpha1.ReasonMachinesFailing, "Machine %s: %s", sl.Name, sl.Message)
	return nil
}

// keep cancels the removal of a surplus slot whose Machine is not deleted
// yet: the pool grew again. 5-Spot lifts its own cordon.
func (r *Reconciler) keep(ctx context.Context, s *scope, sl *slot) error {
	if s.workload != nil && sl.node != nil {
		if err := lifecycle.Uncordon(ctx, s.workload, sl.node); err != nil {
			return err
		}
	}
	sl.Phase, sl.ShutdownDeadline, sl.Message = v1alpha1.PhaseProvisioning, nil, "kept: the pool grew again before the Machine was deleted"
	return nil
}

// removeGracefully cordons the Node, waits the grace period (its deadline
// kept in the slot's status), then deletes the Machine and lets Cluster API
// drain it. It reports true once the Machine and its bootstrap and
// infrastructure objects are gone.
func (r *Reconciler) removeGracefully(ctx context.Context, s *scope, sl *slot) (bool, error) {
	if sl.live() && sl.node != nil && s.workload != nil {
		deadline, err := lifecycle.StartGrace(ctx, s.workload, sl.node, sl.ShutdownDeadline,
			lifecycle.Grace(s.pool.Spec.Template.GracefulShutdownTimeout), s.now)
		if err != nil {
			return false, err
		}
		sl.ShutdownDeadline = deadline
		if s.now.Before(deadline.Time) {
			sl.Message = fmt.Sprintf("Node %s cordoned; Machine %s is deleted at %s", sl.node.Name, sl.Name, deadline.UTC().Format(time.RFC3339))
			s.wake(deadline.Time)
			return false, nil
		}
	}
	if err := r.deleteObjects(ctx, s, sl); err != nil {
		return false, err
	}
	if !sl.hasObjects() {
		return true, nil
	}
	sl.Message = fmt.Sprintf("Cluster API drains and deletes Machine %s", sl.Name)
	if sl.state.DeletingMessage != "" {
		sl.Message = fmt.Sprintf("Machine %s: %s", sl.Name, sl.state.DeletingMessage)
	}
	return false, nil
}

// deleteObjects deletes the slot's Machine; without a Machine nobody adopted
// its bootstrap and infrastructure objects, so they are deleted here.
func (r *Reconciler) deleteObjects(ctx context.Context, s *scope, sl *slot) error {
	if sl.machine != nil {
		return lifecycle.DeleteMachine(ctx, r.Client, sl.machine, false)
	}
	bootstrap, infra, _ := lifecycle.Refs(s.refTemplate(), sl.Name)
	var err error
	if sl.bootstrap, err = lifecycle.DeleteUnadopted(ctx, r.Client, sl.bootstrap, bootstrap, s.pool.Namespace); err != nil {
		return err
	}
	if sl.infra, err = lifecycle.DeleteUnadopted(ctx, r.Client, sl.infra, infra, s.pool.Namespace); err != nil {
		return err
	}
	if sl.bootstrap != nil || sl.infra != nil {
		s.wake(s.now.Add(5 * time.Second)) // their kinds are not watched
	}
	return nil
}

// removeAllNow deletes every Machine at once, without the grace period
// (Cluster or pool deletion); Cluster API still drains them. Slots leave
// status once nothing of them exists.
func (r *Reconciler) removeAllNow(ctx context.Context, s *scope, message string) error {
	for _, sl := range s.slots {
		if err := r.deleteObjects(ctx, s, sl); err != nil {
			return err
		}
		if !sl.hasObjects() {
			sl.gone = true
			continue
		}
		sl.Phase, sl.Replacing, sl.Message = v1alpha1.PhaseShuttingDown, false, message
	}
	if s.hasObjects() {
		setCondition(s.pool, v1alpha1.DeletingCondition, true, v1alpha1.ReasonDraining, message)
	}
	return nil
}

// hasObjects reports whether anything of the pool still exists.
func (s *scope) hasObjects() bool {
	if len(s.leaving) > 0 {
		return true
	}
	for _, sl := range s.slots {
		if !sl.gone && sl.hasObjects() {
			return true
		}
	}
	return false
}

func deleting(o *unstructured.Unstructured) bool {
	return o != nil && !o.GetDeletionTimestamp().IsZero()
}
