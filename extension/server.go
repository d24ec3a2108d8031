package extension

import (
	"fmt"

	"k8s.io/utils/ptr"
	runtimecatalog "sigs.k8s.io/cluster-api/api/runtime/catalog"
	runtimehooksv1 "sigs.k8s.io/cluster-api/api/runtime/hooks/v1alpha1"
	"sigs.k8s.io/cluster-api/exp/runtime/server"
)

// HandlerTimeoutSeconds is what the extension declares to CAPI; every
// handler answers from a few reads and at most one patch, well inside it.
const HandlerTimeoutSeconds = 10

// NewServer returns a Runtime SDK server (it is also a controller-runtime
// webhook server, so the admission webhooks can share it) serving h.
func NewServer(opts server.Options, h *Handlers) (*server.Server, error) {
	catalog := runtimecatalog.New()
	if err := runtimehooksv1.AddToCatalog(catalog); err != nil {
		return nil, err
	}
	opts.Catalog = catalog
	srv, err := server.New(opts)
	if err != nil {
		return nil, err
	}
	for _, handler := range []server.ExtensionHandler{
		{Hook: runtimehooksv1.AfterControlPlaneInitialized, Name: "after-control-plane-initialized", HandlerFunc: h.AfterControlPlaneInitialized},
		{Hook: runtimehooksv1.BeforeClusterUpgrade, Name: "before-cluster-upgrade", HandlerFunc: h.BeforeClusterUpgrade},
		{Hook: runtimehooksv1.BeforeControlPlaneUpgrade, Name: "before-control-plane-upgrade", HandlerFunc: h.BeforeControlPlaneUpgrade},
		{Hook: runtimehooksv1.AfterControlPlaneUpgrade, Name: "after-control-plane-upgrade", HandlerFunc: h.AfterControlPlaneUpgrade},
		{Hook: runtimehooksv1.BeforeWorkersUpgrade, Name: "before-workers-upgrade", HandlerFunc: h.BeforeWorkersUpgrade},
		{Hook: runtimehooksv1.AfterWorkersUpgrade, Name: "after-workers-upgrade", HandlerFunc: h.AfterWorkersUpgrade},
		{Hook: runtimehooksv1.AfterClusterUpgrade, Name: "after-cluster-upgrade", HandlerFunc: h.AfterClusterUpgrade},
		{Hook: runtimehooksv1.BeforeClusterDelete, Name: "before-cluster-delete", HandlerFunc: h.BeforeClusterDelete},
	} {
		handler.TimeoutSeconds = ptr.To[int32](HandlerTimeoutSeconds)
		handler.FailurePolicy = ptr.To(runtimehooksv1.FailurePolicyFail)
		if err := srv.AddExtensionHandler(handler); err != nil {
			return nil, fmt.Errorf("registering %s: %w", handler.Name, err)
		}
	}
	return srv, nil
}
