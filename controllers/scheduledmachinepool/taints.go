package scheduledmachinepool

import (
	"context"
	"fmt"
	"strings"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// reconcileTaints applies spec.template.nodeTaints to the Node of every
// Active Machine, changing or removing only taints 5-Spot applied (recorded
// on each Node); an administrator's taint with the same (key, effect) is a
// conflict and is never overwritten.
func (r *Reconciler) reconcileTaints(ctx context.Context, s *scope) error {
	if s.workload == nil {
		return nil
	}
	requested := s.pool.Spec.Template.NodeTaints
	var conflicts []string
	tainted := false
	for _, sl := range s.slots {
		if sl.gone || sl.Phase != v1alpha1.PhaseActive || sl.node == nil {
			continue
		}
		if len(requested) == 0 && len(lifecycle.OwnedTaints(sl.node)) == 0 {
			continue
		}
		plan, err := lifecycle.ApplyTaints(ctx, s.workload, sl.node, requested)
		if err != nil {
			return err
		}
		tainted = true
		for _, t := range plan.Conflicts {
			conflicts = append(conflicts, fmt.Sprintf("%s (%s:%s)", sl.node.Name, t.Key, t.Effect))
		}
	}
	switch {
	case len(conflicts) > 0:
		setCondition(s.pool, v1alpha1.NodeTaintedCondition, false, v1alpha1.ReasonTaintOwnership,
			fmt.Sprintf("Nodes already have taints 5-Spot did not apply: %s; they are left as they are", strings.Join(conflicts, ", ")))
	case tainted:
		setCondition(s.pool, v1alpha1.NodeTaintedCondition, true, v1alpha1.ReasonTaintsApplied, "")
	}
	return nil
}
