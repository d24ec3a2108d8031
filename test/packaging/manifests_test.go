package packaging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/5spot-dev/5spot/test/harness"
)

// rendering is one way the kustomize tree reaches a cluster.
type rendering struct {
	name string
	raw  []byte
	objs []unstructured.Unstructured
}

// renderings returns what Tilt applies (config/default) and what clusterctl
// installs (the release's addon-components.yaml).
// Both are rendered once; each test decodes its own copy.
func renderings(t *testing.T) []rendering {
	t.Helper()
	renderOnce.Do(func() {
		defaultRendered = kustomizeBuild(t, "config/default")
		releaseRendered = readFileAbs(t, releaseArtifacts(t)+"/addon-components.yaml")
	})
	if defaultRendered == nil || releaseRendered == nil {
		t.Fatal("rendering the manifests failed in an earlier test")
	}
	return []rendering{
		{name: "config/default", raw: defaultRendered, objs: decodeObjects(t, defaultRendered)},
		{name: "addon-components.yaml", raw: releaseRendered, objs: decodeObjects(t, releaseRendered)},
	}
}

var (
	renderOnce                       sync.Once
	defaultRendered, releaseRendered []byte
)

// clusterScoped are the kinds of our manifests that have no namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true, "ExtensionConfig": true,
}

// verifiedElsewhere are kinds outside client-go's scheme; the clusterctl init
// test creates them against cert-manager's real CRDs.
var verifiedElsewhere = map[string]bool{"cert-manager.io/v1, Kind=Certificate": true, "cert-manager.io/v1, Kind=Issuer": true}

func typedScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	return s
}

// strictInto decodes an object into its Go type, failing on unknown fields
// (a misspelt field would otherwise be dropped silently by the API server).
func strictInto(t *testing.T, u unstructured.Unstructured, into any) {
	t.Helper()
	data, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

func TestRenderedManifestsDecodeStrictlyIntoTheirTypes(t *testing.T) {
	s := typedScheme()
	for _, r := range renderings(t) {
		for _, u := range r.objs {
			gvk := u.GroupVersionKind()
			if verifiedElsewhere[gvk.String()] {
				continue
			}
			obj, err := s.New(gvk)
			if err != nil {
				t.Errorf("%s: %s %s is of a kind nothing verifies: %v", r.name, gvk, u.GetName(), err)
				continue
			}
			strictInto(t, u, obj)
		}
	}
}

func TestOneNamespaceLabelledAsTheAddonProvider(t *testing.T) {
	for _, r := range renderings(t) {
		nss := ofKind(r.objs, "Namespace")
		if len(nss) != 1 {
			t.Fatalf("%s: clusterctl needs exactly one Namespace, found %d", r.name, len(nss))
		}
		if nss[0].GetName() != systemNamespace {
			t.Errorf("%s: Namespace is %q, want %q", r.name, nss[0].GetName(), systemNamespace)
		}
		for _, u := range r.objs {
			if got := u.GetLabels()[providerLabel]; got != providerName {
				t.Errorf("%s: %s %s has %s=%q, want %q", r.name, u.GetKind(), u.GetName(), providerLabel, got, providerName)
			}
			switch {
			case clusterScoped[u.GetKind()] && u.GetNamespace() != "":
				t.Errorf("%s: cluster-scoped %s %s has namespace %q", r.name, u.GetKind(), u.GetName(), u.GetNamespace())
			case !clusterScoped[u.GetKind()] && u.GetNamespace() != systemNamespace:
				t.Errorf("%s: %s %s is in namespace %q, want %q", r.name, u.GetKind(), u.GetName(), u.GetNamespace(), systemNamespace)
			}
		}
	}
}

func TestCRDsMoveWithClusterctlAndDeclareTheContract(t *testing.T) {
	for _, r := range renderings(t) {
		crds := ofKind(r.objs, "CustomResourceDefinition")
		if len(crds) == 0 {
			t.Fatalf("%s: no CRDs", r.name)
		}
		for _, u := range crds {
			var crd apiextensionsv1.CustomResourceDefinition
			strictInto(t, u, &crd)
			if got := crd.Labels["clusterctl.cluster.x-k8s.io/move-hierarchy"]; got != "true" {
				t.Errorf("%s: CRD %s: move-hierarchy label is %q; clusterctl move would leave its objects behind", r.name, crd.Name, got)
			}
			served := map[string]bool{}
			for _, v := range crd.Spec.Versions {
				served[v.Name] = v.Served
			}
			contract := crd.Labels["cluster.x-k8s.io/v1beta2"]
			for _, v := range strings.Split(contract, "_") {
				if !served[v] {
					t.Errorf("%s: CRD %s: contract label names %q, not a served version", r.name, crd.Name, v)
				}
			}
		}
	}
}

func TestEveryGeneratedCRDIsInstalled(t *testing.T) {
	generated, err := harness.ReadCRDDir(filepath.Join(root, "config", "crd", "bases"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range renderings(t) {
		installed := map[string]bool{}
		for _, u := range ofKind(r.objs, "CustomResourceDefinition") {
			installed[u.GetName()] = true
		}
		for _, crd := range generated {
			if !installed[crd.Name] {
				t.Errorf("%s: CRD %s is generated but not installed: add it to config/crd/kustomization.yaml", r.name, crd.Name)
			}
		}
	}
}

// managerDeployment returns the provider's Deployment and its manager container.
func managerDeployment(t *testing.T, objs []unstructured.Unstructured) (*appsv1.Deployment, *corev1.Container) {
	t.Helper()
	deps := ofKind(objs, "Deployment")
	if len(deps) != 1 {
		t.Fatalf("want one Deployment, found %d", len(deps))
	}
	var d appsv1.Deployment
	strictInto(t, deps[0], &d)
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == "manager" {
			return &d, c
		}
	}
	t.Fatalf("Deployment %s has no container named manager (clusterctl and Tilt look for it)", d.Name)
	return nil, nil
}

// argValue returns the value of --name=value in args.
func argValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// portOf returns the container port a bind address such as ":8081" listens on.
func portOf(t *testing.T, c *corev1.Container, bind string) corev1.ContainerPort {
	t.Helper()
	_, port, err := net.SplitHostPort(bind)
	if err != nil {
		t.Fatalf("bind address %q: %v", bind, err)
	}
	for _, p := range c.Ports {
		if fmt.Sprint(p.ContainerPort) == port {
			return p
		}
	}
	t.Fatalf("no container port for %q", bind)
	return corev1.ContainerPort{}
}

func TestManagerRunsLockedDownWithProbesOnItsHealthPort(t *testing.T) {
	for _, r := range renderings(t) {
		d, c := managerDeployment(t, r.objs)
		pod := d.Spec.Template.Spec
		sc := c.SecurityContext
		if sc == nil {
			t.Fatalf("%s: the manager container has no securityContext", r.name)
		}
		nonRoot := (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || (pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot)
		checks := map[string]bool{
			"runs as non-root":               nonRoot,
			"read-only root filesystem":      sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem,
			"no privilege escalation":        sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation,
			"not privileged":                 sc.Privileged == nil || !*sc.Privileged,
			"drops ALL capabilities":         sc.Capabilities != nil && len(sc.Capabilities.Drop) == 1 && sc.Capabilities.Drop[0] == "ALL" && len(sc.Capabilities.Add) == 0,
			"RuntimeDefault seccomp profile": pod.SecurityContext != nil && pod.SecurityContext.SeccompProfile != nil && pod.SecurityContext.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault,
			"no host namespaces":             !pod.HostNetwork && !pod.HostPID && !pod.HostIPC,
		}
		for what, ok := range checks {
			if !ok {
				t.Errorf("%s: manager container: want %s", r.name, what)
			}
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[res]; !ok {
				t.Errorf("%s: manager container has no %s request", r.name, res)
			}
			if _, ok := c.Resources.Limits[res]; !ok {
				t.Errorf("%s: manager container has no %s limit", r.name, res)
			}
		}

		bind, ok := argValue(c.Args, "health-probe-bind-address")
		if !ok {
			t.Fatalf("%s: the manager is not given --health-probe-bind-address", r.name)
		}
		health := portOf(t, c, bind)
		for name, probe := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
			if probe == nil || probe.HTTPGet == nil {
				t.Errorf("%s: no HTTP probe for %s", r.name, name)
				continue
			}
			if probe.HTTPGet.Path != name {
				t.Errorf("%s: probe path %q, want %q", r.name, probe.HTTPGet.Path, name)
			}
			if p := probe.HTTPGet.Port; p != intstr.FromString(health.Name) && p != intstr.FromInt32(health.ContainerPort) {
				t.Errorf("%s: %s probe targets port %s, not the health port %d", r.name, name, p.String(), health.ContainerPort)
			}
		}
		if len(c.Command) != 1 || c.Command[0] != "/manager" {
			t.Errorf("%s: command %v, want [/manager] (the image's binary)", r.name, c.Command)
		}
	}
}

// k8sRef matches Kubernetes' own $(VAR) expansion in args.
var k8sRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

func TestManagerArgsReferenceOnlyDefinedEnv(t *testing.T) {
	for _, r := range renderings(t) {
		_, c := managerDeployment(t, r.objs)
		env := map[string]bool{}
		for _, e := range c.Env {
			env[e.Name] = true
		}
		for _, a := range c.Args {
			for _, m := range k8sRef.FindAllStringSubmatch(a, -1) {
				if !env[m[1]] {
					t.Errorf("%s: arg %q references $(%s), which the container does not define (Kubernetes would pass it literally)", r.name, a, m[1])
				}
			}
		}
	}
}

func TestWebhookServiceCertificateAndDeploymentFitTogether(t *testing.T) {
	for _, r := range renderings(t) {
		d, c := managerDeployment(t, r.objs)
		services := map[string]corev1.Service{}
		for _, u := range ofKind(r.objs, "Service") {
			var s corev1.Service
			strictInto(t, u, &s)
			services[s.Name] = s
			// Every Service must select the manager's pods and reach a named port.
			if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) || len(s.Spec.Selector) == 0 {
				t.Errorf("%s: Service %s does not select the manager's pods", r.name, s.Name)
			}
			for _, p := range s.Spec.Ports {
				if !hasPortNamed(c, p.TargetPort.StrVal) {
					t.Errorf("%s: Service %s targets port %q, which the manager does not expose", r.name, s.Name, p.TargetPort.String())
				}
			}
		}

		certs := map[string]*unstructured.Unstructured{}
		for _, u := range ofKind(r.objs, "Certificate") {
			certs[u.GetNamespace()+"/"+u.GetName()] = &u
		}
		vwcs := ofKind(r.objs, "ValidatingWebhookConfiguration")
		if len(vwcs) == 0 {
			t.Fatalf("%s: no ValidatingWebhookConfiguration", r.name)
		}
		for _, u := range vwcs {
			var vwc admissionv1.ValidatingWebhookConfiguration
			strictInto(t, u, &vwc)
			cert := certs[vwc.Annotations["cert-manager.io/inject-ca-from"]]
			if cert == nil {
				t.Fatalf("%s: %s injects its CA from %q, which is no Certificate here", r.name, vwc.Name, vwc.Annotations["cert-manager.io/inject-ca-from"])
			}
			dnsNames, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
			for _, w := range vwc.Webhooks {
				ref := w.ClientConfig.Service
				if ref == nil {
					t.Errorf("%s: webhook %s is not served by a Service", r.name, w.Name)
					continue
				}
				svc, ok := services[ref.Name]
				if !ok || ref.Namespace != svc.Namespace {
					t.Errorf("%s: webhook %s calls Service %s/%s, which is not in the manifests", r.name, w.Name, ref.Namespace, ref.Name)
				}
				host := ref.Name + "." + ref.Namespace + ".svc"
				if !contains(dnsNames, host) {
					t.Errorf("%s: Certificate %s does not cover %s (dnsNames %v)", r.name, cert.GetName(), host, dnsNames)
				}
			}
			secretName, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
			certDir, _ := argValue(c.Args, "webhook-cert-dir")
			if !mountsSecret(d, c, secretName, certDir) {
				t.Errorf("%s: the manager does not mount the serving certificate Secret %q at --webhook-cert-dir %q", r.name, secretName, certDir)
			}
		}
		if port, _ := argValue(c.Args, "webhook-port"); !hasContainerPort(c, port) {
			t.Errorf("%s: --webhook-port %q is not a container port", r.name, port)
		}
		if bind, _ := argValue(c.Args, "metrics-bind-address"); !hasPortNamed(c, portOf(t, c, bind).Name) {
			t.Errorf("%s: the metrics address %q has no named container port", r.name, bind)
		}
	}
}

func hasPortNamed(c *corev1.Container, name string) bool {
	for _, p := range c.Ports {
		if name != "" && p.Name == name {
			return true
		}
	}
	return false
}

func hasContainerPort(c *corev1.Container, port string) bool {
	for _, p := range c.Ports {
		if fmt.Sprint(p.ContainerPort) == port {
			return true
		}
	}
	return false
}

func mountsSecret(d *appsv1.Deployment, c *corev1.Container, secret, path string) bool {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret == nil || v.Secret.SecretName != secret {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name && m.MountPath == path {
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestReleasePinsTheImageToTheVersion(t *testing.T) {
	for _, r := range renderings(t) {
		_, c := managerDeployment(t, r.objs)
		repo, tag, _ := strings.Cut(c.Image, ":")
		if repo != imageRepository {
			t.Errorf("%s: image %q, want repository %q", r.name, c.Image, imageRepository)
		}
		if r.name == "addon-components.yaml" && tag != releaseVersion {
			t.Errorf("%s: image tag %q, want the release version %q", r.name, tag, releaseVersion)
		}
	}
}

func readFileAbs(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
