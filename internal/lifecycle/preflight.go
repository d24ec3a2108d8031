package lifecycle

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/external"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// ControlPlane is what 5-Spot needs to know about a Cluster's control plane.
type ControlPlane struct {
	// Version is the control plane's current version (status.version, else
	// spec.version, else the topology version); empty when unknown.
	Version string
	// Initialized reports whether the Cluster's control plane is initialized.
	Initialized bool
	// Provisioning: the control plane is being created.
	Provisioning bool
	// Upgrading: the control plane rolls to a new version.
	Upgrading bool
}

// ReadControlPlane reads the Cluster's control plane through its contract.
func ReadControlPlane(ctx context.Context, c client.Reader, cluster *clusterv1.Cluster) (ControlPlane, error) {
	cp := ControlPlane{
		Initialized: ptr.Deref(cluster.Status.Initialization.ControlPlaneInitialized, false),
		Version:     cluster.Spec.Topology.Version,
	}
	if !cluster.Spec.ControlPlaneRef.IsDefined() {
		return cp, nil
	}
	obj, err := external.GetObjectFromContractVersionedRef(ctx, c, cluster.Spec.ControlPlaneRef, cluster.Namespace)
	if err != nil {
		return cp, fmt.Errorf("reading the control plane of Cluster %s/%s: %w", cluster.Namespace, cluster.Name, err)
	}
	specVersion, _, _ := unstructured.NestedString(obj.Object, "spec", "version")
	statusVersion, _, _ := unstructured.NestedString(obj.Object, "status", "version")
	switch {
	case statusVersion != "":
		cp.Version = statusVersion
	case specVersion != "":
		cp.Version = specVersion
	}
	cp.Provisioning = statusVersion == "" || !cp.Initialized
	cp.Upgrading = statusVersion != "" && specVersion != "" && specVersion != statusVersion
	return cp, nil
}

// PreflightResult says whether a Machine may be created now, and why not.
type PreflightResult struct {
	OK      bool
	Reason  string
	Message string
}

// Preflight runs the checks a MachineSet runs before creating Machines: the
// control plane is stable (not provisioning, not upgrading), and the
// Machine's version is not newer than the control plane's minor nor more
// than three minors older; kubeadm joins need the same minor.
func Preflight(cp ControlPlane, machineVersion, bootstrapAPIVersion, bootstrapKind string) PreflightResult {
	switch {
	case cp.Provisioning:
		return PreflightResult{Reason: v1alpha1.ReasonControlPlaneUnstable, Message: "the control plane is still being provisioned"}
	case cp.Upgrading:
		return PreflightResult{Reason: v1alpha1.ReasonControlPlaneUnstable, Message: "the control plane is being upgraded"}
	}
	if machineVersion == "" || cp.Version == "" {
		return PreflightResult{OK: true, Reason: v1alpha1.ReasonPreflightPassed}
	}
	mv, err := version.ParseGeneric(machineVersion)
	if err != nil {
		return PreflightResult{Reason: v1alpha1.ReasonVersionSkew, Message: fmt.Sprintf("version %q is not a Kubernetes version", machineVersion)}
	}
	cv, err := version.ParseGeneric(cp.Version)
	if err != nil {
		return PreflightResult{OK: true, Reason: v1alpha1.ReasonPreflightPassed}
	}
	kubeadm := bootstrapKind == "KubeadmConfig" && groupOf(bootstrapAPIVersion) == "bootstrap.cluster.x-k8s.io"
	switch {
	case mv.Major() != cv.Major() || mv.Minor() > cv.Minor():
		return PreflightResult{Reason: v1alpha1.ReasonVersionSkew, Message: fmt.Sprintf("version %s is newer than the control plane's %s", machineVersion, cp.Version)}
	case cv.Minor()-mv.Minor() > 3:
		return PreflightResult{Reason: v1alpha1.ReasonVersionSkew, Message: fmt.Sprintf("version %s is more than 3 minor versions older than the control plane's %s", machineVersion, cp.Version)}
	case kubeadm && mv.Minor() != cv.Minor():
		return PreflightResult{Reason: v1alpha1.ReasonVersionSkew, Message: fmt.Sprintf("kubeadm joins need the control plane's minor version: %s vs %s", machineVersion, cp.Version)}
	}
	return PreflightResult{OK: true, Reason: v1alpha1.ReasonPreflightPassed}
}

func groupOf(apiVersion string) string {
	for i := 0; i < len(apiVersion); i++ {
		if apiVersion[i] == '/' {
			return apiVersion[:i]
		}
	}
	return ""
}
