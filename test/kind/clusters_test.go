package kind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"

	"github.com/5spot-dev/5spot/test/harness"
)

// kindCluster is a kind cluster the suite created.
type kindCluster struct {
	provider *cluster.Provider
	name     string
}

func (k *kindCluster) delete() {
	if err := k.provider.Delete(k.name, ""); err != nil {
		logf("deleting kind cluster %s: %v", k.name, err)
	}
}

// createManagementCluster creates the kind management cluster with the
// Docker socket mounted (CAPD creates the workload machines through it) and
// loads the manager image into its nodes, as `kind load docker-image` does.
func createManagementCluster(image string) (*kindCluster, error) {
	provider := cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindcmd.NewLogger()))
	k := &kindCluster{provider: provider, name: managementCluster}
	suite.kubeconfig = filepath.Join(suite.work, "management.kubeconfig")
	cfg := &v1alpha4.Cluster{
		TypeMeta: v1alpha4.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Nodes: []v1alpha4.Node{{
			Role:        v1alpha4.ControlPlaneRole,
			ExtraMounts: []v1alpha4.Mount{{HostPath: "/var/run/docker.sock", ContainerPath: "/var/run/docker.sock"}},
		}},
	}
	logf("creating kind cluster %s", managementCluster)
	if err := provider.Create(managementCluster,
		cluster.CreateWithV1Alpha4Config(cfg),
		cluster.CreateWithKubeconfigPath(suite.kubeconfig),
		cluster.CreateWithWaitForReady(5*time.Minute),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	); err != nil {
		return nil, fmt.Errorf("creating kind cluster %s: %w", managementCluster, err)
	}

	archive := filepath.Join(suite.work, "manager-image.tar")
	if out, err := exec.Command("docker", "save", "-o", archive, image).CombinedOutput(); err != nil {
		return k, fmt.Errorf("docker save %s: %v: %s", image, err, out)
	}
	nodes, err := provider.ListInternalNodes(managementCluster)
	if err != nil {
		return k, err
	}
	for _, n := range nodes {
		f, err := os.Open(archive)
		if err != nil {
			return k, err
		}
		err = nodeutils.LoadImageArchive(n, f)
		f.Close()
		if err != nil {
			return k, fmt.Errorf("loading %s into node %s: %w", image, n, err)
		}
	}
	return k, nil
}

// initManagementCluster installs Cluster API's released core, kubeadm and
// docker providers and 5-Spot from the local repository, and waits for
// their controllers.
func initManagementCluster(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	_, err := clusterctlRun(ctx, "init",
		"--core", "cluster-api:"+capiVersion,
		"--bootstrap", "kubeadm:"+capiVersion,
		"--control-plane", "kubeadm:"+capiVersion,
		"--infrastructure", "docker:"+capiVersion,
		"--addon", "5spot:"+fiveSpotVersion,
		"--wait-providers", "--wait-provider-timeout", "900")
	return err
}

const cniLabel = "e2e.5spot.finos.org/cni"

// createWorkloadCluster creates a CAPD cluster from CAPD's "development"
// (ClusterClass) template with one control plane machine and no workers,
// installs kindnet into it with a ClusterResourceSet (so the host never
// talks to the workload API server), and waits until its control plane is
// initialized. The returned function deletes the cluster and CAPD's
// containers.
func createWorkloadCluster(ctx context.Context) (func(), error) {
	manifests, err := clusterctlRun(ctx, "generate", "cluster", workloadCluster,
		"--flavor", "development", "--infrastructure", "docker:"+capiVersion,
		"--kubernetes-version", kubernetesVersion, "--control-plane-machine-count", "1",
		"--worker-machine-count", "0", "--target-namespace", testNamespace)
	if err != nil {
		return nil, err
	}
	objs, err := decode(manifests)
	if err != nil {
		return nil, err
	}
	cni, err := kindnetResources()
	if err != nil {
		return nil, err
	}
	for i := range objs {
		if objs[i].GetKind() == "Cluster" {
			objs[i].SetLabels(map[string]string{cniLabel: "kindnet"})
		}
	}
	cleanup := func() { deleteWorkloadCluster(context.Background()) }
	if err := createAll(ctx, append(cni, objs...)); err != nil {
		return cleanup, err
	}

	logf("waiting for the control plane of %s", workloadCluster)
	err = poll(ctx, 15*time.Minute, func(ctx context.Context) error {
		var c clusterv1.Cluster
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: testNamespace, Name: workloadCluster}, &c); err != nil {
			return err
		}
		if !ptr.Deref(c.Status.Initialization.ControlPlaneInitialized, false) {
			return fmt.Errorf("%w: control plane not initialized (phase %s)", errNotYet, c.Status.Phase)
		}
		return nil
	})
	return cleanup, err
}

// kindnetResources returns kindnet's manifest, from CAPI's own e2e data, in a
// ConfigMap with the ClusterResourceSet that applies it to labelled clusters.
func kindnetResources() ([]unstructured.Unstructured, error) {
	dir, err := harness.ModuleDir("sigs.k8s.io/cluster-api/test", capiVersion)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "e2e", "data", "cni", "kindnet", "kindnet.yaml"))
	if err != nil {
		return nil, err
	}
	// The template's pod CIDR, IPv4 only.
	const podSubnet = `'${DOCKER_POD_CIDRS},${DOCKER_POD_IPV6_CIDRS}'`
	if !strings.Contains(string(data), podSubnet) {
		return nil, fmt.Errorf("kindnet.yaml of CAPI %s no longer sets POD_SUBNET from %s", capiVersion, podSubnet)
	}
	manifest := strings.ReplaceAll(string(data), podSubnet, `'192.168.0.0/16'`)
	cm := corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "kindnet", Namespace: testNamespace},
		Data:       map[string]string{"kindnet.yaml": manifest},
	}
	cmObj, err := runtimeToUnstructured(&cm)
	if err != nil {
		return nil, err
	}
	crs := unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "addons.cluster.x-k8s.io/v1beta2",
		"kind":       "ClusterResourceSet",
		"metadata":   map[string]any{"name": "kindnet", "namespace": testNamespace},
		"spec": map[string]any{
			"strategy":        "ApplyOnce",
			"clusterSelector": map[string]any{"matchLabels": map[string]any{cniLabel: "kindnet"}},
			"resources":       []any{map[string]any{"kind": "ConfigMap", "name": "kindnet"}},
		},
	}}
	return []unstructured.Unstructured{*cmObj, crs}, nil
}

// deleteWorkloadCluster deletes the Cluster and waits for CAPI to remove
// its machines; whatever is left (a failed run) goes with kind's delete,
// since CAPD labels its containers as kind does.
func deleteWorkloadCluster(ctx context.Context) {
	c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: workloadCluster}}
	if err := suite.client.Delete(ctx, c); err != nil && !apierrors.IsNotFound(err) {
		logf("deleting Cluster %s: %v", workloadCluster, err)
	}
	err := poll(ctx, 10*time.Minute, func(ctx context.Context) error {
		err := suite.client.Get(ctx, client.ObjectKeyFromObject(c), c)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("%w: Cluster %s still exists", errNotYet, workloadCluster)
	})
	if err != nil {
		logf("%v", err)
	}
	(&kindCluster{provider: cluster.NewProvider(cluster.ProviderWithDocker()), name: workloadCluster}).delete()
}

// createAll creates objects in order, retrying while webhooks that clusterctl
// just installed are not serving yet; objects that exist are left as they are.
func createAll(ctx context.Context, objs []unstructured.Unstructured) error {
	for i := range objs {
		obj := &objs[i]
		err := poll(ctx, 3*time.Minute, func(ctx context.Context) error {
			err := suite.client.Create(ctx, obj.DeepCopy())
			if err == nil || apierrors.IsAlreadyExists(err) {
				return nil
			}
			return fmt.Errorf("%w: creating %s %s: %v", errNotYet, obj.GetKind(), obj.GetName(), err)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// poll calls check every 10 s until it returns nil or timeout passes; the
// last reason for waiting is in the error.
func poll(ctx context.Context, timeout time.Duration, check func(context.Context) error) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 10*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		last = check(ctx)
		if last != nil {
			logf("%v", last)
		}
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%w (last: %v)", err, last)
	}
	return nil
}

func decode(manifests string) ([]unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	var objs []unstructured.Unstructured
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}
