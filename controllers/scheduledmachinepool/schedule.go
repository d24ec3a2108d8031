package scheduledmachinepool

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/poolschedule"
)

// reconcileSchedule records the desired count, the active entries and the
// next change of the count, and asks to be woken exactly then. Transitions of
// entries that leave the count as it is wake nobody.
func (r *Reconciler) reconcileSchedule(_ context.Context, s *scope) error {
	p := s.pool
	plan, errs := poolschedule.Compile(&p.Spec)
	if len(errs) > 0 {
		// Admission rejects such schedules; an object stored before a rule
		// existed is reported, never acted on.
		setCondition(p, v1alpha1.ScheduledCondition, false, v1alpha1.ReasonInvalidSchedules, errs.ToAggregate().Error())
		s.stop = true
		return nil
	}
	s.desired = plan.At(s.now)
	st := &p.Status
	st.DesiredReplicas = s.desired.Replicas
	st.ActiveSchedules = s.desired.Active
	st.ActiveSchedule = poolschedule.ActiveColumn(s.desired.Active)
	st.NextChange = nil
	until := "the desired count does not change within 4 years"
	if next, ok := plan.Next(s.now); ok {
		st.NextChange = &v1alpha1.PoolChange{Time: metav1.NewTime(next.Time), Replicas: next.Replicas}
		until = fmt.Sprintf("%d from %s", next.Replicas, next.Time.UTC().Format(time.RFC3339))
		s.wake(next.Time)
	}
	baseline := int32(0)
	if p.Spec.Replicas != nil {
		baseline = *p.Spec.Replicas
	}
	switch {
	case s.desired.Override != "":
		setCondition(p, v1alpha1.ScheduledCondition, s.desired.Override == v1alpha1.OverrideForceOn, poolschedule.OverrideReason(s.desired.Override),
			fmt.Sprintf("override %s until %s: %d replicas; then %s", s.desired.Override, p.Spec.Override.Until.UTC().Format(time.RFC3339), s.desired.Replicas, until))
	case s.desired.Replicas > baseline:
		setCondition(p, v1alpha1.ScheduledCondition, true, v1alpha1.ReasonInSchedule,
			fmt.Sprintf("%s active: %d replicas; next %s", strings.Join(s.desired.Active, ", "), s.desired.Replicas, until))
	default:
		setCondition(p, v1alpha1.ScheduledCondition, false, v1alpha1.ReasonBaseline,
			fmt.Sprintf("baseline of %d replicas; next %s", baseline, until))
	}
	return nil
}
