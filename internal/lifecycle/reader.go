package lifecycle

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// LiveReads returns c with Get served by reader (the manager's API reader).
// Controllers read their own object uncached and give this client to
// Cluster API's patch helper, whose conflict retries read the object again:
// both reads then see the same, current object, instead of a cached one
// that may be older than the controller's last write.
func LiveReads(c client.Client, reader client.Reader) client.Client {
	if reader == nil {
		return c
	}
	return liveReads{Client: c, reader: reader}
}

type liveReads struct {
	client.Client
	reader client.Reader
}

func (l liveReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return l.reader.Get(ctx, key, obj, opts...)
}
