package scheduledmachine

import (
	"context"
	"fmt"
	"strings"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// reconcileTaints applies spec.nodeTaints once the Node is Ready, changing
// or removing only taints 5-Spot applied; an administrator's taint with the
// same (key, effect) is a conflict and is never overwritten.
func (r *Reconciler) reconcileTaints(ctx context.Context, s *scope) error {
	sm := s.sm
	if sm.Status.Phase != v1alpha1.PhaseActive || s.node == nil || s.workload == nil {
		return nil
	}
	if len(sm.Spec.NodeTaints) == 0 && len(lifecycle.OwnedTaints(s.node)) == 0 {
		sm.Status.AppliedNodeTaints = nil
		return nil
	}
	plan, err := lifecycle.ApplyTaints(ctx, s.workload, s.node, sm.Spec.NodeTaints)
	if err != nil {
		return err
	}
	sm.Status.AppliedNodeTaints = plan.Applied
	if len(plan.Conflicts) > 0 {
		var ids []string
		for _, t := range plan.Conflicts {
			ids = append(ids, fmt.Sprintf("%s:%s", t.Key, t.Effect))
		}
		setCondition(sm, v1alpha1.NodeTaintedCondition, false, v1alpha1.ReasonTaintOwnership,
			fmt.Sprintf("Node %s already has taints 5-Spot did not apply: %s; they are left as they are", s.node.Name, strings.Join(ids, ", ")))
		return nil
	}
	setCondition(sm, v1alpha1.NodeTaintedCondition, true, v1alpha1.ReasonTaintsApplied, "")
	return nil
}
