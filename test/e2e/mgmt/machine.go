package mgmt

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"
)

// WorkerMachine is a standalone worker: a KubeadmConfig with a
// JoinConfiguration, an in-memory DevMachine and the cluster.x-k8s.io Machine
// that references both, all named Name (the shape of what 5-Spot creates for
// a ScheduledMachine).
type WorkerMachine struct {
	Namespace   string
	Name        string
	ClusterName string
	Version     string // default DefaultKubernetesVersion
}

// KubeadmJoinConfigSpec is the spec of a worker's KubeadmConfig.
func KubeadmJoinConfigSpec() bootstrapv1.KubeadmConfigSpec {
	return bootstrapv1.KubeadmConfigSpec{JoinConfiguration: bootstrapv1.JoinConfiguration{NodeRegistration: nodeRegistration()}}
}

// Objects returns the bootstrap config, the infrastructure machine and the
// Machine, in creation order.
func (m *WorkerMachine) Objects() (*bootstrapv1.KubeadmConfig, *infrav1.DevMachine, *clusterv1.Machine) {
	version := m.Version
	if version == "" {
		version = DefaultKubernetesVersion
	}
	objectMeta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Namespace: m.Namespace,
			Name:      m.Name,
			Labels:    map[string]string{clusterv1.ClusterNameLabel: m.ClusterName},
		}
	}
	config := &bootstrapv1.KubeadmConfig{ObjectMeta: objectMeta(), Spec: KubeadmJoinConfigSpec()}
	devMachine := &infrav1.DevMachine{ObjectMeta: objectMeta(), Spec: InMemoryDevMachineSpec()}
	machine := &clusterv1.Machine{
		ObjectMeta: objectMeta(),
		Spec: clusterv1.MachineSpec{
			ClusterName: m.ClusterName,
			Version:     version,
			Bootstrap: clusterv1.Bootstrap{ConfigRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: bootstrapv1.GroupVersion.Group, Kind: "KubeadmConfig", Name: m.Name,
			}},
			InfrastructureRef: clusterv1.ContractVersionedObjectReference{
				APIGroup: infrav1.GroupVersion.Group, Kind: "DevMachine", Name: m.Name,
			},
		},
	}
	return config, devMachine, machine
}

// String names the machine in messages.
func (m *WorkerMachine) String() string { return fmt.Sprintf("%s/%s", m.Namespace, m.Name) }
