package scheduledmachine

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/schedule"
)

// evaluation is what the schedule engine says at the scope's instant.
type evaluation struct {
	enabled bool
	active  bool
	// next is the next instant the answer changes; zero when never.
	next time.Time
	// reason explains active: in schedule, override, disabled, ...
	reason string
}

// evaluate asks the schedule engine. A disabled schedule is never active,
// whatever the override says: enabled=false is also how an emergency reclaim
// stops a machine from coming back.
func evaluate(sm *v1alpha1.ScheduledMachine, now time.Time) (evaluation, error) {
	enabled := sm.Spec.Schedule.Enabled == nil || *sm.Spec.Schedule.Enabled
	if !enabled {
		return evaluation{reason: v1alpha1.ReasonScheduleDisabled}, nil
	}
	override := sm.Spec.Override
	compiled, errs := schedule.Compile(sm.Spec.Schedule.EngineSpec(override), nil)
	if len(errs) > 0 {
		return evaluation{}, errs.ToAggregate()
	}
	e := evaluation{enabled: true, active: compiled.Active(now)}
	if next, ok := compiled.Next(now); ok {
		e.next = next
	}
	switch {
	case override != nil && now.Before(override.Until.Time) && override.Mode == v1alpha1.OverrideForceOn:
		e.reason = v1alpha1.ReasonOverrideForceOn
	case override != nil && now.Before(override.Until.Time) && override.Mode == v1alpha1.OverrideForceOff:
		e.reason = v1alpha1.ReasonOverrideForceOff
	case e.active:
		e.reason = v1alpha1.ReasonInSchedule
	default:
		e.reason = v1alpha1.ReasonOutOfSchedule
	}
	return e, nil
}

// reconcileSchedule records what the schedule says and when it changes next,
// and asks to be woken exactly then.
func (r *Reconciler) reconcileSchedule(_ context.Context, s *scope) error {
	e, err := evaluate(s.sm, s.now)
	if err != nil {
		// Admission rejects such schedules; an object stored before a rule
		// existed is reported, never acted on.
		setCondition(s.sm, v1alpha1.ScheduledCondition, false, "InvalidSchedule", err.Error())
		setPhase(s, v1alpha1.PhaseError, "the schedule does not parse: "+err.Error())
		s.stop = true
		return nil
	}
	s.eval = e
	st := &s.sm.Status
	if e.active && (!st.InSchedule || st.LastScheduledTime == nil) {
		// Recorded once, when a window opens (not on every look while it is open).
		st.LastScheduledTime = &metav1.Time{Time: s.now}
	}
	st.InSchedule = e.active
	st.NextActivation, st.NextCleanup = nil, nil
	message := "the schedule never changes within 4 years"
	if !e.next.IsZero() {
		next := metav1.NewTime(e.next)
		if e.active {
			st.NextCleanup = &next
			message = fmt.Sprintf("active until %s", e.next.UTC().Format(time.RFC3339))
		} else {
			st.NextActivation = &next
			message = fmt.Sprintf("inactive until %s", e.next.UTC().Format(time.RFC3339))
		}
		s.wake(e.next)
	}
	if !e.enabled {
		message = "the schedule is disabled (spec.schedule.enabled=false)"
	}
	setCondition(s.sm, v1alpha1.ScheduledCondition, e.active, e.reason, message)
	return nil
}
