package lifecycle

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// CreateError is a creation failure the user has to act on: the template
// does not build, the provider (or the API server) refuses what the user
// wrote, or a name is taken by someone else's object. Controllers report it
// with Reason and retry with backoff; a spec change retries at once. Any
// other error from CreateObjects is transient.
type CreateError struct {
	Reason, Message string
}

func (e *CreateError) Error() string { return e.Message }

// ReasonNameConflict is CreateError's reason when a name is taken.
const ReasonNameConflict = "NameConflict"

// CreateObjects builds the objects of one machine and creates them
// idempotently, in order: bootstrap, infrastructure, then the Machine that
// references both. Objects that already exist and belong to the owner (a
// crash half-way, a retried reconcile) are kept as they are.
func CreateObjects(ctx context.Context, c client.Client, t Template, owner Owner, name string, activation int64) error {
	objs, err := Build(t, owner, name, activation)
	if err != nil {
		return &CreateError{Reason: v1alpha1.ReasonInfrastructureFailed, Message: err.Error()}
	}
	for _, step := range []struct {
		obj   client.Object
		field string
	}{{objs.Bootstrap, t.path() + ".bootstrapSpec"}, {objs.Infrastructure, t.path() + ".infrastructureSpec"}, {objs.Machine, "the Machine"}} {
		if err := Ensure(ctx, c, step.obj, owner.GetUID()); err != nil {
			var conflict *ConflictError
			switch {
			case errors.As(err, &conflict):
				return &CreateError{Reason: ReasonNameConflict, Message: err.Error()}
			case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || meta.IsNoMatchError(err) || apierrors.IsNotFound(err):
				return &CreateError{Reason: v1alpha1.ReasonInvalidInlineSpec, Message: fmt.Sprintf("%s was rejected: %v", step.field, err)}
			}
			return err
		}
	}
	return nil
}
