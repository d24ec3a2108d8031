package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/5spot-dev/5spot/test/harness"
)

const (
	capiVersion = harness.CAPIVersion
	// certManagerVersion is the cert-manager clusterctl v1.14.2 installs
	// (CertManagerDefaultVersion); its CRDs stand for an externally
	// provisioned cert-manager.
	certManagerVersion = "v1.21.1"
)

type apiServer struct {
	client     client.Client
	clientset  kubernetes.Interface
	kubeconfig string
}

// startAPIServer starts an empty kube-apiserver and etcd (envtest binaries
// from hack/envtest-binaries.sh) with only cert-manager's CRDs, so that
// clusterctl installs everything else itself.
func startAPIServer(t *testing.T) *apiServer {
	t.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run the tests with `make test` (hack/envtest-binaries.sh builds the API server)")
	}
	dir, err := harness.ModuleDir("github.com/cert-manager/cert-manager", certManagerVersion)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := harness.ReadCRDDir(filepath.Join(dir, "deploy", "crds"))
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{CRDs: crds, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting the API server: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the API server: %v", err)
		}
	})
	user, err := env.AddUser(envtest.User{Name: "clusterctl-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: typedScheme()})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &apiServer{client: c, clientset: cs, kubeconfig: path}
}

// finishNamespaceDeletion does for a deleted, empty namespace what
// kube-controller-manager's namespace controller would (envtest runs none):
// it clears the namespace's finalizers so that the namespace goes away.
func (api *apiServer) finishNamespaceDeletion(t *testing.T, name string) {
	t.Helper()
	ns, err := api.clientset.CoreV1().Namespaces().Get(t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if ns.DeletionTimestamp == nil {
		t.Fatalf("namespace %s was left behind, not deleted", name)
	}
	ns.Spec.Finalizers = nil
	if _, err := api.clientset.CoreV1().Namespaces().Finalize(t.Context(), ns, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("finalizing namespace %s: %v", name, err)
	}
	if _, err := api.clientset.CoreV1().Namespaces().Get(t.Context(), name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace %s still exists after finalization: %v", name, err)
	}
}

// coreCAPIRelease builds the core provider's components the way CAPI's
// release does (kustomize build core/config/default), from the module the
// product depends on, with the module's own metadata.yaml.
func coreCAPIRelease(t *testing.T) repoProvider {
	t.Helper()
	dir, err := harness.ModuleDir("sigs.k8s.io/cluster-api", capiVersion)
	if err != nil {
		t.Fatal(err)
	}
	return repoProvider{
		name: "cluster-api", typ: "CoreProvider", label: "cluster-api", version: capiVersion,
		componentsFile: "core-components.yaml",
		components:     kustomizeBuild(t, filepath.Join(dir, "core", "config", "default")),
		metadata:       readFileAbs(t, filepath.Join(dir, "metadata.yaml")),
	}
}

func TestCertManagerVersionIsTheOneClusterctlInstalls(t *testing.T) {
	dir, err := harness.ModuleDir("sigs.k8s.io/cluster-api", capiVersion)
	if err != nil {
		t.Fatal(err)
	}
	src := string(readFileAbs(t, filepath.Join(dir, "cmd", "clusterctl", "client", "config", "cert_manager_client.go")))
	if !strings.Contains(src, `CertManagerDefaultVersion = "`+certManagerVersion+`"`) {
		t.Errorf("clusterctl %s no longer installs cert-manager %s: update certManagerVersion", capiVersion, certManagerVersion)
	}
}

func clientKey(u unstructured.Unstructured) client.ObjectKey {
	return client.ObjectKey{Namespace: u.GetNamespace(), Name: u.GetName()}
}

func clientKeyOf(namespace, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: namespace, Name: name}
}
