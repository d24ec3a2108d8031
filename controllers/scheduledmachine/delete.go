package scheduledmachine

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// reconcileDelete removes the Machine (drained by Cluster API, without our
// grace period), waits until it and its bootstrap and infrastructure objects
// are gone, and only then releases the finalizer. A deletion that takes
// longer than StuckDeletionAfter is reported, never silently orphaned.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) error {
	if err := r.readObjects(ctx, s); err != nil {
		return err
	}
	if !s.hasObjects() {
		controllerutil.RemoveFinalizer(s.sm, v1alpha1.Finalizer)
		return nil
	}
	if err := r.deleteAll(ctx, s, false); err != nil {
		return err
	}
	if !s.hasObjects() {
		controllerutil.RemoveFinalizer(s.sm, v1alpha1.Finalizer)
		return nil
	}
	setPhase(s, v1alpha1.PhaseShuttingDown, "the ScheduledMachine is being deleted: removing its Machine")
	r.mirrorDeleting(s)
	stuckAt := s.sm.DeletionTimestamp.Add(r.StuckDeletionAfter)
	if !s.now.Before(stuckAt) {
		msg := fmt.Sprintf("deletion has waited more than %s for the Machine and its bootstrap and infrastructure objects", r.StuckDeletionAfter)
		setCondition(s.sm, v1alpha1.DeletingCondition, true, "DeletionStuck", msg)
		if r.Recorder != nil && s.sm.Status.Message != msg {
			r.Recorder.Eventf(s.sm, nil, corev1.EventTypeWarning, "DeletionStuck", "Delete", "%s", msg)
		}
		s.sm.Status.Message = msg
		return nil
	}
	s.wake(stuckAt)
	s.wake(s.now.Add(time.Minute))
	return nil
}
