// Package validation holds the admission rules for 5-Spot objects that the
// CRD schema cannot express. The validating webhook and `kubectl 5spot
// validate` both call it, so users see the same messages online and offline.
package validation

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/schedule"
)

const (
	// BootstrapGroup is the API group every bootstrap provider uses.
	BootstrapGroup = "bootstrap.cluster.x-k8s.io"
	// InfrastructureGroup is the API group every infrastructure provider uses.
	InfrastructureGroup = "infrastructure.cluster.x-k8s.io"
)

// Options are the operator's choices that admission depends on.
type Options struct {
	// ExtraAPIGroups are API groups allowed for inline bootstrap and
	// infrastructure objects besides the two Cluster API provider groups,
	// for example k0smotron.io.
	ExtraAPIGroups []string
	// Now is the instant "never becomes active" warnings are computed from.
	Now func() time.Time
}

// forbiddenGroups may never be allowed as extra groups: objects of these groups
// are not machine parts, and creating them would escalate privileges.
var forbiddenGroups = sets.New("", "core", "rbac.authorization.k8s.io", "apps", "batch",
	"admissionregistration.k8s.io", "apiextensions.k8s.io", "certificates.k8s.io",
	"cluster.x-k8s.io", "5spot.finos.org")

// forbiddenKinds are core, RBAC and workload kinds an inline spec may never name,
// whatever its group.
var forbiddenKinds = sets.New("Namespace", "Node", "Pod", "Secret", "ConfigMap", "Service",
	"ServiceAccount", "Endpoints", "PersistentVolume", "PersistentVolumeClaim", "Role",
	"ClusterRole", "RoleBinding", "ClusterRoleBinding", "Deployment", "DaemonSet",
	"StatefulSet", "ReplicaSet", "Job", "CronJob", "CustomResourceDefinition",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
	"Machine", "Cluster", "ScheduledMachine")

// reservedMetadataDomains may not be used in machineTemplate labels and
// annotations, nor any of their subdomains.
var reservedMetadataDomains = []string{"cluster.x-k8s.io", "5spot.finos.org", "kubernetes.io", "k8s.io"}

// reservedTaintDomains may not be used as node taint key prefixes, nor any
// of their subdomains (node.kubernetes.io and node-role.kubernetes.io included).
var reservedTaintDomains = []string{"5spot.finos.org", "kubernetes.io"}

// ValidateExtraAPIGroups checks the operator's --extra-api-groups flag.
func ValidateExtraAPIGroups(groups []string) error {
	for _, g := range groups {
		if forbiddenGroups.Has(g) {
			return fmt.Errorf("API group %q cannot be allowed for inline specs", g)
		}
		if errs := utilvalidation.IsDNS1123Subdomain(g); len(errs) > 0 {
			return fmt.Errorf("API group %q is not a DNS subdomain: %s", g, strings.Join(errs, "; "))
		}
	}
	return nil
}

// ValidateScheduledMachine returns every violation of the rules the CRD schema
// does not check, and warnings that do not block admission.
func ValidateScheduledMachine(sm *v1alpha1.ScheduledMachine, opts Options) (field.ErrorList, []string) {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	var warnings []string

	compiled, scheduleErrs := schedule.Compile(sm.Spec.Schedule.EngineSpec(nil), spec.Child("schedule"))
	errs = append(errs, scheduleErrs...)
	if len(scheduleErrs) == 0 && opts.Now != nil && compiled.NeverActive(opts.Now()) {
		warnings = append(warnings, "spec.schedule: the schedule never becomes active within the next 4 years")
	}

	errs = append(errs, validateEmbedded(sm.Spec.BootstrapSpec, spec.Child("bootstrapSpec"), BootstrapGroup, opts.ExtraAPIGroups)...)
	errs = append(errs, validateEmbedded(sm.Spec.InfrastructureSpec, spec.Child("infrastructureSpec"), InfrastructureGroup, opts.ExtraAPIGroups)...)
	if mt := sm.Spec.MachineTemplate; mt != nil {
		errs = append(errs, validateMetadata(mt.Labels, spec.Child("machineTemplate", "labels"), true)...)
		errs = append(errs, validateMetadata(mt.Annotations, spec.Child("machineTemplate", "annotations"), false)...)
	}
	errs = append(errs, validateTaints(sm.Spec.NodeTaints, spec.Child("nodeTaints"))...)
	return errs, warnings
}

// ValidateScheduledMachineUpdate adds the rules that compare old and new.
func ValidateScheduledMachineUpdate(oldSM, newSM *v1alpha1.ScheduledMachine, opts Options) (field.ErrorList, []string) {
	errs, warnings := ValidateScheduledMachine(newSM, opts)
	if oldSM.Spec.ClusterName != newSM.Spec.ClusterName && oldSM.Status.MachineRef != nil {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "clusterName"),
			fmt.Sprintf("cannot change while Machine %q exists for this object; wait until it is Inactive", oldSM.Status.MachineRef.Name)))
	}
	return errs, warnings
}

func validateEmbedded(r v1alpha1.EmbeddedResource, path *field.Path, group string, extra []string) field.ErrorList {
	var errs field.ErrorList
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	switch {
	case err != nil:
		errs = append(errs, field.Invalid(path.Child("apiVersion"), r.APIVersion, "must be <group>/<version>"))
	case gv.Group != group && !slices.Contains(extra, gv.Group):
		allowed := append([]string{group}, extra...)
		errs = append(errs, field.NotSupported(path.Child("apiVersion"), r.APIVersion,
			groupVersions(allowed)))
	}
	if forbiddenKinds.Has(r.Kind) {
		errs = append(errs, field.Forbidden(path.Child("kind"), fmt.Sprintf("%s is a Kubernetes or Cluster API kind, not a provider's machine object", r.Kind)))
	}
	return errs
}

func groupVersions(groups []string) []string {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		out = append(out, g+"/<version>")
	}
	return out
}

func validateMetadata(m map[string]string, path *field.Path, labels bool) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(m) {
		kp := path.Key(k)
		for _, msg := range utilvalidation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(kp, k, msg))
		}
		if d := reservedDomain(k, reservedMetadataDomains); d != "" {
			errs = append(errs, field.Invalid(kp, k, fmt.Sprintf("prefix %q is reserved (%s and its subdomains)", prefixOf(k), d)))
		}
		if labels {
			for _, msg := range utilvalidation.IsValidLabelValue(m[k]) {
				errs = append(errs, field.Invalid(kp, m[k], msg))
			}
		}
	}
	return errs
}

func validateTaints(taints []v1alpha1.NodeTaint, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]int{}
	for i, t := range taints {
		p := path.Index(i)
		for _, msg := range utilvalidation.IsQualifiedName(t.Key) {
			errs = append(errs, field.Invalid(p.Child("key"), t.Key, msg))
		}
		if d := reservedDomain(t.Key, reservedTaintDomains); d != "" {
			errs = append(errs, field.Invalid(p.Child("key"), t.Key, fmt.Sprintf("prefix %q is reserved (%s and its subdomains)", prefixOf(t.Key), d)))
		}
		if t.Value != "" {
			for _, msg := range utilvalidation.IsValidLabelValue(t.Value) {
				errs = append(errs, field.Invalid(p.Child("value"), t.Value, msg))
			}
		}
		id := t.Key + "\x00" + string(t.Effect)
		if j, dup := seen[id]; dup {
			errs = append(errs, field.Duplicate(p, fmt.Sprintf("(%s, %s) already at index %d", t.Key, t.Effect, j)))
		}
		seen[id] = i
	}
	return errs
}

func prefixOf(key string) string {
	if i := strings.LastIndex(key, "/"); i >= 0 {
		return key[:i]
	}
	return ""
}

// reservedDomain returns the reserved domain the key's prefix is, or is a
// subdomain of, or "" when the prefix is free.
func reservedDomain(key string, domains []string) string {
	prefix := prefixOf(key)
	if prefix == "" {
		return ""
	}
	for _, d := range domains {
		if prefix == d || strings.HasSuffix(prefix, "."+d) {
			return d
		}
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
