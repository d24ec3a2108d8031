package scheduledmachine

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// observeMachine copies what the Machine reports into status.
func (r *Reconciler) observeMachine(s *scope) {
	st := &s.sm.Status
	if s.machine == nil {
		return
	}
	st.ProviderID = ptr.Deref(nilIfEmpty(s.machine.Spec.ProviderID), st.ProviderID)
	if s.machineState.NodeName != "" {
		st.NodeRef = &v1alpha1.NodeReference{Name: s.machineState.NodeName}
	}
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// trackMachine follows the current Machine: provisioning, running, failed.
func (r *Reconciler) trackMachine(ctx context.Context, s *scope) error {
	sm := s.sm
	r.observeMachine(s)
	var started time.Time
	if sm.Status.ProvisioningStartTime != nil {
		started = sm.Status.ProvisioningStartTime.Time
	}
	p := lifecycle.Track(s.machine, s.machineState, s.node, s.workload != nil, started, s.now, r.ProvisioningTimeout)
	switch p.Outcome {
	case lifecycle.MachineFailed:
		return r.fail(ctx, s, p.Reason, p.Message)
	case lifecycle.MachineProvisioning:
		if sm.Status.ProvisioningStartTime == nil {
			sm.Status.ProvisioningStartTime = &metav1.Time{Time: s.now}
		}
		s.wake(p.Deadline)
		setPhase(s, v1alpha1.PhaseProvisioning, p.Summary)
		setMachineCondition(sm, false, p.Reason, p.Message)
	case lifecycle.NodeNotReady:
		setPhase(s, v1alpha1.PhaseProvisioning, p.Summary)
		setMachineCondition(sm, false, p.Reason, p.Message)
	case lifecycle.MachineReady:
		sm.Status.Retry = nil
		setPhase(s, v1alpha1.PhaseActive, p.Summary)
		setMachineCondition(sm, true, p.Reason, "")
	}
	return nil
}

// fail records a failure, deletes the failed Machine so that the next
// attempt starts clean, and retries with exponential backoff (30 s doubling
// to 5 m) kept in status so that a restart keeps it.
func (r *Reconciler) fail(ctx context.Context, s *scope, reason, message string) error {
	sm := s.sm
	if err := r.deleteAll(ctx, s, false); err != nil {
		return err
	}
	retry := lifecycle.NextRetry(sm.Status.Retry, message, s.now)
	retry.Reason = reason
	sm.Status.Retry = retry
	// The next attempt is a new activation: fresh names.
	clearActivation(sm)
	setMachineCondition(sm, false, reason, message)
	setPhase(s, v1alpha1.PhaseError, fmt.Sprintf("%s; retry %d at %s", message, retry.Attempts, retry.NextRetryTime.UTC().Format(time.RFC3339)))
	s.wake(retry.NextRetryTime.Time)
	return nil
}

// deactivate removes the machine gracefully when the window closed: cordon
// the Node, wait gracefulShutdownTimeout (the deadline is kept in status so a
// restart does not reset it), delete the Machine and let Cluster API drain
// it, and reach Inactive only when the Machine and its bootstrap and
// infrastructure objects are gone.
func (r *Reconciler) deactivate(ctx context.Context, s *scope) error {
	sm := s.sm
	sm.Status.Retry = nil
	sm.Status.Replacing = false
	if !s.hasObjects() {
		becomeInactive(s)
		return nil
	}
	return r.removeGracefully(ctx, s, v1alpha1.ReasonCordoned, "")
}

// removeGracefully cordons, waits the grace period, then deletes; reason and
// message explain the grace period (window closed, version replacement).
func (r *Reconciler) removeGracefully(ctx context.Context, s *scope, reason, message string) error {
	sm := s.sm
	r.observeMachine(s)
	if s.machine != nil && !s.machineState.Deleting && s.node != nil && s.workload != nil {
		deadline, err := lifecycle.StartGrace(ctx, s.workload, s.node, sm.Status.ShutdownDeadline, lifecycle.Grace(sm.Spec.GracefulShutdownTimeout), s.now)
		if err != nil {
			return err
		}
		sm.Status.ShutdownDeadline = deadline
		if s.now.Before(sm.Status.ShutdownDeadline.Time) {
			setPhase(s, v1alpha1.PhaseShuttingDown, fmt.Sprintf("Node %s cordoned; the Machine is deleted at %s",
				s.node.Name, sm.Status.ShutdownDeadline.UTC().Format(time.RFC3339)))
			setCondition(sm, v1alpha1.DeletingCondition, true, reason, firstNonEmpty(message, "grace period before the drain"))
			s.wake(sm.Status.ShutdownDeadline.Time)
			return nil
		}
	}
	if err := r.deleteAll(ctx, s, false); err != nil {
		return err
	}
	if !s.hasObjects() {
		if sm.Status.Replacing {
			return nil // created again at the next look, at the new version
		}
		becomeInactive(s)
		return nil
	}
	setPhase(s, v1alpha1.PhaseShuttingDown, firstNonEmpty(message, "the window closed: Cluster API drains and deletes the Machine"))
	r.mirrorDeleting(s)
	return nil
}

// becomeInactive records that nothing exists and nothing should.
func becomeInactive(s *scope) {
	clearActivation(s.sm)
	setPhase(s, v1alpha1.PhaseInactive, "nothing exists; waiting for the next window")
	setMachineCondition(s.sm, false, v1alpha1.ReasonNoMachine, "no Machine exists outside the schedule")
	setCondition(s.sm, v1alpha1.DeletingCondition, false, "NotDeleting", "")
}

// mirrorDeleting reports the Machine's own deletion progress (drain, volume
// detach, ...) in our Deleting condition.
func (r *Reconciler) mirrorDeleting(s *scope) {
	st := s.machineState
	switch {
	case s.machine != nil && st.DeletingReason != "":
		setCondition(s.sm, v1alpha1.DeletingCondition, true, st.DeletingReason, st.DeletingMessage)
	case s.machine != nil:
		setCondition(s.sm, v1alpha1.DeletingCondition, true, v1alpha1.ReasonDraining, fmt.Sprintf("Machine %s is being deleted", s.machine.Name))
	default:
		setCondition(s.sm, v1alpha1.DeletingCondition, true, v1alpha1.ReasonWaitingForDeletion, "waiting for the Machine and its bootstrap and infrastructure objects to be gone")
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
