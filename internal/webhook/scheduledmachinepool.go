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

// +kubebuilder:webhook:path=/validate-5spot-finos-org-v1alpha1-scheduledmachinepool,mutating=false,failurePolicy=fail,sideEffects=None,groups=5spot.finos.org,resources=scheduledmachinepools,verbs=create;update,versions=v1alpha1,name=vscheduledmachinepool.5spot.finos.org,admissionReviewVersions=v1

// ScheduledMachinePoolValidator rejects ScheduledMachinePools with the
// ScheduledMachine rules, applied to the template and every schedule entry.
type ScheduledMachinePoolValidator struct {
	Options validation.Options
}

// SetupWithManager registers the validator with the manager's webhook server.
func (v *ScheduledMachinePoolValidator) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &v1alpha1.ScheduledMachinePool{}).WithValidator(v).Complete()
}

var _ admission.Validator[*v1alpha1.ScheduledMachinePool] = &ScheduledMachinePoolValidator{}

// ValidateCreate validates a new ScheduledMachinePool.
func (v *ScheduledMachinePoolValidator) ValidateCreate(_ context.Context, p *v1alpha1.ScheduledMachinePool) (admission.Warnings, error) {
	errs, warnings := validation.ValidateScheduledMachinePool(p, v.Options)
	return warnings, invalidPool(p, errs)
}

// ValidateUpdate validates a changed ScheduledMachinePool. Scale requests
// (kubectl scale, HPA) go through the /scale subresource and are not
// validated here; the schema bounds spec.replicas.
func (v *ScheduledMachinePoolValidator) ValidateUpdate(_ context.Context, oldPool, newPool *v1alpha1.ScheduledMachinePool) (admission.Warnings, error) {
	errs, warnings := validation.ValidateScheduledMachinePoolUpdate(oldPool, newPool, v.Options)
	return warnings, invalidPool(newPool, errs)
}

// ValidateDelete allows every deletion.
func (v *ScheduledMachinePoolValidator) ValidateDelete(context.Context, *v1alpha1.ScheduledMachinePool) (admission.Warnings, error) {
	return nil, nil
}

func invalidPool(p *v1alpha1.ScheduledMachinePool, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(v1alpha1.GroupVersion.WithKind("ScheduledMachinePool").GroupKind(), p.Name, errs)
}
