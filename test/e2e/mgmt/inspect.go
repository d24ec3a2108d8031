package mgmt

import (
	"fmt"
	"io"
	"net"
)

// ProcessInfo describes one running controller of the plane.
type ProcessInfo struct {
	Name    string
	PID     int // also its process group id
	LogPath string
	Addrs   []string // addresses it listens on
}

// Processes lists the plane's controllers (not etcd and kube-apiserver, which
// envtest runs).
func (p *Plane) Processes() []ProcessInfo {
	out := make([]ProcessInfo, 0, len(p.procs))
	for _, proc := range p.procs {
		info := ProcessInfo{Name: proc.name, LogPath: proc.logPath, Addrs: proc.addrs}
		if proc.cmd != nil {
			info.PID = proc.cmd.Process.Pid
		}
		out = append(out, info)
	}
	return out
}

// Addresses lists every address the plane listens on: etcd's client port,
// the API server and each controller's health, metrics and webhook ports,
// and CAPD's fixed in-memory debug port. Workload cluster API servers come
// on top (see WorkloadEndpoint).
func (p *Plane) Addresses() []string {
	var out []string
	if p.env != nil && p.env.ControlPlane.Etcd != nil && p.env.ControlPlane.Etcd.URL != nil {
		out = append(out, p.env.ControlPlane.Etcd.URL.Host)
	}
	if p.env != nil && p.env.ControlPlane.APIServer != nil {
		out = append(out, p.env.ControlPlane.APIServer.SecureServing.ListenAddr.HostPort())
	}
	for _, proc := range p.procs {
		out = append(out, proc.addrs...)
	}
	return append(out, net.JoinHostPort("127.0.0.1", fmt.Sprint(CAPDDebugPort)))
}

// TempDirs lists the temporary folders the plane created: its own and
// envtest's (etcd data, API server certificates, webhook certificates).
func (p *Plane) TempDirs() []string {
	out := []string{p.Dir}
	if p.env == nil {
		return out
	}
	if e := p.env.ControlPlane.Etcd; e != nil && e.DataDir != "" {
		out = append(out, e.DataDir)
	}
	if a := p.env.ControlPlane.APIServer; a != nil && a.CertDir != "" {
		out = append(out, a.CertDir)
	}
	if d := p.env.WebhookInstallOptions.LocalServingCertDir; d != "" {
		out = append(out, d)
	}
	return out
}

// WebhookCertDir holds a serving certificate (tls.crt, tls.key) for 127.0.0.1
// that the API server trusts (for tests that serve another webhook or a
// Runtime SDK extension). Its CA is WebhookCAData.
func (p *Plane) WebhookCertDir() string { return p.env.WebhookInstallOptions.LocalServingCertDir }

// WebhookCAData is the CA certificate that signed WebhookCertDir's certificate.
func (p *Plane) WebhookCAData() []byte { return p.env.WebhookInstallOptions.LocalServingCAData }

// LogTail returns the last lines of a controller's log (names: Proc*).
func (p *Plane) LogTail(name string, lines int) string {
	for _, proc := range p.procs {
		if proc.name == name {
			return proc.logTail(lines)
		}
	}
	return fmt.Sprintf("(no process %q)", name)
}

// DumpLogs writes the last lines of every controller's log, for a failed test.
func (p *Plane) DumpLogs(w io.Writer, lines int) {
	for _, proc := range p.procs {
		fmt.Fprintf(w, "===== %s (%s), last %d lines =====\n%s\n", proc.name, proc.logPath, lines, proc.logTail(lines))
	}
}

// ManagerWebhookURL is where the 5-Spot manager serves its webhooks (and,
// with --runtime-extension, the Runtime SDK hooks), signed by WebhookCAData.
func (p *Plane) ManagerWebhookURL() string {
	wio := p.env.WebhookInstallOptions
	return fmt.Sprintf("https://%s:%d", wio.LocalServingHost, wio.LocalServingPort)
}
