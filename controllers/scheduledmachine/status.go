package scheduledmachine

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cluster-api/util/conditions"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// setCondition sets a condition; its transition time changes only when its
// status does, so an unchanged state causes no write.
func setCondition(sm *v1alpha1.ScheduledMachine, conditionType string, status bool, reason, message string) {
	conditions.Set(sm, metav1.Condition{
		Type: conditionType, Status: conditions.BoolToStatus(status), Reason: reason, Message: message,
		ObservedGeneration: sm.Generation,
	})
}

func setMachineCondition(sm *v1alpha1.ScheduledMachine, ready bool, reason, message string) {
	setCondition(sm, v1alpha1.MachineReadyCondition, ready, reason, message)
}

func setPhase(s *scope, phase v1alpha1.Phase, message string) {
	s.sm.Status.Phase = phase
	s.sm.Status.Message = message
}

// warningPhases are announced as Warning events.
var warningPhases = map[v1alpha1.Phase]bool{
	v1alpha1.PhaseError: true, v1alpha1.PhaseTerminated: true, v1alpha1.PhaseEmergencyRemove: true,
}

// updateStatus finishes status for the deferred patch: observed generation,
// the Ready summary, and an Event on every phase change.
func (r *Reconciler) updateStatus(s *scope, previous *v1alpha1.ScheduledMachineStatus) {
	sm := s.sm
	if sm.DeletionTimestamp.IsZero() {
		sm.Status.ObservedGeneration = sm.Generation
	}
	if sm.Status.Phase == "" {
		setPhase(s, v1alpha1.PhasePending, "evaluating the schedule")
	}
	ready, reason, message := readiness(sm)
	setCondition(sm, v1alpha1.ReadyCondition, ready, reason, message)

	if r.Recorder == nil {
		return
	}
	if sm.Status.Phase != previous.Phase {
		eventType := corev1.EventTypeNormal
		if warningPhases[sm.Status.Phase] {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(sm, nil, eventType, string(sm.Status.Phase), "PhaseChange", "%s", sm.Status.Message)
	}
	prevNodeNotReady := previous != nil && reasonOf(previous.Conditions, v1alpha1.MachineReadyCondition) == v1alpha1.ReasonNodeNotReady
	if !prevNodeNotReady && conditions.GetReason(sm, v1alpha1.MachineReadyCondition) == v1alpha1.ReasonNodeNotReady {
		r.Recorder.Eventf(sm, nil, corev1.EventTypeWarning, v1alpha1.ReasonNodeNotReady, "WaitForNode", "%s",
			conditions.GetMessage(sm, v1alpha1.MachineReadyCondition))
	}
}

func reasonOf(cs []metav1.Condition, t string) string {
	for _, c := range cs {
		if c.Type == t {
			return c.Reason
		}
	}
	return ""
}

// readiness: Ready means the object is where its schedule wants it — an
// Active machine inside the schedule, nothing outside it, or a deliberate
// stop (disabled, kill switch).
func readiness(sm *v1alpha1.ScheduledMachine) (bool, string, string) {
	switch sm.Status.Phase {
	case v1alpha1.PhaseActive:
		return true, string(sm.Status.Phase), ""
	case v1alpha1.PhaseInactive, v1alpha1.PhaseDisabled, v1alpha1.PhaseTerminated:
		return !sm.Status.InSchedule || sm.Status.Phase != v1alpha1.PhaseInactive, string(sm.Status.Phase), ""
	default:
		return false, string(sm.Status.Phase), fmt.Sprintf("phase %s: %s", sm.Status.Phase, sm.Status.Message)
	}
}
