package validation

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/schedule"
)

// ValidateScheduledMachinePool applies the ScheduledMachine rules to a pool,
// field by field: every entry's schedule under spec.schedules[i].schedule,
// the machine parts under spec.template. Entry names must be unique (the
// schema's list map says so too; direct callers get the same answer).
func ValidateScheduledMachinePool(p *v1alpha1.ScheduledMachinePool, opts Options) (field.ErrorList, []string) {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	var warnings []string

	seen := map[string]int{}
	for i, e := range p.Spec.Schedules {
		path := spec.Child("schedules").Index(i)
		if j, dup := seen[e.Name]; dup {
			errs = append(errs, field.Duplicate(path.Child("name"), fmt.Sprintf("%s (already the name of spec.schedules[%d])", e.Name, j)))
		}
		seen[e.Name] = i
		compiled, scheduleErrs := schedule.Compile(e.Schedule.EngineSpec(nil), path.Child("schedule"))
		errs = append(errs, scheduleErrs...)
		if len(scheduleErrs) == 0 && opts.Now != nil && compiled.NeverActive(opts.Now()) {
			warnings = append(warnings, fmt.Sprintf("%s: schedule %s never becomes active within the next 4 years", path.Child("schedule"), e.Name))
		}
	}

	t := p.Spec.Template
	tp := spec.Child("template")
	errs = append(errs, validateEmbedded(t.BootstrapSpec, tp.Child("bootstrapSpec"), BootstrapGroup, opts.ExtraAPIGroups)...)
	errs = append(errs, validateEmbedded(t.InfrastructureSpec, tp.Child("infrastructureSpec"), InfrastructureGroup, opts.ExtraAPIGroups)...)
	if mt := t.MachineTemplate; mt != nil {
		errs = append(errs, validateMetadata(mt.Labels, tp.Child("machineTemplate", "labels"), true)...)
		errs = append(errs, validateMetadata(mt.Annotations, tp.Child("machineTemplate", "annotations"), false)...)
	}
	errs = append(errs, validateTaints(t.NodeTaints, tp.Child("nodeTaints"))...)
	return errs, warnings
}

// ValidateScheduledMachinePoolUpdate adds the rules that compare old and new:
// the pool cannot move to another Cluster while it has Machines.
func ValidateScheduledMachinePoolUpdate(oldPool, newPool *v1alpha1.ScheduledMachinePool, opts Options) (field.ErrorList, []string) {
	errs, warnings := ValidateScheduledMachinePool(newPool, opts)
	if oldPool.Spec.ClusterName != newPool.Spec.ClusterName && len(oldPool.Status.Machines) > 0 {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "clusterName"),
			fmt.Sprintf("cannot change while the pool has %d Machines (for example %q); scale it to 0 and wait until they are gone",
				len(oldPool.Status.Machines), oldPool.Status.Machines[0].Name)))
	}
	return errs, warnings
}
