// Package harness starts a real kube-apiserver and etcd (controller-runtime's
// envtest, with binaries built by hack/envtest-binaries.sh) with 5-Spot's CRDs,
// the Cluster API CRDs and 5-Spot's admission webhooks served by 5-Spot's own
// code, and hands tests a client. Every integration test uses it.
package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/validation"
	fivespotwebhook "github.com/5spot-dev/5spot/internal/webhook"
)

// Options change what the harness starts.
type Options struct {
	// Validation is given to 5-Spot's admission webhook.
	Validation validation.Options
	// WithoutCAPI skips the Cluster API CRDs (faster start for API-only tests).
	WithoutCAPI bool
	// Setup, when set, is called with the manager before it starts, so a
	// test can add controllers to the manager that serves the webhooks.
	Setup func(ctrl.Manager) error
}

// Env is a running API server with 5-Spot installed.
type Env struct {
	Config  *rest.Config
	Client  client.Client
	Scheme  *kruntime.Scheme
	Manager ctrl.Manager

	env    *envtest.Environment
	cancel context.CancelFunc
	done   chan error
}

// NewScheme returns a scheme with the Kubernetes, Cluster API and 5-Spot types.
func NewScheme() *kruntime.Scheme {
	s := kruntime.NewScheme()
	for _, add := range []func(*kruntime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, clusterv1.AddToScheme,
		bootstrapv1.AddToScheme, controlplanev1.AddToScheme, v1alpha1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// RepoRoot is the folder of 5-Spot's go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Start brings up the API server, installs the CRDs and webhooks, starts the
// webhook server and returns once admission works. Call Stop when done.
func Start(opts Options) (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run the tests with `make test` (hack/envtest-binaries.sh builds the API server)")
	}
	root := RepoRoot()
	crds, err := ReadCRDDir(filepath.Join(root, "config", "crd", "bases"))
	if err != nil {
		return nil, err
	}
	if !opts.WithoutCAPI {
		capi, err := LoadCRDs(CAPICRDs)
		if err != nil {
			return nil, err
		}
		crds = append(crds, capi...)
	}
	scheme := NewScheme()
	e := &envtest.Environment{
		Scheme:                scheme,
		CRDs:                  crds,
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			Paths: []string{filepath.Join(root, "config", "webhook")},
		},
	}
	cfg, err := e.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	env := &Env{Config: cfg, Scheme: scheme, env: e, done: make(chan error, 1)}
	if err := env.startManager(opts); err != nil {
		_ = env.Stop()
		return nil, err
	}
	env.Client, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return env, nil
}

func (env *Env) startManager(opts Options) error {
	wio := &env.env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:         env.Scheme,
		Metrics:        metricsserver.Options{BindAddress: "0"},
		LeaderElection: false,
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
		}),
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	if err := (&fivespotwebhook.ScheduledMachineValidator{Options: opts.Validation}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&fivespotwebhook.ScheduledMachinePoolValidator{Options: opts.Validation}).SetupWithManager(mgr); err != nil {
		return err
	}
	if opts.Setup != nil {
		if err := opts.Setup(mgr); err != nil {
			return err
		}
	}
	env.Manager = mgr
	ctx, cancel := context.WithCancel(context.Background())
	env.cancel = cancel
	go func() { env.done <- mgr.Start(ctx) }()
	return waitForTLS(net.JoinHostPort(wio.LocalServingHost, strconv.Itoa(wio.LocalServingPort)), 30*time.Second, env.done)
}

// waitForTLS waits until the webhook server completes a TLS handshake; a bare
// TCP connect can succeed before certificates are loaded.
func waitForTLS(addr string, timeout time.Duration, done <-chan error) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-done:
			return fmt.Errorf("manager stopped before the webhook served: %v", err)
		default:
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // readiness probe only
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("webhook server at %s not serving after %s: %w", addr, timeout, err)
		}
		<-time.After(50 * time.Millisecond)
	}
}

// CreateNamespace creates a namespace with a generated name for one test.
func (env *Env) CreateNamespace(ctx context.Context, prefix string) (string, error) {
	ns := &corev1.Namespace{}
	ns.GenerateName = prefix + "-"
	if err := env.Client.Create(ctx, ns); err != nil {
		return "", err
	}
	return ns.Name, nil
}

// Stop stops the manager, then the API server (envtest removes the webhook
// cert folder, so the manager goes first).
func (env *Env) Stop() error {
	if env.cancel != nil {
		env.cancel()
		select {
		case <-env.done:
		case <-time.After(30 * time.Second):
		}
	}
	return env.env.Stop()
}

// Kubeconfig returns a kubeconfig for an administrator of the test API
// server, for tools such as kubectl.
func (env *Env) Kubeconfig() ([]byte, error) {
	user, err := env.env.AddUser(envtest.User{Name: "5spot-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	return user.KubeConfig()
}

// KubectlPath is the kubectl built with the API server by hack/envtest-binaries.sh.
func KubectlPath() string {
	return filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
}

// WebhookCertDir holds a serving certificate (tls.crt, tls.key) the test API
// server trusts, for tests that start another webhook server.
func (env *Env) WebhookCertDir() string {
	return env.env.WebhookInstallOptions.LocalServingCertDir
}

// WebhookCAData is the CA that signed WebhookCertDir's certificate.
func (env *Env) WebhookCAData() []byte {
	return env.env.WebhookInstallOptions.LocalServingCAData
}
