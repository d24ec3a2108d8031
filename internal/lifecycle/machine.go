package lifecycle

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/conditions"
)

// MachineState is what 5-Spot reads off a Machine.
type MachineState struct {
	Running  bool
	NodeName string
	Deleting bool
	// Failed is set when the infrastructure reported a terminal failure.
	Failed         bool
	FailureMessage string
	// Waiting explains, when not Running, what the Machine waits for
	// (mirrored from its bootstrap/infrastructure conditions).
	Waiting string
	// DeletingReason and DeletingMessage mirror the Machine's Deleting condition.
	DeletingReason, DeletingMessage string
}

// ReadMachine classifies a Machine.
func ReadMachine(m *clusterv1.Machine) MachineState {
	s := MachineState{
		Running:  m.Status.Phase == string(clusterv1.MachinePhaseRunning),
		NodeName: m.Status.NodeRef.Name,
		Deleting: !m.DeletionTimestamp.IsZero(),
	}
	if d := m.Status.Deprecated; d != nil && d.V1Beta1 != nil && d.V1Beta1.FailureReason != nil {
		s.Failed = true
		s.FailureMessage = fmt.Sprintf("%s: %s", *d.V1Beta1.FailureReason, deref(d.V1Beta1.FailureMessage))
	} else if m.Status.Phase == string(clusterv1.MachinePhaseFailed) {
		s.Failed = true
		s.FailureMessage = "the Machine is in phase Failed"
	}
	for _, t := range []string{clusterv1.MachineBootstrapConfigReadyCondition, clusterv1.MachineInfrastructureReadyCondition, clusterv1.MachineNodeReadyCondition} {
		if c := conditions.Get(m, t); c != nil && c.Status != metav1.ConditionTrue && s.Waiting == "" {
			s.Waiting = fmt.Sprintf("%s: %s", t, firstNonEmpty(c.Message, c.Reason))
		}
	}
	if c := conditions.Get(m, clusterv1.MachineDeletingCondition); c != nil && c.Status == metav1.ConditionTrue {
		s.DeletingReason, s.DeletingMessage = c.Reason, c.Message
	}
	return s
}

// Backoff returns the wait before retry number attempts (1-based): 30 s,
// doubling, capped at 5 minutes.
func Backoff(attempts int32) time.Duration {
	d := 30 * time.Second
	for i := int32(1); i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
