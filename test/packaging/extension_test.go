package packaging

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
)

// The Runtime SDK registration must reach the manager that serves the hooks:
// the Service, port and CA secret it names are the ones the components install.
func TestExtensionConfigPointsAtTheManagersWebhookServiceAndCertificate(t *testing.T) {
	objs := decodeObjects(t, kustomizeBuild(t, "config/extension"))
	if len(objs) != 1 || objs[0].GetKind() != "ExtensionConfig" {
		t.Fatalf("config/extension must hold exactly one ExtensionConfig, got %d objects", len(objs))
	}
	var ec runtimev1.ExtensionConfig
	strictInto(t, objs[0], &ec)
	if ec.Namespace != "" {
		t.Errorf("ExtensionConfig is cluster-scoped; it has namespace %q", ec.Namespace)
	}
	if ec.Spec.NamespaceSelector == nil {
		t.Errorf("namespaceSelector must be set: without CAPI's webhooks an unset selector matches no namespace")
	}

	components := renderings(t)[1].objs // what clusterctl installs
	svcRef := ec.Spec.ClientConfig.Service
	var svc *corev1.Service
	for _, u := range ofKind(components, "Service") {
		var s corev1.Service
		strictInto(t, u, &s)
		if s.Name == svcRef.Name && s.Namespace == svcRef.Namespace {
			svc = &s
		}
	}
	if svc == nil {
		t.Fatalf("the ExtensionConfig calls Service %s/%s, which the components do not install", svcRef.Namespace, svcRef.Name)
	}
	port := int32(443)
	if svcRef.Port != nil {
		port = *svcRef.Port
	}
	found := false
	for _, p := range svc.Spec.Ports {
		found = found || p.Port == port
	}
	if !found {
		t.Errorf("Service %s has no port %d", svc.Name, port)
	}

	ns, secret, _ := strings.Cut(ec.Annotations["runtime.cluster.x-k8s.io/inject-ca-from-secret"], "/")
	certOK := false
	for _, u := range ofKind(components, "Certificate") {
		name, _, _ := unstructured.NestedString(u.Object, "spec", "secretName")
		certOK = certOK || (u.GetNamespace() == ns && name == secret)
	}
	if !certOK {
		t.Errorf("the CA is injected from %s/%s, which no Certificate of the components writes", ns, secret)
	}
}
