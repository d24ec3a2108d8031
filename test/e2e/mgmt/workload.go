package mgmt

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultKubernetesVersion is the workload clusters' version: the same as
// the management API server's.
const DefaultKubernetesVersion = "v1.36.3"

// inMemoryListenerAnnotation is where CAPD records the listener of an
// in-memory DevCluster. CAPD writes it into the DevCluster's annotations map,
// which is nil (and CAPD panics) unless something set an annotation first:
// CAPD's defaulting webhook normally does, but the plane does not install
// CAPI's webhooks, so the DevCluster is created with the value CAPD would
// write.
const inMemoryListenerAnnotation = "inmemorycluster.infrastructure.cluster.x-k8s.io/listener"

// WorkloadCluster is a Cluster with a one-node kubeadm control plane on
// CAPD's in-memory backend: Cluster + DevCluster + KubeadmControlPlane +
// DevMachineTemplate, all named Name, in Namespace. The in-memory backend
// simulates the machines and serves a fake API server (Nodes, Pods, etcd)
// per cluster on 127.0.0.1.
type WorkloadCluster struct {
	Namespace         string
	Name              string
	KubernetesVersion string // default DefaultKubernetesVersion
}

func (w *WorkloadCluster) version() string {
	if w.KubernetesVersion == "" {
		return DefaultKubernetesVersion
	}
	return w.KubernetesVersion
}

// Objects returns the objects that make up the cluster, in creation order.
func (w *WorkloadCluster) Objects() []client.Object {
	objectMeta := func() metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: w.Namespace, Name: w.Name} }
	cluster := &clusterv1.Cluster{
		ObjectMeta: objectMeta(),
		Spec: clusterv1.ClusterSpec{
			ClusterNetwork: clusterv1.ClusterNetwork{
				Services:      clusterv1.NetworkRanges{CIDRBlocks: []string{"10.128.0.0/12"}},
				Pods:          clusterv1.NetworkRanges{CIDRBlocks: []string{"192.168.0.0/16"}},
				ServiceDomain: "cluster.local",
			},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: infrav1.GroupVersion.Group, Kind: "DevCluster", Name: w.Name,
			},
			ControlPlaneRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: controlplanev1.GroupVersion.Group, Kind: "KubeadmControlPlane", Name: w.Name,
			},
		},
	}
	devCluster := &infrav1.DevCluster{
		ObjectMeta: objectMeta(),
		Spec: infrav1.DevClusterSpec{
			Backend: infrav1.DevClusterBackendSpec{InMemory: &infrav1.InMemoryClusterBackendSpec{}},
		},
	}
	devCluster.Annotations = map[string]string{inMemoryListenerAnnotation: w.Namespace + "/" + w.Name}
	machineTemplate := &infrav1.DevMachineTemplate{
		ObjectMeta: objectMeta(),
		Spec: infrav1.DevMachineTemplateSpec{
			Template: infrav1.DevMachineTemplateResource{Spec: InMemoryDevMachineSpec()},
		},
	}
	controlPlane := &controlplanev1.KubeadmControlPlane{
		ObjectMeta: objectMeta(),
		Spec: controlplanev1.KubeadmControlPlaneSpec{
			Replicas: ptr.To[int32](1),
			Version:  w.version(),
			MachineTemplate: controlplanev1.KubeadmControlPlaneMachineTemplate{
				Spec: controlplanev1.KubeadmControlPlaneMachineTemplateSpec{
					InfrastructureRef: clusterv1.ContractVersionedObjectReference{
						APIGroup: infrav1.GroupVersion.Group, Kind: "DevMachineTemplate", Name: w.Name,
					},
				},
			},
			KubeadmConfigSpec: bootstrapv1.KubeadmConfigSpec{
				ClusterConfiguration: bootstrapv1.ClusterConfiguration{
					APIServer: bootstrapv1.APIServer{CertSANs: []string{"localhost", "127.0.0.1"}},
				},
				InitConfiguration: bootstrapv1.InitConfiguration{NodeRegistration: nodeRegistration()},
				JoinConfiguration: bootstrapv1.JoinConfiguration{NodeRegistration: nodeRegistration()},
			},
		},
	}
	return []client.Object{cluster, devCluster, machineTemplate, controlPlane}
}

// Create creates the cluster's objects.
func (w *WorkloadCluster) Create(ctx context.Context, c client.Client) error {
	for _, obj := range w.Objects() {
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %T %s/%s: %w", obj, w.Namespace, w.Name, err)
		}
	}
	return nil
}

// ControlPlaneInitialized returns nil once CAPI reports the control plane
// initialized and the kubeconfig Secret exists, and otherwise an error that
// says what is still missing (for Eventually and WaitForControlPlane).
func (w *WorkloadCluster) ControlPlaneInitialized(ctx context.Context, c client.Client) error {
	cluster := &clusterv1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: w.Name}, cluster); err != nil {
		return err
	}
	if !ptr.Deref(cluster.Status.Initialization.ControlPlaneInitialized, false) {
		cond := meta.FindStatusCondition(cluster.Status.Conditions, clusterv1.ClusterControlPlaneInitializedCondition)
		if cond == nil {
			return fmt.Errorf("cluster %s/%s: control plane not initialized yet (no %s condition)", w.Namespace, w.Name, clusterv1.ClusterControlPlaneInitializedCondition)
		}
		return fmt.Errorf("cluster %s/%s: control plane not initialized yet: %s: %s", w.Namespace, w.Name, cond.Reason, cond.Message)
	}
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: w.KubeconfigSecretName()}, secret); err != nil {
		return fmt.Errorf("cluster %s/%s: kubeconfig secret: %w", w.Namespace, w.Name, err)
	}
	return nil
}

// WaitForControlPlane polls ControlPlaneInitialized until it succeeds or
// timeout passes, for callers without gomega (the mgmt-plane command).
func (w *WorkloadCluster) WaitForControlPlane(ctx context.Context, c client.Client, timeout time.Duration) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		last = w.ControlPlaneInitialized(ctx, c)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("waiting %s for the control plane of %s/%s: %w", timeout, w.Namespace, w.Name, errors.Join(err, last))
	}
	return nil
}

// KubeconfigSecretName is the Secret where CAPI's kubeadm control plane
// stores the workload cluster's admin kubeconfig (key "value").
func (w *WorkloadCluster) KubeconfigSecretName() string { return w.Name + "-kubeconfig" }

// Client returns a client for the workload cluster's API server (for the
// in-memory backend: CAPD's fake API server on 127.0.0.1), built from the
// kubeconfig Secret, the way CAPI's cluster cache reaches it.
func (w *WorkloadCluster) Client(ctx context.Context, c client.Client, scheme *kruntime.Scheme) (client.Client, error) {
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: w.KubeconfigSecretName()}, secret); err != nil {
		return nil, fmt.Errorf("reading the kubeconfig of cluster %s/%s: %w", w.Namespace, w.Name, err)
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(secret.Data["value"])
	if err != nil {
		return nil, fmt.Errorf("parsing the kubeconfig of cluster %s/%s: %w", w.Namespace, w.Name, err)
	}
	cfg.Timeout = 10 * time.Second
	return client.New(cfg, client.Options{Scheme: scheme})
}

// Endpoint is the workload API server's address (host:port) once CAPD has
// assigned it.
func (w *WorkloadCluster) Endpoint(ctx context.Context, c client.Client) (string, error) {
	cluster := &clusterv1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: w.Name}, cluster); err != nil {
		return "", err
	}
	ep := cluster.Spec.ControlPlaneEndpoint
	if !ep.IsValid() {
		return "", fmt.Errorf("cluster %s/%s has no control plane endpoint yet", w.Namespace, w.Name)
	}
	return ep.String(), nil
}

// Delete deletes the Cluster; CAPI deletes the rest.
func (w *WorkloadCluster) Delete(ctx context.Context, c client.Client) error {
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: w.Namespace, Name: w.Name}}
	if err := c.Delete(ctx, cluster); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

func nodeRegistration() bootstrapv1.NodeRegistrationOptions {
	return bootstrapv1.NodeRegistrationOptions{
		// Only written into the (never run) bootstrap script; the value
		// CAPI's in-memory templates use.
		CRISocket: "unix:///var/run/containerd/containerd.sock",
	}
}

// InMemoryDevMachineSpec is a DevMachine on the in-memory backend that
// provisions at once (no simulated VM, kubelet, etcd or API server start-up
// delay).
func InMemoryDevMachineSpec() infrav1.DevMachineSpec {
	return infrav1.DevMachineSpec{Backend: infrav1.DevMachineBackendSpec{InMemory: &infrav1.InMemoryMachineBackendSpec{}}}
}
