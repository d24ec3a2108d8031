package lifecycle

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// ConflictError means an object with the chosen name exists but belongs to
// someone else; 5-Spot never takes it over.
type ConflictError struct {
	Kind, Namespace, Name string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %s/%s already exists and is not owned by this object; rename or delete it", e.Kind, e.Namespace, e.Name)
}

// Ensure creates obj. When an object of that name already exists and carries
// an owner reference to ownerUID (a crash half-way, a retried reconcile), it
// is adopted as it is: AlreadyExists for our own object is not an error.
func Ensure(ctx context.Context, c client.Client, obj client.Object, ownerUID types.UID) error {
	err := c.Create(ctx, obj)
	if err == nil || !apierrors.IsAlreadyExists(err) {
		return err
	}
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
	if existing.GetKind() == "" {
		existing.SetGroupVersionKind(clusterv1.GroupVersion.WithKind("Machine"))
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), existing); err != nil {
		return err
	}
	if !HasOwner(existing, ownerUID) {
		return &ConflictError{Kind: existing.GetKind(), Namespace: existing.GetNamespace(), Name: existing.GetName()}
	}
	return nil
}

// HasOwner reports whether obj has an owner reference to uid.
func HasOwner(obj metav1.Object, uid types.UID) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.UID == uid {
			return true
		}
	}
	return false
}

// RefObject returns an empty object addressed by a status reference.
func RefObject(ref *v1alpha1.ObjectReference, namespace string) (*unstructured.Unstructured, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gv.WithKind(ref.Kind))
	u.SetNamespace(namespace)
	u.SetName(ref.Name)
	return u, nil
}

// GetRef reads the object a status reference names; nil when it does not exist.
func GetRef(ctx context.Context, c client.Reader, ref *v1alpha1.ObjectReference, namespace string) (*unstructured.Unstructured, error) {
	if ref == nil {
		return nil, nil
	}
	u, err := RefObject(ref, namespace)
	if err != nil {
		return nil, err
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return u, nil
}

// DeleteIfPresent deletes obj unless it is already gone or going.
func DeleteIfPresent(ctx context.Context, c client.Client, obj client.Object) error {
	if obj == nil || !obj.GetDeletionTimestamp().IsZero() {
		return nil
	}
	if err := c.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
