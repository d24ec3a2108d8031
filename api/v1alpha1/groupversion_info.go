// Package v1alpha1 holds the 5spot.finos.org/v1alpha1 API: ScheduledMachine,
// a machine that joins a Cluster API cluster while its schedule says so.
//
// +kubebuilder:object:generate=true
// +groupName=5spot.finos.org
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "5spot.finos.org", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this API with a scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this API to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
