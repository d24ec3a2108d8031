package v1alpha1

// Phase is the lifecycle phase of a ScheduledMachine.
// +kubebuilder:validation:Enum=Pending;Provisioning;Active;ShuttingDown;Inactive;Disabled;Terminated;EmergencyRemove;Error
type Phase string

const (
	// PhasePending: evaluating the schedule, nothing created yet.
	PhasePending Phase = "Pending"
	// PhaseProvisioning: Cluster API objects created, the Machine is not yet
	// Running with a Ready Node.
	PhaseProvisioning Phase = "Provisioning"
	// PhaseActive: the Machine is Running and its Node is Ready.
	PhaseActive Phase = "Active"
	// PhaseShuttingDown: the window closed; cordon, grace period, drain, delete.
	PhaseShuttingDown Phase = "ShuttingDown"
	// PhaseInactive: nothing exists; waiting for the next window.
	PhaseInactive Phase = "Inactive"
	// PhaseDisabled: the schedule is disabled; an existing machine stays.
	PhaseDisabled Phase = "Disabled"
	// PhaseTerminated: the kill switch removed the machine.
	PhaseTerminated Phase = "Terminated"
	// PhaseEmergencyRemove: the node asked to be reclaimed; removing at once.
	PhaseEmergencyRemove Phase = "EmergencyRemove"
	// PhaseError: a failure; retrying with backoff while the window is open.
	PhaseError Phase = "Error"
)

// Condition types.
const (
	// ReadyCondition summarises whether the object is where its schedule wants it.
	ReadyCondition = "Ready"
	// ScheduledCondition is True while the schedule (or an override) is active.
	ScheduledCondition = "Scheduled"
	// MachineReadyCondition is True when the Machine is Running and its Node Ready.
	MachineReadyCondition = "MachineReady"
	// ReferencesValidCondition is True when the Cluster and the inline specs resolve.
	ReferencesValidCondition = "ReferencesValid"
	// PreflightChecksPassedCondition is True when a Machine may be created now.
	PreflightChecksPassedCondition = "PreflightChecksPassed"
	// NodeTaintedCondition is True when the requested node taints are applied.
	NodeTaintedCondition = "NodeTainted"
	// DeletingCondition reports the progress of removal.
	DeletingCondition = "Deleting"
	// PausedCondition is True while the Cluster or this object is paused.
	PausedCondition = "Paused"
	// ActivationsFrozenCondition is True while a Cluster upgrade holds new activations.
	ActivationsFrozenCondition = "ActivationsFrozen"
)

// Condition reasons.
const (
	ReasonInSchedule           = "InSchedule"
	ReasonOutOfSchedule        = "OutOfSchedule"
	ReasonOverrideForceOn      = "OverrideForceOn"
	ReasonOverrideForceOff     = "OverrideForceOff"
	ReasonScheduleDisabled     = "ScheduleDisabled"
	ReasonKillSwitch           = "KillSwitch"
	ReasonClusterNotFound      = "ClusterNotFound"
	ReasonClusterPaused        = "ClusterPaused"
	ReasonClusterDeleting      = "ClusterDeleting"
	ReasonControlPlaneNotReady = "ControlPlaneNotInitialized"
	ReasonReferencesResolved   = "ReferencesResolved"
	ReasonMachineRunning       = "MachineRunning"
	ReasonMachineProvisioning  = "MachineProvisioning"
	ReasonNoMachine            = "NoMachine"
	ReasonNodeNotReady         = "NodeNotReady"
	ReasonInfrastructureFailed = "InfrastructureFailed"
	ReasonProvisioningTimeout  = "ProvisioningTimeout"
	ReasonBootstrapNotReady    = "BootstrapNotReady"
	ReasonPreflightPassed      = "PreflightChecksPassed"
	ReasonControlPlaneUnstable = "ControlPlaneUnstable"
	ReasonVersionSkew          = "VersionSkew"
	ReasonTaintsApplied        = "TaintsApplied"
	ReasonTaintOwnership       = "TaintOwnershipConflict"
	ReasonCordoned             = "Cordoned"
	ReasonDraining             = "Draining"
	ReasonWaitingForDeletion   = "WaitingForDeletion"
	ReasonReclaimRequested     = "ReclaimRequested"
	ReasonInvalidInlineSpec    = "InvalidInlineSpec"
	ReasonClusterUpgrading     = "ClusterUpgrading"
	ReasonVersionUpgrade       = "ReplacingForVersionUpgrade"
)

// Labels and annotations 5-Spot writes.
const (
	// ScheduledMachineLabel names the owning ScheduledMachine on the objects 5-Spot creates.
	ScheduledMachineLabel = "5spot.finos.org/scheduled-machine"
	// ReclaimRequestedAnnotation on a workload Node asks 5-Spot to eject the machine at once.
	ReclaimRequestedAnnotation = "5spot.finos.org/reclaim-requested"
	// AppliedTaintsAnnotation on a workload Node records the taints 5-Spot applied.
	AppliedTaintsAnnotation = "5spot.finos.org/applied-taints"
	// Finalizer keeps a ScheduledMachine until its Machine is gone.
	Finalizer = "5spot.finos.org/scheduledmachine"
)
