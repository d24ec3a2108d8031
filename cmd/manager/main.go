// Command manager runs 5-Spot: the ScheduledMachine controllers, the admission
// webhooks and (later) the Runtime SDK extension, in one process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	runtimeserver "sigs.k8s.io/cluster-api/exp/runtime/server"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/controllers/scheduledmachine"
	"github.com/5spot-dev/5spot/controllers/scheduledmachinepool"
	"github.com/5spot-dev/5spot/extension"
	"github.com/5spot-dev/5spot/internal/validation"
	fivespotwebhook "github.com/5spot-dev/5spot/internal/webhook"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

type options struct {
	metricsAddr          string
	probeAddr            string
	leaderElect          bool
	leaderElectionNS     string
	webhookPort          int
	webhookCertDir       string
	watchNamespace       string
	extraAPIGroups       string
	maxConcurrent        int
	syncPeriod           time.Duration
	watchFilter          string
	provisioningTimeout  time.Duration
	enableWebhooks       bool
	runtimeExtension     bool
	cacheSyncReadyWithin time.Duration
}

func (o *options) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint binds to; \"0\" disables it.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	fs.BoolVar(&o.leaderElect, "leader-elect", true, "Elect a leader so that only one replica reconciles at a time.")
	fs.StringVar(&o.leaderElectionNS, "leader-election-namespace", "", "Namespace of the leader election lease (default: the pod's namespace).")
	fs.IntVar(&o.webhookPort, "webhook-port", 9443, "Port the admission webhook server listens on.")
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", "/tmp/k8s-webhook-server/serving-certs", "Folder holding tls.crt and tls.key for the webhook server.")
	fs.BoolVar(&o.enableWebhooks, "enable-webhooks", true, "Serve the admission webhooks.")
	fs.BoolVar(&o.runtimeExtension, "runtime-extension", false, "Serve the Cluster API Runtime SDK extension (lifecycle hooks for ClusterClass clusters) on the webhook port.")
	fs.StringVar(&o.watchNamespace, "watch-namespace", "", "Only watch this namespace (default: all namespaces).")
	fs.StringVar(&o.extraAPIGroups, "extra-api-groups", "", "Comma-separated API groups allowed for inline bootstrap and infrastructure specs besides bootstrap.cluster.x-k8s.io and infrastructure.cluster.x-k8s.io (e.g. k0smotron.io).")
	fs.IntVar(&o.maxConcurrent, "max-concurrent-reconciles", 10, "How many ScheduledMachines are reconciled in parallel.")
	fs.StringVar(&o.watchFilter, "watch-filter", "", "Only reconcile objects labelled cluster.x-k8s.io/watch-filter=<value>.")
	fs.DurationVar(&o.syncPeriod, "sync-period", 10*time.Minute, "Safety-net resync of every object; wake-ups are otherwise exact, at the next schedule transition.")
	fs.DurationVar(&o.provisioningTimeout, "provisioning-timeout", 20*time.Minute, "How long a Machine may take to become Running before it is replaced (phase Error, backoff).")
	fs.DurationVar(&o.cacheSyncReadyWithin, "readiness-cache-sync-timeout", 2*time.Second, "How long a readiness probe waits for caches to report synced.")
}

func main() {
	var opts options
	opts.bind(flag.CommandLine)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	if err := run(ctrl.SetupSignalHandler(), ctrl.GetConfigOrDie(), opts); err != nil {
		ctrl.Log.Error(err, "manager exited")
		os.Exit(1)
	}
}

func newScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, clusterv1.AddToScheme, v1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func run(ctx context.Context, cfg *rest.Config, opts options) error {
	log := ctrl.Log.WithName("setup")
	extraGroups := splitList(opts.extraAPIGroups)
	if err := validation.ValidateExtraAPIGroups(extraGroups); err != nil {
		return fmt.Errorf("--extra-api-groups: %w", err)
	}
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	// With the Runtime SDK extension on, its server is the webhook server:
	// hooks and admission share one TLS port and certificate.
	hooks := &extension.Handlers{}
	var webhookServer webhook.Server = webhook.NewServer(webhook.Options{Port: opts.webhookPort, CertDir: opts.webhookCertDir})
	if opts.runtimeExtension {
		srv, err := extension.NewServer(runtimeserver.Options{Port: opts.webhookPort, CertDir: opts.webhookCertDir}, hooks)
		if err != nil {
			return fmt.Errorf("setting up the Runtime SDK extension: %w", err)
		}
		webhookServer = srv
	}
	cacheOpts := cache.Options{SyncPeriod: &opts.syncPeriod}
	if opts.watchNamespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{opts.watchNamespace: {}}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Cache:                   cacheOpts,
		Metrics:                 metricsserver.Options{BindAddress: opts.metricsAddr},
		HealthProbeBindAddress:  opts.probeAddr,
		LeaderElection:          opts.leaderElect,
		LeaderElectionID:        "controller-leader-election-5spot",
		LeaderElectionNamespace: opts.leaderElectionNS,
		WebhookServer:           webhookServer,
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}

	if opts.enableWebhooks {
		v := &fivespotwebhook.ScheduledMachineValidator{Options: validation.Options{ExtraAPIGroups: extraGroups, Now: time.Now}}
		if err := v.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the ScheduledMachine webhook: %w", err)
		}
		pv := &fivespotwebhook.ScheduledMachinePoolValidator{Options: v.Options}
		if err := pv.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the ScheduledMachinePool webhook: %w", err)
		}
	}

	r, pools, err := setupControllers(ctx, mgr, opts)
	if err != nil {
		return err
	}
	hooks.Client = mgr.GetClient()
	hooks.Wake = func(ctx context.Context, cluster client.ObjectKey) {
		r.WakeCluster(ctx, cluster)
		pools.WakeCluster(ctx, cluster)
	}

	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("caches", cacheSynced(mgr, opts.cacheSyncReadyWithin)); err != nil {
		return err
	}
	if opts.enableWebhooks {
		if err := mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
			return err
		}
	}
	log.Info("starting 5-Spot manager", "version", version)
	return mgr.Start(ctx)
}

// cacheSynced is ready once the informer caches have synced, so traffic (and
// leadership) only reaches a manager that can see the cluster.
func cacheSynced(mgr ctrl.Manager, within time.Duration) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), within)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("informer caches not synced yet")
		}
		return nil
	}
}

// setupControllers registers the controllers and CAPI's cluster cache, through
// which they reach Nodes in workload clusters.
func setupControllers(ctx context.Context, mgr ctrl.Manager, opts options) (*scheduledmachine.Reconciler, *scheduledmachinepool.Reconciler, error) {
	workload, err := clustercache.SetupWithManager(ctx, mgr, clustercache.Options{
		// Kubeconfig secrets are read directly, so no cache holds Secrets.
		SecretClient: mgr.GetAPIReader(),
		Client:       clustercache.ClientOptions{UserAgent: "5spot-manager"},
	}, controller.Options{MaxConcurrentReconciles: opts.maxConcurrent})
	if err != nil {
		return nil, nil, fmt.Errorf("setting up the cluster cache: %w", err)
	}
	r := &scheduledmachine.Reconciler{
		Client:              mgr.GetClient(),
		Workload:            workload,
		Clock:               clock.RealClock{},
		Recorder:            mgr.GetEventRecorder("5spot-scheduledmachine"),
		ProvisioningTimeout: opts.provisioningTimeout,
		StuckDeletionAfter:  15 * time.Minute,
		WatchFilterValue:    opts.watchFilter,
	}
	if err := r.SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: opts.maxConcurrent}); err != nil {
		return nil, nil, fmt.Errorf("setting up the ScheduledMachine controller: %w", err)
	}
	pools := &scheduledmachinepool.Reconciler{
		Client:              mgr.GetClient(),
		Workload:            workload,
		Clock:               clock.RealClock{},
		Recorder:            mgr.GetEventRecorder("5spot-scheduledmachinepool"),
		ProvisioningTimeout: opts.provisioningTimeout,
		StuckDeletionAfter:  15 * time.Minute,
		WatchFilterValue:    opts.watchFilter,
	}
	if err := pools.SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: opts.maxConcurrent}); err != nil {
		return nil, nil, fmt.Errorf("setting up the ScheduledMachinePool controller: %w", err)
	}
	return r, pools, nil
}
