package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ScheduledMachineSpec is what the user asks for: which cluster the machine
// joins, when, and how it is built and removed.
type ScheduledMachineSpec struct {
	// clusterName is the Cluster API Cluster, in the same namespace, that the
	// machine joins. It cannot change while a Machine exists for this object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	ClusterName string `json:"clusterName"`

	// schedule says when the machine should be part of the cluster.
	//
	// It is active at an instant when it is enabled, the instant's local date
	// (in timezone) is not in excludeDates, and any defined form matches: the
	// day/hour form (local weekday in daysOfWeek and local hour in hoursOfDay),
	// the cron mask, or any window. At least one form must be given. An active
	// override wins until it expires.
	//
	// Day/hour and cron forms read local wall-clock time: on a spring-forward
	// day the skipped hour never matches; on a fall-back day the repeated hour
	// matches twice. Windows last their duration of elapsed time; a window
	// start inside a skipped hour opens right after the gap, one in a repeated
	// hour opens once, at its first occurrence.
	// +required
	Schedule ScheduleSpec `json:"schedule"`

	// bootstrapSpec is the inline bootstrap provider object (for example a
	// KubeadmConfig or K0sWorkerConfig) created, in this namespace, when a
	// window opens. Its apiVersion group must be bootstrap.cluster.x-k8s.io or a
	// group the operator allows.
	// +required
	BootstrapSpec EmbeddedResource `json:"bootstrapSpec"`

	// infrastructureSpec is the inline infrastructure provider object (for
	// example a Metal3Machine or RemoteMachine) created, in this namespace, when
	// a window opens. Its apiVersion group must be
	// infrastructure.cluster.x-k8s.io or a group the operator allows.
	// +required
	InfrastructureSpec EmbeddedResource `json:"infrastructureSpec"`

	// machineTemplate holds labels and annotations copied onto the Machine.
	// Keys under cluster.x-k8s.io, 5spot.finos.org, kubernetes.io and k8s.io
	// (and their subdomains) are reserved and rejected.
	// +optional
	MachineTemplate *MachineTemplate `json:"machineTemplate,omitempty"`

	// version is the Kubernetes version of the Machine. Default: the control
	// plane's current version at the time the Machine is created.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$`
	Version string `json:"version,omitempty"`

	// priority orders work when many objects need reconciling at once: higher
	// is reconciled first. 0-255.
	// +optional
	// +kubebuilder:default=50
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=255
	Priority *int32 `json:"priority,omitempty"`

	// gracefulShutdownTimeout is the time between cordoning the Node and
	// starting the drain when a window closes. Go duration, at most 24h.
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

	// killSwitch true removes the machine now, skipping grace and drain
	// (phase Terminated). Setting it back to false returns to normal scheduling.
	// +optional
	// +kubebuilder:default=false
	KillSwitch bool `json:"killSwitch,omitempty"`

	// override temporarily forces the schedule on or off until a given time,
	// for example "wake now for 3h" or "keep off until Monday". It expires by
	// itself.
	// +optional
	Override *ScheduleOverride `json:"override,omitempty"`

	// nodeTaints are applied to the Node once it is Ready. A taint is
	// identified by (key, effect); only taints 5-Spot applied are ever changed
	// or removed.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +listMapKey=effect
	// +kubebuilder:validation:MaxItems=32
	NodeTaints []NodeTaint `json:"nodeTaints,omitempty"`

	// killIfCommands are process names that, when a node agent sees one running
	// on the node, eject the machine at once and disable the schedule
	// (emergency reclaim).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	KillIfCommands []string `json:"killIfCommands,omitempty"`
}

// ScheduleSpec says when the machine is wanted.
//
// The schedule is active at an instant when it is enabled, the instant's local
// date (in timezone) is not excluded, and any defined form matches: the
// day/hour form (local weekday in daysOfWeek and local hour in hoursOfDay), the
// cron mask, or any window. At least one form must be given. An active
// override on the ScheduledMachine wins until it expires.
//
// Day/hour and cron forms read local wall-clock time: on a spring-forward day
// the skipped hour never matches, on a fall-back day the repeated hour matches
// twice. Window durations are elapsed time.
// +kubebuilder:validation:XValidation:rule="(has(self.daysOfWeek) && size(self.daysOfWeek) > 0) || (has(self.hoursOfDay) && size(self.hoursOfDay) > 0) || (has(self.cron) && size(self.cron) > 0) || (has(self.windows) && size(self.windows) > 0)",message="at least one of daysOfWeek, hoursOfDay, cron or windows must be given"
type ScheduleSpec struct {
	// daysOfWeek lists local weekdays: mon, tue, wed, thu, fri, sat, sun;
	// ranges (mon-fri), comma lists (mon-wed,fri) and wrap-around ranges
	// (fri-mon). Lower case. Empty with hoursOfDay set means every day.
	// Membership is by the local calendar day: [fri] with hoursOfDay 22-6 is
	// Friday 00:00-06:59 and 22:00-23:59.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=64
	DaysOfWeek []string `json:"daysOfWeek,omitempty"`

	// hoursOfDay lists local hours 0-23: single hours (9), inclusive ranges
	// (9-17 is 9:00-17:59), comma lists (0-8,18-23) and wrap-around ranges
	// (22-6). Empty with daysOfWeek set means every hour.
	// +optional
	// +kubebuilder:validation:MaxItems=48
	// +kubebuilder:validation:items:MaxLength=64
	HoursOfDay []string `json:"hoursOfDay,omitempty"`

	// cron is a 5-field cron expression (minute hour day-of-month month
	// day-of-week) used as a mask: the schedule is active during every local
	// minute it matches. "* 9-17 * * 1-5" is business hours, "* * * * 0,6" all
	// weekend. When both day-of-month and day-of-week are restricted, either
	// matches (standard cron).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Cron string `json:"cron,omitempty"`

	// windows open at each start and stay open for their duration of elapsed
	// time; they may span days ("0 21 * * 5" with 57h is Friday 21:00 to Monday
	// 06:00).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Windows []ScheduleWindow `json:"windows,omitempty"`

	// excludeDates are local dates (2026-12-25) or inclusive ranges
	// (2026-12-24..2026-12-26) on which the schedule is never active.
	// +optional
	// +kubebuilder:validation:MaxItems=512
	// +kubebuilder:validation:items:MaxLength=22
	ExcludeDates []string `json:"excludeDates,omitempty"`

	// timezone is the IANA time zone the schedule is read in, for example
	// Europe/Berlin.
	// +optional
	// +kubebuilder:default="UTC"
	// +kubebuilder:validation:MaxLength=64
	Timezone string `json:"timezone,omitempty"`

	// enabled false pauses the schedule (phase Disabled): no new activations,
	// an existing machine stays as it is.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`
}

// ScheduleWindow is a window that opens at each start for a duration.
type ScheduleWindow struct {
	// start is a 5-field cron expression in the schedule's time zone. A start
	// inside a spring-forward gap opens at the first instant after the gap; a
	// start in a repeated fall-back hour opens once, at its first occurrence.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Start string `json:"start"`

	// duration is how long the window stays open, as elapsed time (Go
	// duration, for example 3h or 57h).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	Duration string `json:"duration"`
}

// EmbeddedResource is an inline Kubernetes object: apiVersion, kind and spec.
// It is created in the ScheduledMachine's namespace; there is no namespace field.
type EmbeddedResource struct {
	// apiVersion of the object, for example bootstrap.cluster.x-k8s.io/v1beta2.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	APIVersion string `json:"apiVersion"`

	// kind of the object, for example KubeadmConfig.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	Kind string `json:"kind"`

	// spec of the object, as its provider defines it.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Spec runtime.RawExtension `json:"spec,omitempty"`
}

// MachineTemplate holds metadata copied onto the Machine.
type MachineTemplate struct {
	// labels copied onto the Machine.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// annotations copied onto the Machine.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// OverrideMode forces the schedule on or off.
// +kubebuilder:validation:Enum=ForceOn;ForceOff
type OverrideMode string

const (
	// OverrideForceOn keeps the machine in the cluster until the override expires.
	OverrideForceOn OverrideMode = "ForceOn"
	// OverrideForceOff keeps the machine out of the cluster until the override expires.
	OverrideForceOff OverrideMode = "ForceOff"
)

// ScheduleOverride is a temporary decision that expires by itself.
type ScheduleOverride struct {
	// mode is ForceOn or ForceOff.
	// +required
	Mode OverrideMode `json:"mode"`

	// until is when the override expires (RFC 3339); normal scheduling resumes then.
	// +required
	Until metav1.Time `json:"until"`

	// reason says why, for the humans reading status and events.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Reason string `json:"reason,omitempty"`
}

// NodeTaint is a taint 5-Spot applies to the Node once it is Ready.
type NodeTaint struct {
	// key of the taint, a qualified name. Prefixes 5spot.finos.org/,
	// kubernetes.io/, node.kubernetes.io/ and node-role.kubernetes.io/ are reserved.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	Key string `json:"key"`

	// value of the taint.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Value string `json:"value,omitempty"`

	// effect of the taint.
	// +required
	// +kubebuilder:validation:Enum=NoSchedule;PreferNoSchedule;NoExecute
	Effect corev1.TaintEffect `json:"effect"`
}

// ScheduledMachineStatus is what the controller observed and decided.
type ScheduledMachineStatus struct {
	// phase summarises the lifecycle: Pending, Provisioning, Active,
	// ShuttingDown, Inactive, Disabled, Terminated, EmergencyRemove or Error.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// message explains the phase in a sentence.
	// +optional
	// +kubebuilder:validation:MaxLength=10240
	Message string `json:"message,omitempty"`

	// inSchedule is true while the schedule (or an override) says the machine
	// should exist.
	// +optional
	InSchedule bool `json:"inSchedule,omitempty"`

	// nextActivation is the next instant the schedule becomes active, when it
	// is inactive now.
	// +optional
	NextActivation *metav1.Time `json:"nextActivation,omitempty"`

	// nextCleanup is the next instant the schedule becomes inactive, when it is
	// active now.
	// +optional
	NextCleanup *metav1.Time `json:"nextCleanup,omitempty"`

	// lastScheduledTime is when the current or last window opened.
	// +optional
	LastScheduledTime *metav1.Time `json:"lastScheduledTime,omitempty"`

	// observedGeneration is the generation of the spec this status reflects.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// machineRef is the Cluster API Machine of the current activation. Its name
	// is recorded before the Machine is created.
	// +optional
	MachineRef *ObjectReference `json:"machineRef,omitempty"`

	// bootstrapRef is the bootstrap object of the current activation.
	// +optional
	BootstrapRef *ObjectReference `json:"bootstrapRef,omitempty"`

	// infrastructureRef is the infrastructure object of the current activation.
	// +optional
	InfrastructureRef *ObjectReference `json:"infrastructureRef,omitempty"`

	// nodeRef is the Node of the Machine in the workload cluster.
	// +optional
	NodeRef *NodeReference `json:"nodeRef,omitempty"`

	// providerID is the Machine's provider ID.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	ProviderID string `json:"providerID,omitempty"`

	// appliedNodeTaints are the taints 5-Spot applied to the Node.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +listMapKey=effect
	// +kubebuilder:validation:MaxItems=32
	AppliedNodeTaints []NodeTaint `json:"appliedNodeTaints,omitempty"`

	// activation counts the windows this object has acted on; object names of
	// an activation derive from it, so they never collide with leftovers of a
	// previous window.
	// +optional
	Activation int64 `json:"activation,omitempty"`

	// shutdownDeadline is when the grace period of the current shutdown ends;
	// kept so that a restart does not reset it.
	// +optional
	ShutdownDeadline *metav1.Time `json:"shutdownDeadline,omitempty"`

	// provisioningStartTime is when the Machine of the current activation was
	// created; the provisioning timeout counts from it.
	// +optional
	ProvisioningStartTime *metav1.Time `json:"provisioningStartTime,omitempty"`

	// replacing is true while the Machine of the current window is replaced
	// at the control plane's new version after an upgrade (removed first,
	// then created again: a physical machine cannot be doubled).
	// +optional
	Replacing bool `json:"replacing,omitempty"`

	// retry is the backoff state after failures; kept so that restarts keep it.
	// +optional
	Retry *RetryStatus `json:"retry,omitempty"`

	// conditions explain the state: Ready, Scheduled, MachineReady,
	// ReferencesValid, PreflightChecksPassed, NodeTainted, ...
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ObjectReference names an object in the ScheduledMachine's namespace.
type ObjectReference struct {
	// apiVersion of the object.
	// +required
	// +kubebuilder:validation:MaxLength=317
	APIVersion string `json:"apiVersion"`
	// kind of the object.
	// +required
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
	// name of the object.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// NodeReference names a Node in the workload cluster.
type NodeReference struct {
	// name of the Node.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// RetryStatus is the exponential backoff state after failures.
type RetryStatus struct {
	// attempts failed so far in this window.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// nextRetryTime is the earliest time of the next attempt.
	// +optional
	NextRetryTime *metav1.Time `json:"nextRetryTime,omitempty"`
	// reason is the condition reason of the last failure.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Reason string `json:"reason,omitempty"`
	// lastFailure describes the last failure.
	// +optional
	// +kubebuilder:validation:MaxLength=10240
	LastFailure string `json:"lastFailure,omitempty"`
}

// ScheduledMachine adds a machine to a Cluster API cluster while its schedule
// says so, and removes it gracefully when it does not.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=scheduledmachines,scope=Namespaced,shortName=sm,categories=cluster-api
// +kubebuilder:metadata:labels="clusterctl.cluster.x-k8s.io/move-hierarchy=true"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`,description="Lifecycle phase"
// +kubebuilder:printcolumn:name="InSchedule",type=boolean,JSONPath=`.status.inSchedule`,description="Whether the schedule wants the machine now"
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`,description="Cluster API Cluster"
// +kubebuilder:printcolumn:name="NextActivation",type=string,JSONPath=`.status.nextActivation`,description="Next time the schedule becomes active"
// +kubebuilder:printcolumn:name="NextCleanup",type=string,JSONPath=`.status.nextCleanup`,description="Next time the schedule becomes inactive"
// +kubebuilder:printcolumn:name="KillSwitch",type=boolean,JSONPath=`.spec.killSwitch`,description="Kill switch engaged"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ScheduledMachine struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired schedule and machine.
	// +required
	Spec ScheduledMachineSpec `json:"spec"`
	// status is what the controller observed.
	// +optional
	Status ScheduledMachineStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ScheduledMachineList is a list of ScheduledMachines.
type ScheduledMachineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScheduledMachine `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ScheduledMachine{}, &ScheduledMachineList{})
}

// GetConditions returns the conditions, for Cluster API's condition utilities.
func (s *ScheduledMachine) GetConditions() []metav1.Condition { return s.Status.Conditions }

// SetConditions sets the conditions, for Cluster API's condition utilities.
func (s *ScheduledMachine) SetConditions(c []metav1.Condition) { s.Status.Conditions = c }
