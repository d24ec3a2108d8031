package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ScheduledMachinePoolSpec asks for a number of interchangeable scheduled
// machines: a baseline, raised by schedule entries while they are active.
type ScheduledMachinePoolSpec struct {
	// clusterName is the Cluster API Cluster, in the same namespace, that the
	// machines join. It cannot change while the pool has Machines.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	ClusterName string `json:"clusterName"`

	// template is what every machine of the pool is made of. Each Machine
	// gets its own bootstrap and infrastructure objects built from it.
	// Changing bootstrapSpec, infrastructureSpec, machineTemplate, version or
	// nodeDrainTimeout rolls the Machines, at most maxUnavailable at a time;
	// nodeTaints and gracefulShutdownTimeout apply without a roll.
	// +required
	Template ScheduledMachineTemplate `json:"template"`

	// replicas is the baseline: the number of machines outside every
	// schedule entry, and the floor while entries are active. It is the
	// /scale subresource's replica count, so kubectl scale, an HPA or KEDA
	// set it.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas *int32 `json:"replicas,omitempty"`

	// schedules raise the desired number of machines while they are active.
	// The desired count is the largest of replicas and the replicas of every
	// active entry ("10 on weekdays 9-17" with replicas 2 is 10 during
	// business hours and 2 otherwise). Entry names are unique.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Schedules []PoolSchedule `json:"schedules,omitempty"`

	// deletePolicy chooses which Machines go first when the desired count
	// drops: Newest (default), Oldest, or NotReadyFirst (Machines that are
	// not Running with a Ready Node, then the newest). Machines without a
	// Machine object yet, those marked with cluster.x-k8s.io/delete-machine
	// and those of an outdated template always go before the rest.
	// +optional
	// +kubebuilder:default=Newest
	DeletePolicy PoolDeletePolicy `json:"deletePolicy,omitempty"`

	// override temporarily sets the desired count until a given time, for
	// example "full capacity now for 3h" or "baseline only until Monday". It
	// expires by itself. With replicas set, the desired count is exactly
	// that; without, ForceOn means the largest of replicas and every enabled
	// entry's replicas (peak capacity) and ForceOff means the baseline
	// (spec.replicas: every entry off).
	// +optional
	Override *PoolOverride `json:"override,omitempty"`

	// maxUnavailable bounds a template roll: at most this many of the
	// desired Machines are missing or not Ready because of the roll at any
	// time. Outdated Machines are removed gracefully first, then replaced
	// (a physical machine cannot be doubled).
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxUnavailable *int32 `json:"maxUnavailable,omitempty"`
}

// ScheduledMachineTemplate is what one machine of a pool is made of; the
// fields mean what they mean on a ScheduledMachine.
type ScheduledMachineTemplate struct {
	// bootstrapSpec is the inline bootstrap provider object (for example a
	// KubeadmConfig) created, in this namespace, for each Machine. Its
	// apiVersion group must be bootstrap.cluster.x-k8s.io or a group the
	// operator allows.
	// +required
	BootstrapSpec EmbeddedResource `json:"bootstrapSpec"`

	// infrastructureSpec is the inline infrastructure provider object (for
	// example a Metal3Machine) created, in this namespace, for each Machine.
	// Its apiVersion group must be infrastructure.cluster.x-k8s.io or a group
	// the operator allows.
	// +required
	InfrastructureSpec EmbeddedResource `json:"infrastructureSpec"`

	// machineTemplate holds labels and annotations copied onto every Machine.
	// Keys under cluster.x-k8s.io, 5spot.finos.org, kubernetes.io and k8s.io
	// (and their subdomains) are reserved and rejected.
	// +optional
	MachineTemplate *MachineTemplate `json:"machineTemplate,omitempty"`

	// version is the Kubernetes version of the Machines. Default: the control
	// plane's current version when a Machine is created; after a control
	// plane upgrade the Machines are rolled to the new version.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$`
	Version string `json:"version,omitempty"`

	// nodeTaints are applied to each Node once it is Ready. A taint is
	// identified by (key, effect); only taints 5-Spot applied are ever changed
	// or removed.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +listMapKey=effect
	// +kubebuilder:validation:MaxItems=32
	NodeTaints []NodeTaint `json:"nodeTaints,omitempty"`

	// gracefulShutdownTimeout is the time between cordoning a Node and
	// deleting its Machine when the pool shrinks or rolls. Go duration, at
	// most 24h.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+(\\\\.[0-9]*)?|\\\\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$')",message="must be a Go duration such as 90s, 5m or 1h30m"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0|(([0-9]+(\\\\.[0-9]*)?|\\\\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$') || duration(self) <= duration('24h')",message="must be at most 24h"
	GracefulShutdownTimeout *metav1.Duration `json:"gracefulShutdownTimeout,omitempty"`

	// nodeDrainTimeout is passed to Cluster API's drain
	// (Machine spec.deletion.nodeDrainTimeoutSeconds). Go duration, at most 24h.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:XValidation:rule="self.matches('^(0|(([0-9]+(\\\\.[0-9]*)?|\\\\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$')",message="must be a Go duration such as 90s, 5m or 1h30m"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^(0|(([0-9]+(\\\\.[0-9]*)?|\\\\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$') || duration(self) <= duration('24h')",message="must be at most 24h"
	NodeDrainTimeout *metav1.Duration `json:"nodeDrainTimeout,omitempty"`
}

// PoolSchedule is one schedule entry of a pool: while schedule is active, the
// pool has at least replicas machines.
type PoolSchedule struct {
	// name identifies the entry in status (activeSchedules) and events.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// schedule says when the entry is active, exactly as on a
	// ScheduledMachine: day/hour form, cron mask, windows, excludeDates,
	// timezone and enabled.
	// +required
	Schedule ScheduleSpec `json:"schedule"`

	// replicas is the number of machines the pool has at least while the
	// entry is active.
	// +required
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas int32 `json:"replicas"`
}

// PoolDeletePolicy chooses the Machines removed first when a pool shrinks.
// +kubebuilder:validation:Enum=Newest;Oldest;NotReadyFirst
type PoolDeletePolicy string

const (
	// DeleteNewest removes the most recently created Machines first.
	DeleteNewest PoolDeletePolicy = "Newest"
	// DeleteOldest removes the longest-running Machines first.
	DeleteOldest PoolDeletePolicy = "Oldest"
	// DeleteNotReadyFirst removes Machines that are not Running with a Ready
	// Node first, then the newest.
	DeleteNotReadyFirst PoolDeletePolicy = "NotReadyFirst"
)

// PoolOverride is a temporary desired count that expires by itself.
type PoolOverride struct {
	// mode, until and reason as on a ScheduledMachine.
	ScheduleOverride `json:",inline"`

	// replicas, when set, is the desired count while the override is in
	// force. Without it ForceOn is peak capacity (the largest of
	// spec.replicas and every enabled entry's replicas) and ForceOff is the
	// baseline (spec.replicas).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas *int32 `json:"replicas,omitempty"`
}

// ScheduledMachinePoolStatus is what the controller observed and decided.
type ScheduledMachinePoolStatus struct {
	// replicas is the number of the pool's Machines that exist, including
	// those being removed.
	// +optional
	Replicas int32 `json:"replicas"`

	// readyReplicas is the number of Machines Running with a Ready Node.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`

	// availableReplicas is the number of ready Machines that are not being
	// removed (not cordoned for a scale-down or a roll).
	// +optional
	AvailableReplicas int32 `json:"availableReplicas"`

	// desiredReplicas is the count the schedule entries, the baseline and
	// the override ask for now.
	// +optional
	DesiredReplicas int32 `json:"desiredReplicas"`

	// upToDateReplicas is the number of Machines built from the current
	// template and control plane version.
	// +optional
	UpToDateReplicas int32 `json:"upToDateReplicas"`

	// selector selects the pool's Machines (label selector string), for the
	// /scale subresource.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Selector string `json:"selector,omitempty"`

	// activeSchedules are the names of the schedule entries active at the
	// last reconcile. The controller wakes when the desired count changes,
	// not when an entry opens or closes without changing it, so such an
	// entry may show here until the next change.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=63
	ActiveSchedules []string `json:"activeSchedules,omitempty"`

	// activeSchedule lists activeSchedules comma-separated ("-" when none),
	// for kubectl get.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ActiveSchedule string `json:"activeSchedule,omitempty"`

	// nextChange is the next instant the desired count changes, and the
	// count from then on; absent when it does not change within 4 years.
	// +optional
	NextChange *PoolChange `json:"nextChange,omitempty"`

	// machineCounter numbers the pool's Machines; a Machine's objects are
	// named <pool>-<counter>. It is recorded before the objects are created,
	// so a crash half-way never produces a duplicate.
	// +optional
	MachineCounter int64 `json:"machineCounter,omitempty"`

	// machines are the pool's machine slots: the Machine each one has now
	// and where it is in its lifecycle. Its per-machine deadlines and backoff
	// are kept here so that a restart keeps them.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=2000
	Machines []PoolMachine `json:"machines,omitempty"`

	// observedGeneration is the generation of the spec this status reflects.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions explain the state: Ready, Scheduled, ReferencesValid,
	// PreflightChecksPassed, MachinesReady, MachinesUpToDate, NodeTainted,
	// Paused, ActivationsFrozen, Deleting.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// PoolChange is a change of the desired count.
type PoolChange struct {
	// time the desired count changes.
	// +required
	Time metav1.Time `json:"time"`
	// replicas is the desired count from time on.
	// +required
	Replicas int32 `json:"replicas"`
}

// PoolMachine is one machine slot of a pool.
type PoolMachine struct {
	// name of the slot's Machine and of its bootstrap and infrastructure
	// objects (<pool>-<counter>). Recorded before they are created.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// phase of the machine: Pending (waiting to be created), Provisioning,
	// Active, ShuttingDown (removed gracefully) or Error (backoff).
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// message explains the phase in a sentence.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`

	// replacing is true while the Machine is removed to be created again
	// from the current template or version (a roll, or the retry after a
	// failure): the slot stays, its next Machine gets a new name.
	// +optional
	Replacing bool `json:"replacing,omitempty"`

	// nodeRef is the Machine's Node in the workload cluster.
	// +optional
	NodeRef *NodeReference `json:"nodeRef,omitempty"`

	// provisioningStartTime is when the Machine was created; the
	// provisioning timeout counts from it.
	// +optional
	ProvisioningStartTime *metav1.Time `json:"provisioningStartTime,omitempty"`

	// shutdownDeadline is when the grace period of the removal ends.
	// +optional
	ShutdownDeadline *metav1.Time `json:"shutdownDeadline,omitempty"`

	// retry is the backoff after failures of this slot.
	// +optional
	Retry *RetryStatus `json:"retry,omitempty"`
}

// ScheduledMachinePool keeps a number of interchangeable scheduled machines
// in a Cluster API cluster: a baseline, raised by schedule entries while they
// are active, removed gracefully when they close.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:path=scheduledmachinepools,scope=Namespaced,shortName=smp,categories=cluster-api
// +kubebuilder:metadata:labels="clusterctl.cluster.x-k8s.io/move-hierarchy=true"
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`,description="Cluster API Cluster"
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredReplicas`,description="Machines the schedule wants now"
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.status.replicas`,description="Machines that exist"
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`,description="Machines Running with a Ready Node"
// +kubebuilder:printcolumn:name="Active schedule",type=string,JSONPath=`.status.activeSchedule`,description="Schedule entries active now"
// +kubebuilder:printcolumn:name="Next change",type=string,JSONPath=`.status.nextChange.time`,description="Next time the desired count changes"
// +kubebuilder:printcolumn:name="Next replicas",type=integer,JSONPath=`.status.nextChange.replicas`,description="Desired count after the next change",priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScheduledMachinePool struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the template, baseline and schedule entries.
	// +required
	Spec ScheduledMachinePoolSpec `json:"spec"`
	// status is what the controller observed.
	// +optional
	Status ScheduledMachinePoolStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ScheduledMachinePoolList is a list of ScheduledMachinePools.
type ScheduledMachinePoolList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScheduledMachinePool `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScheduledMachinePool{}, &ScheduledMachinePoolList{})
}

// GetConditions returns the conditions, for Cluster API's condition utilities.
func (p *ScheduledMachinePool) GetConditions() []metav1.Condition { return p.Status.Conditions }

// SetConditions sets the conditions, for Cluster API's condition utilities.
func (p *ScheduledMachinePool) SetConditions(c []metav1.Condition) { p.Status.Conditions = c }

// Pool condition types, besides the ScheduledMachine ones they share
// (Ready, Scheduled, ReferencesValid, PreflightChecksPassed, NodeTainted,
// Paused, ActivationsFrozen, Deleting).
const (
	// MachinesReadyCondition is True when every desired Machine is Running
	// with a Ready Node.
	MachinesReadyCondition = "MachinesReady"
	// MachinesUpToDateCondition is True when every Machine is built from the
	// current template and control plane version.
	MachinesUpToDateCondition = "MachinesUpToDate"
)

// Pool condition reasons.
const (
	// ReasonBaseline: no entry raises the count; the pool runs its baseline.
	ReasonBaseline = "Baseline"
	// ReasonScalingUp and ReasonScalingDown name Events of a changed desired count.
	ReasonScalingUp   = "ScalingUp"
	ReasonScalingDown = "ScalingDown"
	// ReasonMachinesFailing: some Machines failed and wait for their retry.
	ReasonMachinesFailing = "MachinesFailing"
	// ReasonAllMachinesReady: every desired Machine is Running with a Ready Node.
	ReasonAllMachinesReady = "AllMachinesReady"
	// ReasonMachinesNotReady: fewer ready Machines than desired.
	ReasonMachinesNotReady = "MachinesNotReady"
	// ReasonRollingOut: Machines are replaced to follow the template or version.
	ReasonRollingOut = "RollingOut"
	// ReasonUpToDate: every Machine follows the current template and version.
	ReasonUpToDate = "UpToDate"
	// ReasonInvalidSchedules: a schedule entry does not compile (stored
	// before admission checked it); the pool is reported, not acted on.
	ReasonInvalidSchedules = "InvalidSchedule"
)

// Labels 5-Spot writes on a pool's objects.
const (
	// ScheduledMachinePoolLabel names the owning ScheduledMachinePool on the
	// objects 5-Spot creates for it; status.selector selects on it.
	ScheduledMachinePoolLabel = "5spot.finos.org/scheduled-machine-pool"
	// TemplateHashLabel on a pool's Machine identifies the template it was
	// built from, so a template change finds the Machines to roll.
	TemplateHashLabel = "5spot.finos.org/template-hash"
	// PoolFinalizer keeps a ScheduledMachinePool until its Machines are gone.
	PoolFinalizer = "5spot.finos.org/scheduledmachinepool"
)
