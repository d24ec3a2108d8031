// Package lifecycle holds the machine-level operations both 5-Spot
// controllers share: building the bootstrap, infrastructure and Machine
// objects of one activation, creating them idempotently, talking to the Node
// in the workload cluster, and the preflight checks a MachineSet would run.
package lifecycle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// ActivationAnnotation records which activation of its owner created an object.
const ActivationAnnotation = "5spot.finos.org/activation"

// Template is what one scheduled machine is made of.
type Template struct {
	ClusterName        string
	BootstrapSpec      v1alpha1.EmbeddedResource
	InfrastructureSpec v1alpha1.EmbeddedResource
	MachineTemplate    *v1alpha1.MachineTemplate
	// Version is the Kubernetes version the Machine is created at (already
	// resolved: spec.version or the control plane's version).
	Version          string
	NodeDrainTimeout *metav1.Duration
	// Labels are 5-Spot's own extra labels for the Machine (a pool's
	// template hash), applied over machineTemplate's.
	Labels map[string]string
	// SpecPath is where the template sits in its owner's manifest, for
	// error messages: "spec" (a ScheduledMachine, the default) or
	// "spec.template" (a pool).
	SpecPath string
}

func (t Template) path() string {
	if t.SpecPath == "" {
		return "spec"
	}
	return t.SpecPath
}

// Owner identifies the 5-Spot object the created objects belong to.
type Owner struct {
	metav1.Object
	GVK schema.GroupVersionKind
	// LabelKey and LabelValue select every Machine of this owner.
	LabelKey, LabelValue string
}

// Objects are the three objects of one activation.
type Objects struct {
	Bootstrap      *unstructured.Unstructured
	Infrastructure *unstructured.Unstructured
	Machine        *clusterv1.Machine
}

// maxNameLength keeps names usable as Node host names (DNS labels).
const maxNameLength = 63

// ActivationName returns the deterministic name of an activation's objects:
// "<base>-<activation>", shortened with a hash when too long. Names differ per
// activation, so a leftover of the previous window never collides.
func ActivationName(base string, activation int64) string {
	suffix := "-" + strconv.FormatInt(activation, 10)
	if len(base)+len(suffix) <= maxNameLength {
		return base + suffix
	}
	sum := sha256.Sum256([]byte(base))
	hash := hex.EncodeToString(sum[:])[:8]
	keep := maxNameLength - len(suffix) - len(hash) - 1
	return base[:keep] + "-" + hash + suffix
}

// Refs returns the status references of an activation's objects.
func Refs(t Template, name string) (bootstrap, infrastructure, machine *v1alpha1.ObjectReference) {
	return &v1alpha1.ObjectReference{APIVersion: t.BootstrapSpec.APIVersion, Kind: t.BootstrapSpec.Kind, Name: name},
		&v1alpha1.ObjectReference{APIVersion: t.InfrastructureSpec.APIVersion, Kind: t.InfrastructureSpec.Kind, Name: name},
		&v1alpha1.ObjectReference{APIVersion: clusterv1.GroupVersion.String(), Kind: "Machine", Name: name}
}

// Build returns the objects of one activation. The Machine has the owner as
// its controller; the bootstrap and infrastructure objects carry a
// non-controller owner reference so that Cluster API's Machine controller can
// adopt them as their controller and delete them with the Machine.
func Build(t Template, owner Owner, name string, activation int64) (*Objects, error) {
	labels := map[string]string{clusterv1.ClusterNameLabel: t.ClusterName, owner.LabelKey: owner.LabelValue}
	annotations := map[string]string{ActivationAnnotation: strconv.FormatInt(activation, 10)}
	ownerRef := metav1.OwnerReference{
		APIVersion: owner.GVK.GroupVersion().String(), Kind: owner.GVK.Kind,
		Name: owner.GetName(), UID: owner.GetUID(),
	}

	bootstrap, err := embedded(t.BootstrapSpec, name, owner.GetNamespace(), labels, annotations, ownerRef)
	if err != nil {
		return nil, fmt.Errorf("%s.bootstrapSpec: %w", t.path(), err)
	}
	infra, err := embedded(t.InfrastructureSpec, name, owner.GetNamespace(), labels, annotations, ownerRef)
	if err != nil {
		return nil, fmt.Errorf("%s.infrastructureSpec: %w", t.path(), err)
	}

	machineLabels := map[string]string{}
	machineAnnotations := map[string]string{}
	if mt := t.MachineTemplate; mt != nil {
		for k, v := range mt.Labels {
			machineLabels[k] = v
		}
		for k, v := range mt.Annotations {
			machineAnnotations[k] = v
		}
	}
	for k, v := range t.Labels {
		machineLabels[k] = v
	}
	for k, v := range labels {
		machineLabels[k] = v
	}
	for k, v := range annotations {
		machineAnnotations[k] = v
	}
	controllerRef := ownerRef
	controllerRef.Controller = ptr.To(true)
	controllerRef.BlockOwnerDeletion = ptr.To(true)

	machine := &clusterv1.Machine{
		TypeMeta: metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: "Machine"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: owner.GetNamespace(),
			Labels: machineLabels, Annotations: machineAnnotations,
			OwnerReferences: []metav1.OwnerReference{controllerRef},
		},
		Spec: clusterv1.MachineSpec{
			ClusterName: t.ClusterName,
			Version:     t.Version,
			Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: bootstrap.GroupVersionKind().Group, Kind: bootstrap.GetKind(), Name: name,
			}},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: infra.GroupVersionKind().Group, Kind: infra.GetKind(), Name: name,
			},
		},
	}
	if t.NodeDrainTimeout != nil {
		machine.Spec.Deletion.NodeDrainTimeoutSeconds = ptr.To(int32(t.NodeDrainTimeout.Duration / time.Second))
	}
	return &Objects{Bootstrap: bootstrap, Infrastructure: infra, Machine: machine}, nil
}

func embedded(r v1alpha1.EmbeddedResource, name, namespace string, labels, annotations map[string]string, owner metav1.OwnerReference) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(r.APIVersion)
	u.SetKind(r.Kind)
	u.SetName(name)
	u.SetNamespace(namespace)
	u.SetLabels(copyMap(labels))
	u.SetAnnotations(copyMap(annotations))
	u.SetOwnerReferences([]metav1.OwnerReference{owner})
	if len(r.Spec.Raw) > 0 {
		spec := map[string]any{}
		if err := json.Unmarshal(r.Spec.Raw, &spec); err != nil {
			return nil, fmt.Errorf("spec is not a JSON object: %w", err)
		}
		u.Object["spec"] = spec
	}
	return u, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
