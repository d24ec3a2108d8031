// Package mgmt starts a local Cluster API management plane without Docker:
// a real etcd and kube-apiserver (envtest) with 5-Spot's and CAPI's CRDs,
// kube-controller-manager's garbage collector, CAPI's own manager binaries
// (core with the RuntimeSDK and ClusterTopology gates, kubeadm bootstrap,
// kubeadm control plane, CAPD with its in-memory backend) and the 5-Spot
// manager, each a subprocess talking to the API server through a kubeconfig,
// as in a real management cluster. It also creates in-memory workload
// clusters and reaches their (simulated) API servers.
package mgmt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/5spot-dev/5spot/test/harness"
)

// DefaultCoreFeatureGates turn on what 5-Spot's Runtime SDK extension needs
// from the core manager (lifecycle hooks fire only for topology clusters).
const DefaultCoreFeatureGates = "RuntimeSDK=true,ClusterTopology=true"

// Options change what Start runs. The zero value runs everything.
type Options struct {
	// AssetsDir holds etcd and kube-apiserver (default: $KUBEBUILDER_ASSETS,
	// else built by hack/envtest-binaries.sh).
	AssetsDir string
	// CAPIBinDir holds the CAPI managers (default: $CAPI_BINARIES, else built
	// by hack/capi-binaries.sh).
	CAPIBinDir string
	// KCMBinDir holds kube-controller-manager (default: $KCM_BINARIES, else
	// built by hack/kube-controller-manager.sh).
	KCMBinDir string
	// ManagerBinary is the 5-Spot manager to run (default: built from the
	// working tree with go build ./cmd/manager).
	ManagerBinary string
	// ManagerArgs are extra flags for the 5-Spot manager.
	ManagerArgs []string
	// CoreFeatureGates for the CAPI core manager (default DefaultCoreFeatureGates).
	CoreFeatureGates string
	// LogDir keeps the processes' logs after Stop (default: a folder inside
	// the plane's temporary folder, removed by Stop).
	LogDir string
	// ReadyTimeout bounds the wait for every process to report ready
	// (default 3 minutes; building missing binaries is not counted).
	ReadyTimeout time.Duration
	// LockTimeout bounds the wait for another plane on this machine to stop
	// (default 10 minutes; CAPD's fixed ports allow one plane at a time).
	LockTimeout time.Duration
	// Logf receives progress messages (default: discarded).
	Logf func(format string, args ...any)
}

// Timings says where start-up time went.
type Timings struct {
	Lock        time.Duration // waiting for another plane to stop
	Binaries    time.Duration // locating (or building) the prebuilt binaries
	APIServer   time.Duration // etcd + kube-apiserver + CRDs + webhook configuration (the 5-Spot manager builds meanwhile)
	Controllers time.Duration // every process started and ready
	Total       time.Duration
}

// Plane is a running management plane. Stop it when done.
type Plane struct {
	// Config is an administrator's connection to the API server.
	Config *rest.Config
	// Client reads and writes with Scheme (Kubernetes, CAPI, CAPD, 5-Spot).
	Client client.Client
	Scheme *kruntime.Scheme
	// KubeconfigPath is a kubeconfig for Config, for kubectl and the controllers.
	KubeconfigPath string
	// Dir is the plane's temporary folder (kubeconfig, binaries, logs).
	Dir string
	// LogDir holds one <process>.log per controller.
	LogDir  string
	Timings Timings

	env      *envtest.Environment
	procs    []*process
	lock     *hostLock
	stopOnce sync.Once
	stopErr  error
}

func (o *Options) defaults() {
	if o.CoreFeatureGates == "" {
		o.CoreFeatureGates = DefaultCoreFeatureGates
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 3 * time.Minute
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = 10 * time.Minute
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Start brings the whole plane up and returns once every process reports
// ready. On error nothing is left running.
func Start(ctx context.Context, opts Options) (_ *Plane, retErr error) {
	opts.defaults()
	begin := time.Now()
	p := &Plane{Scheme: NewScheme()}
	defer func() {
		if retErr != nil {
			_ = p.Stop()
		}
	}()

	lockCtx, cancel := context.WithTimeout(ctx, opts.LockTimeout)
	lock, err := acquireHostLock(lockCtx, opts.Logf)
	cancel()
	if err != nil {
		return nil, err
	}
	p.lock = lock
	p.Timings.Lock = time.Since(begin)

	if p.Dir, err = os.MkdirTemp("", "5spot-mgmt-"); err != nil {
		return nil, err
	}
	p.LogDir = opts.LogDir
	if p.LogDir == "" {
		p.LogDir = filepath.Join(p.Dir, "logs")
	}
	if err := os.MkdirAll(p.LogDir, 0o755); err != nil {
		return nil, err
	}

	mark := time.Now()
	dirs, err := resolveBinaryDirs(ctx, opts)
	if err != nil {
		return nil, err
	}
	// The manager build overlaps with the API server start-up.
	managerBuilt := make(chan error, 1)
	if opts.ManagerBinary == "" {
		opts.ManagerBinary = filepath.Join(p.Dir, "bin", "5spot-manager")
		go func() { managerBuilt <- buildManager(ctx, opts.ManagerBinary) }()
	} else {
		managerBuilt <- nil
	}
	p.Timings.Binaries = time.Since(mark)

	mark = time.Now()
	opts.Logf("starting etcd and kube-apiserver")
	if err := p.startAPIServer(dirs.assets); err != nil {
		<-managerBuilt
		return nil, err
	}
	p.Timings.APIServer = time.Since(mark)
	if err := <-managerBuilt; err != nil {
		return nil, err
	}

	mark = time.Now()
	p.procs, err = p.processes(dirs, opts)
	if err != nil {
		return nil, err
	}
	opts.Logf("starting %d controllers (logs in %s)", len(p.procs), p.LogDir)
	if err := p.startProcesses(ctx, opts.ReadyTimeout); err != nil {
		return nil, err
	}
	p.Timings.Controllers = time.Since(mark)
	p.Timings.Total = time.Since(begin)
	opts.Logf("management plane ready in %s (binaries %s, API server %s, controllers %s)",
		p.Timings.Total.Round(time.Millisecond), p.Timings.Binaries.Round(time.Millisecond),
		p.Timings.APIServer.Round(time.Millisecond), p.Timings.Controllers.Round(time.Millisecond))
	return p, nil
}

// startAPIServer runs envtest with every CRD and 5-Spot's webhook
// configuration (pointed at the port the 5-Spot manager will serve on), and
// writes an administrator's kubeconfig.
func (p *Plane) startAPIServer(assets string) error {
	root := harness.RepoRoot()
	crds, err := harness.ReadCRDDir(filepath.Join(root, "config", "crd", "bases"))
	if err != nil {
		return err
	}
	capi, err := harness.LoadCRDs(harness.CAPICRDs)
	if err != nil {
		return err
	}
	p.env = &envtest.Environment{
		Scheme:                p.Scheme,
		CRDs:                  append(crds, capi...),
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			Paths: []string{filepath.Join(root, "config", "webhook")},
		},
	}
	if _, err := p.env.Start(); err != nil {
		return fmt.Errorf("starting etcd and kube-apiserver (envtest): %w", err)
	}
	admin, err := p.env.AddUser(envtest.User{Name: "mgmt-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("creating the administrator's credentials: %w", err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return err
	}
	p.KubeconfigPath = filepath.Join(p.Dir, "kubeconfig")
	if err := os.WriteFile(p.KubeconfigPath, kubeconfig, 0o600); err != nil {
		return err
	}
	p.Config = admin.Config()
	p.Client, err = client.New(p.Config, client.Options{Scheme: p.Scheme})
	return err
}

// startProcesses starts every controller, then waits for all of them to be
// ready; the first failure stops the wait.
func (p *Plane) startProcesses(ctx context.Context, timeout time.Duration) error {
	for _, proc := range p.procs {
		if err := proc.start(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("not ready within %s", timeout))
	defer cancel()
	errs := make(chan error, len(p.procs))
	for _, proc := range p.procs {
		go func() {
			err := proc.waitReady(ctx)
			if err != nil {
				cancel() // one failed: stop waiting for the others
			}
			errs <- err
		}()
	}
	var all []error
	for range p.procs {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return firstCause(all)
}

// firstCause prefers the error of a process that exited over the
// cancellations it caused in the other waits.
func firstCause(errs []error) error {
	for _, err := range errs {
		if !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// Stop stops every controller (they must go before the API server, which
// removes the webhook certificate folder), then etcd and kube-apiserver, and
// removes the plane's temporary folder. It is safe to call more than once.
func (p *Plane) Stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Plane) stop() error {
	var errs []error
	var wg sync.WaitGroup
	stopErrs := make([]error, len(p.procs))
	for i, proc := range p.procs {
		wg.Go(func() { stopErrs[i] = proc.stop(15 * time.Second) })
	}
	wg.Wait()
	errs = append(errs, stopErrs...)
	if p.env != nil && p.env.ControlPlane.APIServer != nil {
		if err := p.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping etcd and kube-apiserver: %w", err))
		}
	}
	if p.Dir != "" {
		if err := os.RemoveAll(p.Dir); err != nil {
			errs = append(errs, err)
		}
	}
	p.lock.release()
	return errors.Join(errs...)
}
