package mgmt

import (
	kruntime "k8s.io/apimachinery/pkg/runtime"
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"

	"github.com/5spot-dev/5spot/test/harness"
)

// NewScheme returns the harness's scheme (Kubernetes, CAPI core, kubeadm
// bootstrap and control plane, 5-Spot) plus CAPD's Dev* types and the
// Runtime SDK's ExtensionConfig.
func NewScheme() *kruntime.Scheme {
	s := harness.NewScheme()
	for _, add := range []func(*kruntime.Scheme) error{infrav1.AddToScheme, runtimev1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}
