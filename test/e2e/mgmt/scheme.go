package mgmt

import (
	kruntime "k8s.io/apimachinery/pkg/runtime"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"

	"github.com/5spot-dev/5spot/test/harness"
)

// NewScheme returns the harness's scheme (Kubernetes, CAPI core, kubeadm
// bootstrap and control plane, 5-Spot) plus CAPD's Dev* types.
func NewScheme() *kruntime.Scheme {
	s := harness.NewScheme()
	if err := infrav1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}
