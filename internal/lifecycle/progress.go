package lifecycle

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// Outcome is where a Machine stands on its way to a Ready Node.
type Outcome int

const (
	// MachineProvisioning: not yet Running with a Node; within the timeout.
	MachineProvisioning Outcome = iota
	// MachineFailed: the infrastructure reported a terminal failure, or the
	// provisioning timeout passed. The Machine should be replaced.
	MachineFailed
	// NodeNotReady: Running, but its Node is not Ready (or cannot be seen).
	// Reported loudly, never deleted automatically: a human may need to look.
	NodeNotReady
	// MachineReady: Running with a Ready Node.
	MachineReady
)

// Progress classifies one Machine, with the words both controllers report it in.
type Progress struct {
	Outcome Outcome
	// Reason and Message are for a MachineReady-style condition; for
	// MachineFailed they are the failure's reason and message.
	Reason, Message string
	// Summary is a sentence for status.message.
	Summary string
	// Deadline is when the provisioning timeout passes (MachineProvisioning only).
	Deadline time.Time
}

// Track classifies a Machine. started is when it was created (zero: now, for
// a Machine whose start was not recorded); node is its Node, nil when unknown;
// reachable says whether the workload cluster could be asked.
func Track(m *clusterv1.Machine, st MachineState, node *corev1.Node, reachable bool, started, now time.Time, timeout time.Duration) Progress {
	if st.Failed {
		return Progress{Outcome: MachineFailed, Reason: v1alpha1.ReasonInfrastructureFailed, Message: "the infrastructure failed: " + st.FailureMessage}
	}
	if !st.Running || st.NodeName == "" {
		if started.IsZero() {
			started = now
		}
		deadline := started.Add(timeout)
		if !now.Before(deadline) {
			return Progress{Outcome: MachineFailed, Reason: v1alpha1.ReasonProvisioningTimeout,
				Message: fmt.Sprintf("the Machine was not Running within %s: %s", timeout, firstNonEmpty(st.Waiting, "no progress reported"))}
		}
		reason := v1alpha1.ReasonMachineProvisioning
		if strings.HasPrefix(st.Waiting, clusterv1.MachineBootstrapConfigReadyCondition) {
			reason = v1alpha1.ReasonBootstrapNotReady
		}
		return Progress{Outcome: MachineProvisioning, Reason: reason, Deadline: deadline,
			Message: firstNonEmpty(st.Waiting, "waiting for the Machine to be Running with a Node"),
			Summary: fmt.Sprintf("Machine %s is being provisioned", m.Name)}
	}
	if node == nil || !NodeReady(node) {
		msg := fmt.Sprintf("Machine %s is Running but Node %s is not Ready", m.Name, st.NodeName)
		if node == nil && !reachable {
			msg = fmt.Sprintf("Machine %s is Running; the workload cluster cannot be reached to check Node %s", m.Name, st.NodeName)
		}
		return Progress{Outcome: NodeNotReady, Reason: v1alpha1.ReasonNodeNotReady, Message: msg, Summary: msg}
	}
	return Progress{Outcome: MachineReady, Reason: v1alpha1.ReasonMachineRunning,
		Summary: fmt.Sprintf("Machine %s is Running with Ready Node %s", m.Name, st.NodeName)}
}

// Outdated reports whether a Machine that follows the control plane's
// version (pinned is empty) runs another version than the control plane,
// now that the control plane is stable. CAPI never upgrades standalone
// Machines, so such a Machine is replaced.
func Outdated(pinned string, cp ControlPlane, machineVersion string) bool {
	return pinned == "" && cp.Version != "" && !cp.Upgrading && !cp.Provisioning &&
		machineVersion != "" && machineVersion != cp.Version
}

// NextRetry records one more failure: attempts counts up and the next
// attempt waits Backoff(attempts). The state lives in status so that a
// restart keeps it.
func NextRetry(retry *v1alpha1.RetryStatus, message string, now time.Time) *v1alpha1.RetryStatus {
	if retry == nil {
		retry = &v1alpha1.RetryStatus{}
	}
	retry.Attempts++
	retry.NextRetryTime = &metav1.Time{Time: now.Add(Backoff(retry.Attempts))}
	retry.LastFailure = message
	return retry
}
