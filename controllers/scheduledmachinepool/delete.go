package scheduledmachinepool

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// reconcileDelete removes every Machine of the pool (drained by Cluster API,
// without the grace period), waits until they and their bootstrap and
// infrastructure objects are gone, and only then releases the finalizer. A
// deletion that takes longer than StuckDeletionAfter is reported, never
// silently orphaned.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) error {
	if err := r.readMachines(ctx, s); err != nil {
		return err
	}
	s.read = true
	if err := r.removeAllNow(ctx, s, "the ScheduledMachinePool is being deleted: removing its Machines"); err != nil {
		return err
	}
	p := s.pool
	if !s.hasObjects() {
		controllerutil.RemoveFinalizer(p, v1alpha1.PoolFinalizer)
		return nil
	}
	stuckAt := p.DeletionTimestamp.Add(r.StuckDeletionAfter)
	if !s.now.Before(stuckAt) {
		msg := fmt.Sprintf("deletion has waited more than %s for the pool's Machines and their bootstrap and infrastructure objects", r.StuckDeletionAfter)
		if c := conditionOf(p, v1alpha1.DeletingCondition); c == nil || c.Reason != "DeletionStuck" {
			r.event(p, true, "DeletionStuck", "%s", msg)
		}
		setCondition(p, v1alpha1.DeletingCondition, true, "DeletionStuck", msg)
		return nil
	}
	s.wake(stuckAt)
	s.wake(s.now.Add(time.Minute))
	return nil
}
