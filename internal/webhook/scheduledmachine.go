// Package webhook serves 5-Spot's admission webhooks. The rules themselves live
// in internal/validation; this package adapts them to controller-runtime.
package webhook

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/validation"
)

// +kubebuilder:webhook:path=/validate-5spot-finos-org-v1alpha1-scheduledmachine,mutating=false,failurePolicy=fail,sideEffects=None,groups=5spot.finos.org,resources=scheduledmachines,verbs=create;update,versions=v1alpha1,name=vscheduledmachine.5spot.finos.org,admissionReviewVersions=v1

// ScheduledMachineValidator rejects ScheduledMachines that the CRD schema lets
// through but that could never work, naming every violation.
type ScheduledMachineValidator struct {
	Options validation.Options
}

// SetupWithManager registers the validator with the manager's webhook server.
func (v *ScheduledMachineValidator) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &v1alpha1.ScheduledMachine{}).WithValidator(v).Complete()
}

var _ admission.Validator[*v1alpha1.ScheduledMachine] = &ScheduledMachineValidator{}

// ValidateCreate validates a new ScheduledMachine.
func (v *ScheduledMachineValidator) ValidateCreate(_ context.Context, sm *v1alpha1.ScheduledMachine) (admission.Warnings, error) {
	errs, warnings := validation.ValidateScheduledMachine(sm, v.Options)
	return warnings, invalid(sm, errs)
}

// ValidateUpdate validates a changed ScheduledMachine. A spec that was valid
// stays valid; nothing already running is lost by a rejected update.
func (v *ScheduledMachineValidator) ValidateUpdate(_ context.Context, oldSM, newSM *v1alpha1.ScheduledMachine) (admission.Warnings, error) {
	errs, warnings := validation.ValidateScheduledMachineUpdate(oldSM, newSM, v.Options)
	return warnings, invalid(newSM, errs)
}

// ValidateDelete allows every deletion.
func (v *ScheduledMachineValidator) ValidateDelete(context.Context, *v1alpha1.ScheduledMachine) (admission.Warnings, error) {
	return nil, nil
}

func invalid(sm *v1alpha1.ScheduledMachine, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(v1alpha1.GroupVersion.WithKind("ScheduledMachine").GroupKind(), sm.Name, errs)
}
