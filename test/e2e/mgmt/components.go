package mgmt

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// Process names, also the names of their log files.
const (
	ProcKubeControllerManager = "kube-controller-manager"
	ProcCAPICore              = "capi-core"
	ProcKubeadmBootstrap      = "capi-kubeadm-bootstrap"
	ProcKubeadmControlPlane   = "capi-kubeadm-control-plane"
	ProcCAPD                  = "capd"
	ProcFiveSpot              = "5spot-manager"
)

// processes describes every controller the plane runs, each on its own
// ports on 127.0.0.1.
func (p *Plane) processes(dirs binaryDirs, opts Options) ([]*process, error) {
	// kube-controller-manager: 1 port; 4 CAPI managers: health, metrics,
	// webhook each; 5-Spot: health, metrics (its webhook port is the one
	// envtest wrote into the webhook configuration).
	addrs, err := freeAddrs(1 + 4*3 + 2)
	if err != nil {
		return nil, err
	}
	next := func() string { a := addrs[0]; addrs = addrs[1:]; return a }
	certDir := p.env.WebhookInstallOptions.LocalServingCertDir

	kcmAddr := next()
	procs := []*process{{
		name: ProcKubeControllerManager,
		path: filepath.Join(dirs.kcm, kcmBinary),
		args: []string{
			"--kubeconfig=" + p.KubeconfigPath,
			// Only what a management cluster needs from it and envtest lacks:
			// owner-reference garbage collection and namespace deletion.
			"--controllers=garbage-collector-controller,namespace-controller",
			"--leader-elect=false",
			"--bind-address=127.0.0.1",
			"--secure-port=" + port(kcmAddr),
			"--cert-dir=" + filepath.Join(p.Dir, "kcm-certs"),
		},
		readyURL: "https://" + kcmAddr + "/healthz",
		addrs:    []string{kcmAddr},
	}}

	capiManager := func(name, binary string, extraArgs, env []string) *process {
		health, metrics, webhook := next(), next(), next()
		args := []string{
			"--kubeconfig=" + p.KubeconfigPath,
			"--leader-elect=false",
			"--health-addr=" + health,
			"--diagnostics-address=" + metrics,
			"--insecure-diagnostics",
			// CAPI managers always serve their webhooks (they exit without
			// certificates). envtest's serving certificate is valid for
			// 127.0.0.1; the webhooks are not registered with the API
			// server (5-Spot's configuration is the only one installed).
			"--webhook-port=" + port(webhook),
			"--webhook-cert-dir=" + certDir,
		}
		return &process{
			name:     name,
			path:     filepath.Join(dirs.capi, binary),
			args:     append(args, extraArgs...),
			env:      env,
			readyURL: "http://" + health + "/readyz",
			addrs:    []string{health, metrics, webhook},
		}
	}
	procs = append(procs,
		capiManager(ProcCAPICore, capiCoreBinary, []string{"--feature-gates=" + opts.CoreFeatureGates}, nil),
		capiManager(ProcKubeadmBootstrap, kubeadmBootstrapBinary, nil, nil),
		capiManager(ProcKubeadmControlPlane, kubeadmCPBinary, nil, nil),
		// POD_IP is the host CAPD writes into each in-memory workload
		// cluster's control plane endpoint (and thus its kubeconfig).
		capiManager(ProcCAPD, capdBinary, nil, []string{"POD_IP=127.0.0.1"}),
	)

	health, metrics := next(), next()
	wio := p.env.WebhookInstallOptions
	webhook := fmt.Sprintf("%s:%d", wio.LocalServingHost, wio.LocalServingPort)
	procs = append(procs, &process{
		name: ProcFiveSpot,
		path: opts.ManagerBinary,
		args: append([]string{
			"--kubeconfig=" + p.KubeconfigPath,
			"--leader-elect=false",
			"--webhook-port=" + strconv.Itoa(wio.LocalServingPort),
			"--webhook-cert-dir=" + certDir,
			"--metrics-bind-address=" + metrics,
			"--health-probe-bind-address=" + health,
		}, opts.ManagerArgs...),
		readyURL: "http://" + health + "/readyz",
		addrs:    []string{health, metrics, webhook},
	})
	for _, proc := range procs {
		proc.logPath = filepath.Join(p.LogDir, proc.name+".log")
	}
	return procs, nil
}
