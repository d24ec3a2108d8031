package scheduledmachinepool

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cluster-api/util/conditions"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// setCondition sets a condition; its transition time changes only when its
// status does, so an unchanged state causes no write.
func setCondition(p *v1alpha1.ScheduledMachinePool, conditionType string, status bool, reason, message string) {
	conditions.Set(p, metav1.Condition{
		Type: conditionType, Status: conditions.BoolToStatus(status), Reason: reason, Message: message,
		ObservedGeneration: p.Generation,
	})
}

func conditionOf(p *v1alpha1.ScheduledMachinePool, t string) *metav1.Condition {
	return conditions.Get(p, t)
}

// summary counts the slots for status and conditions.
type summary struct {
	replicas, ready, available, upToDate int32
	// kept are slots that stay (not surplus); keptReady of them are ready.
	kept, keptReady     int
	outdated, replacing int
	surplus, failing    []string
}

func (s *scope) summarize() summary {
	var sum summary
	sum.replicas = int32(len(s.leaving))
	for _, sl := range s.slots {
		if sl.gone {
			continue
		}
		if sl.machine != nil {
			sum.replicas++
		}
		if sl.ready() {
			sum.ready++
		}
		if sl.live() && !s.outdated(sl) {
			sum.upToDate++
		}
		switch {
		case sl.surplus():
			sum.surplus = append(sum.surplus, sl.Name)
			continue
		case sl.Phase == v1alpha1.PhaseError:
			sum.failing = append(sum.failing, sl.Name)
		}
		sum.kept++
		if sl.Replacing {
			sum.replacing++
		} else if s.outdated(sl) {
			sum.outdated++
		}
		if sl.ready() && !sl.Replacing {
			sum.keptReady++
			sum.available++
		}
	}
	return sum
}

// updateStatus finishes status for the deferred patch: counts, the
// conditions that summarise the Machines, the Ready summary, and Events
// when the desired count changes.
func (r *Reconciler) updateStatus(s *scope, previous *v1alpha1.ScheduledMachinePoolStatus) {
	p := s.pool
	if p.DeletionTimestamp.IsZero() {
		p.Status.ObservedGeneration = p.Generation
	}
	p.Status.Selector = Selector(p)
	if s.read {
		s.syncSlots()
		sum := s.summarize()
		st := &p.Status
		st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.UpToDateReplicas = sum.replicas, sum.ready, sum.available, sum.upToDate
		r.machineConditions(s, sum)
	}
	ready, reason, message := readiness(p)
	setCondition(p, v1alpha1.ReadyCondition, ready, reason, message)

	if previous.ObservedGeneration != 0 && previous.DesiredReplicas != p.Status.DesiredReplicas && p.DeletionTimestamp.IsZero() {
		reason := v1alpha1.ReasonScalingUp
		if p.Status.DesiredReplicas < previous.DesiredReplicas {
			reason = v1alpha1.ReasonScalingDown
		}
		r.event(p, false, reason, "desired replicas %d → %d (active schedules: %s)", previous.DesiredReplicas, p.Status.DesiredReplicas, p.Status.ActiveSchedule)
	}
}

func (r *Reconciler) machineConditions(s *scope, sum summary) {
	p := s.pool
	desired := int(p.Status.DesiredReplicas)
	switch {
	case len(sum.failing) > 0:
		setCondition(p, v1alpha1.MachinesReadyCondition, false, v1alpha1.ReasonMachinesFailing,
			fmt.Sprintf("%d of %d desired Machines ready; failing, retrying with backoff: %s", sum.keptReady, desired, strings.Join(sum.failing, ", ")))
	case sum.keptReady == desired && sum.kept == desired:
		setCondition(p, v1alpha1.MachinesReadyCondition, true, v1alpha1.ReasonAllMachinesReady, "")
	default:
		setCondition(p, v1alpha1.MachinesReadyCondition, false, v1alpha1.ReasonMachinesNotReady,
			fmt.Sprintf("%d of %d desired Machines ready", sum.keptReady, desired))
	}
	if sum.outdated+sum.replacing == 0 {
		setCondition(p, v1alpha1.MachinesUpToDateCondition, true, v1alpha1.ReasonUpToDate, "")
	} else {
		setCondition(p, v1alpha1.MachinesUpToDateCondition, false, v1alpha1.ReasonRollingOut,
			fmt.Sprintf("%d Machines to roll to the current template or version, %d being replaced; at most %d unavailable at a time",
				sum.outdated, sum.replacing, ptr.Deref(p.Spec.MaxUnavailable, 1)))
	}
	if !s.cluster.Deleting && p.DeletionTimestamp.IsZero() {
		if len(sum.surplus) > 0 {
			setCondition(p, v1alpha1.DeletingCondition, true, v1alpha1.ReasonScalingDown,
				fmt.Sprintf("removing %s gracefully: the pool shrinks to %d", strings.Join(sum.surplus, ", "), desired))
		} else {
			setCondition(p, v1alpha1.DeletingCondition, false, "NotDeleting", "")
		}
	}
}

// readiness: Ready means the pool has exactly the desired number of
// Machines, all Running with Ready Nodes and built from the current
// template, with nothing left to remove.
func readiness(p *v1alpha1.ScheduledMachinePool) (bool, string, string) {
	if c := conditions.Get(p, v1alpha1.ScheduledCondition); c != nil && c.Reason == v1alpha1.ReasonInvalidSchedules {
		return false, c.Reason, c.Message
	}
	if conditions.IsFalse(p, v1alpha1.ReferencesValidCondition) || conditions.IsTrue(p, v1alpha1.PausedCondition) {
		c := conditions.Get(p, v1alpha1.PausedCondition)
		if conditions.IsFalse(p, v1alpha1.ReferencesValidCondition) {
			c = conditions.Get(p, v1alpha1.ReferencesValidCondition)
		}
		return false, c.Reason, c.Message
	}
	for _, t := range []string{v1alpha1.MachinesReadyCondition, v1alpha1.MachinesUpToDateCondition} {
		c := conditions.Get(p, t)
		if c == nil {
			return false, "Pending", "evaluating the pool"
		}
		if c.Status != metav1.ConditionTrue {
			return false, c.Reason, c.Message
		}
	}
	if c := conditions.Get(p, v1alpha1.DeletingCondition); c != nil && c.Status == metav1.ConditionTrue {
		return false, c.Reason, c.Message
	}
	return true, "Ready", ""
}
