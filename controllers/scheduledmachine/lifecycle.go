package scheduledmachine

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// reconcileLifecycle decides, in order of precedence, what happens to the
// Machine: kill switch, Cluster deletion, emergency reclaim, disabled
// schedule, and finally the schedule itself.
func (r *Reconciler) reconcileLifecycle(ctx context.Context, s *scope) error {
	sm := s.sm
	switch {
	case sm.Spec.KillSwitch:
		return r.removeNow(ctx, s, v1alpha1.PhaseTerminated, "the kill switch is engaged: the machine was removed without grace or drain", true)
	case s.clusterDeleting:
		return r.removeNow(ctx, s, v1alpha1.PhaseShuttingDown, fmt.Sprintf("Cluster %s is being deleted: removing the machine now", sm.Spec.ClusterName), false)
	case lifecycle.ReclaimRequested(s.node):
		return r.emergencyRemove(ctx, s)
	case !s.eval.enabled:
		return r.disabled(ctx, s)
	case s.eval.active:
		return r.activate(ctx, s)
	default:
		return r.deactivate(ctx, s)
	}
}

// hasObjects reports whether anything of this ScheduledMachine still exists.
func (s *scope) hasObjects() bool {
	return s.machine != nil || s.bootstrap != nil || s.infra != nil || len(s.leftovers) > 0
}

// clearActivation forgets the current activation once everything is gone.
func clearActivation(sm *v1alpha1.ScheduledMachine) {
	st := &sm.Status
	st.MachineRef, st.BootstrapRef, st.InfrastructureRef = nil, nil, nil
	st.NodeRef, st.ProviderID, st.AppliedNodeTaints = nil, "", nil
	st.ShutdownDeadline, st.ProvisioningStartTime = nil, nil
}

// deleteAll deletes every object of this ScheduledMachine; skipDrain marks
// Machines so that Cluster API does not drain them (kill switch, reclaim).
func (r *Reconciler) deleteAll(ctx context.Context, s *scope, skipDrain bool) error {
	machines := make([]*clusterv1.Machine, 0, len(s.leftovers)+1)
	if s.machine != nil {
		machines = append(machines, s.machine)
	}
	for i := range s.leftovers {
		machines = append(machines, &s.leftovers[i])
	}
	for _, m := range machines {
		if err := lifecycle.DeleteMachine(ctx, r.Client, m, skipDrain); err != nil {
			return err
		}
	}
	// Without a Machine nobody adopted these: delete them ourselves. Their
	// kinds are not watched, so look again now and shortly after.
	if s.machine == nil && (s.bootstrap != nil || s.infra != nil) {
		var err error
		if s.bootstrap, err = lifecycle.DeleteUnadopted(ctx, r.Client, s.bootstrap, s.sm.Status.BootstrapRef, s.sm.Namespace); err != nil {
			return err
		}
		if s.infra, err = lifecycle.DeleteUnadopted(ctx, r.Client, s.infra, s.sm.Status.InfrastructureRef, s.sm.Namespace); err != nil {
			return err
		}
		if s.bootstrap != nil || s.infra != nil {
			s.wake(s.now.Add(5 * time.Second))
		}
	}
	return nil
}

// removeNow deletes everything at once (kill switch, Cluster deletion) and
// reports phase until it is gone.
func (r *Reconciler) removeNow(ctx context.Context, s *scope, phase v1alpha1.Phase, message string, skipDrain bool) error {
	if !s.hasObjects() {
		clearActivation(s.sm)
		if phase != v1alpha1.PhaseTerminated {
			phase = v1alpha1.PhaseInactive
		}
		setPhase(s, phase, message)
		setMachineCondition(s.sm, false, v1alpha1.ReasonNoMachine, "no Machine exists")
		return nil
	}
	if err := r.deleteAll(ctx, s, skipDrain); err != nil {
		return err
	}
	setPhase(s, phase, message)
	r.mirrorDeleting(s)
	return nil
}

// emergencyRemove ejects the machine at once when its node asked to be
// reclaimed. The schedule is disabled first (persisted) so that nothing
// brings the machine back, then the Machine is deleted without drain, then
// the request is cleared from the Node.
func (r *Reconciler) emergencyRemove(ctx context.Context, s *scope) error {
	sm := s.sm
	setPhase(s, v1alpha1.PhaseEmergencyRemove, "the node requested reclaim: the machine is removed now and the schedule is disabled")
	r.mirrorDeleting(s)
	if ptr.Deref(sm.Spec.Schedule.Enabled, true) {
		sm.Spec.Schedule.Enabled = ptr.To(false)
		if err := s.persist(ctx, r.patchClient()); err != nil {
			return err
		}
	}
	if err := r.deleteAll(ctx, s, true); err != nil {
		return err
	}
	if s.workload != nil && s.node != nil {
		if err := lifecycle.ClearReclaim(ctx, s.workload, s.node); err != nil {
			return err
		}
	}
	return nil
}

// disabled leaves an existing machine as it is and creates nothing. An
// emergency removal already under way is seen through to the end.
func (r *Reconciler) disabled(ctx context.Context, s *scope) error {
	if s.sm.Status.Phase == v1alpha1.PhaseEmergencyRemove && s.hasObjects() {
		if err := r.deleteAll(ctx, s, true); err != nil {
			return err
		}
		if s.hasObjects() {
			r.mirrorDeleting(s)
			return nil
		}
	}
	if !s.hasObjects() {
		clearActivation(s.sm)
	}
	r.observeMachine(s)
	setPhase(s, v1alpha1.PhaseDisabled, "the schedule is disabled: no new activations; an existing machine stays")
	return nil
}

// activate makes sure the current activation has a Machine, creating one
// (after the preflight checks) when there is none.
func (r *Reconciler) activate(ctx context.Context, s *scope) error {
	sm := s.sm
	if s.machine != nil && !s.machineState.Deleting && (sm.Status.Replacing || r.outdated(s)) {
		// After a control plane upgrade, CAPI does not upgrade standalone
		// Machines: replace it, removing first (a physical machine cannot be
		// doubled), then creating it again at the new version.
		sm.Status.Replacing = true
		return r.removeGracefully(ctx, s, v1alpha1.ReasonVersionUpgrade,
			fmt.Sprintf("replacing Machine %s (%s) at the control plane's version %s", s.machine.Name, s.machine.Spec.Version, s.controlPlane.Version))
	}
	if sm.Status.Replacing && s.hasObjects() {
		if err := r.deleteAll(ctx, s, false); err != nil {
			return err
		}
		if s.machine != nil || len(s.leftovers) > 0 || s.bootstrap != nil || s.infra != nil {
			setPhase(s, v1alpha1.PhaseShuttingDown, "replacing the Machine at the new version: waiting for the old one to be gone")
			r.mirrorDeleting(s)
			return nil
		}
	}
	if sm.Status.Replacing && sm.Status.MachineRef != nil {
		clearActivation(sm) // the old one is gone: the replacement gets new names
	}
	if s.machine != nil && !s.machineState.Deleting {
		if sm.Status.ShutdownDeadline != nil {
			// The window reopened before the Machine was deleted: keep it.
			if s.workload != nil && s.node != nil {
				if err := lifecycle.Uncordon(ctx, s.workload, s.node); err != nil {
					return err
				}
			}
			sm.Status.ShutdownDeadline = nil
		}
		return r.trackMachine(ctx, s)
	}
	if retry := sm.Status.Retry; retry != nil && retry.NextRetryTime != nil && s.now.Before(retry.NextRetryTime.Time) {
		setPhase(s, v1alpha1.PhaseError, fmt.Sprintf("retrying at %s after: %s", retry.NextRetryTime.UTC().Format(time.RFC3339), retry.LastFailure))
		// Re-assert the cause: a reconcile that read a stale object may
		// have written an older MachineReady condition over it.
		setMachineCondition(sm, false, retry.Reason, retry.LastFailure)
		s.wake(retry.NextRetryTime.Time)
		return nil
	}
	if s.frozen != "" && !sm.Status.Replacing {
		setPhase(s, v1alpha1.PhasePending, fmt.Sprintf("the Cluster is upgrading (%s): activation waits until it is done", s.frozen))
		return nil
	}
	if !s.controlPlane.Initialized {
		setCondition(sm, v1alpha1.PreflightChecksPassedCondition, false, v1alpha1.ReasonControlPlaneNotReady,
			fmt.Sprintf("waiting for the control plane of Cluster %s to be initialized", sm.Spec.ClusterName))
		setPhase(s, v1alpha1.PhasePending, "waiting for the control plane to be initialized")
		return nil
	}
	tmpl := r.template(s)
	pre := lifecycle.Preflight(s.controlPlane, tmpl.Version, sm.Spec.BootstrapSpec.APIVersion, sm.Spec.BootstrapSpec.Kind)
	setCondition(sm, v1alpha1.PreflightChecksPassedCondition, pre.OK, pre.Reason, pre.Message)
	if !pre.OK {
		setPhase(s, v1alpha1.PhasePending, "preflight checks failed: "+pre.Message)
		s.wake(s.now.Add(30 * time.Second))
		return nil
	}

	// Names are chosen per activation and recorded before anything is
	// created: a crash half-way resumes with the same names, and objects of
	// an earlier activation still being deleted never collide.
	if sm.Status.MachineRef == nil || s.machineState.Deleting || deleting(s.bootstrap) || deleting(s.infra) {
		sm.Status.Activation++
		name := lifecycle.ActivationName(sm.Name, sm.Status.Activation)
		sm.Status.BootstrapRef, sm.Status.InfrastructureRef, sm.Status.MachineRef = lifecycle.Refs(tmpl, name)
		sm.Status.NodeRef, sm.Status.ProviderID, sm.Status.AppliedNodeTaints = nil, "", nil
		sm.Status.ProvisioningStartTime = nil
		if err := s.persist(ctx, r.patchClient()); err != nil {
			return err
		}
	}
	if err := lifecycle.CreateObjects(ctx, r.Client, tmpl, owner(sm), sm.Status.MachineRef.Name, sm.Status.Activation); err != nil {
		// The template, the provider or a name taken by someone else stops
		// creation: say so and retry with backoff; a spec change triggers a
		// new attempt at once.
		var failure *lifecycle.CreateError
		if errors.As(err, &failure) {
			return r.fail(ctx, s, failure.Reason, failure.Message)
		}
		return err
	}
	if sm.Status.ProvisioningStartTime == nil {
		sm.Status.ProvisioningStartTime = &metav1.Time{Time: s.now}
	}
	sm.Status.Replacing = false
	setPhase(s, v1alpha1.PhaseProvisioning, fmt.Sprintf("created Machine %s", sm.Status.MachineRef.Name))
	setMachineCondition(sm, false, v1alpha1.ReasonMachineProvisioning, "the Machine was created and is being provisioned")
	s.wake(sm.Status.ProvisioningStartTime.Add(r.ProvisioningTimeout))
	return nil
}

// outdated reports whether the Machine follows the control plane's version
// (no spec.version) and the control plane, now stable, runs another one.
func (r *Reconciler) outdated(s *scope) bool {
	return lifecycle.Outdated(s.sm.Spec.Version, s.controlPlane, s.machine.Spec.Version)
}

func deleting(o *unstructured.Unstructured) bool {
	return o != nil && !o.GetDeletionTimestamp().IsZero()
}

// template is what the Machine is made of; the version defaults to the
// control plane's current version (CAPI never upgrades standalone Machines).
func (r *Reconciler) template(s *scope) lifecycle.Template {
	sm := s.sm
	v := sm.Spec.Version
	if v == "" {
		v = s.controlPlane.Version
	}
	return lifecycle.Template{
		ClusterName: sm.Spec.ClusterName, BootstrapSpec: sm.Spec.BootstrapSpec,
		InfrastructureSpec: sm.Spec.InfrastructureSpec, MachineTemplate: sm.Spec.MachineTemplate,
		Version: v, NodeDrainTimeout: sm.Spec.NodeDrainTimeout,
	}
}

func owner(sm *v1alpha1.ScheduledMachine) lifecycle.Owner {
	return lifecycle.Owner{Object: sm, GVK: v1alpha1.GroupVersion.WithKind("ScheduledMachine"),
		LabelKey: v1alpha1.ScheduledMachineLabel, LabelValue: sm.Name}
}
