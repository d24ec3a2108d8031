package mgmt

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// process is one controller binary of the plane, started in its own process
// group so that stopping it also stops anything it spawned.
type process struct {
	name     string
	path     string
	args     []string
	env      []string
	logPath  string
	readyURL string   // polled until it answers 200
	addrs    []string // every address it listens on, for the teardown check

	cmd     *exec.Cmd
	logFile *os.File
	exited  chan struct{} // closed once cmd.Wait returned
	waitErr error
}

// probeClient checks health endpoints. Some serve self-signed certificates
// (kube-controller-manager): the probe only asks "are you up".
var probeClient = &http.Client{
	Timeout:   time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // local readiness probe only
}

func (p *process) start() error {
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: opening log file: %w", p.name, err)
	}
	p.logFile = f
	fmt.Fprintf(f, "# %s %s\n", p.path, strings.Join(p.args, " "))
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// If the test binary dies without running Stop (a panic, a timeout,
		// kill -9), the kernel takes the controllers down with it.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return fmt.Errorf("%s: starting %s: %w", p.name, p.path, err)
	}
	p.cmd = cmd
	p.exited = make(chan struct{})
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return nil
}

// waitReady polls the process's health endpoint until it answers 200, and
// fails at once, with the end of its log, if the process exits first.
func (p *process) waitReady(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready (%v); last lines of %s:\n%s", p.name, p.waitErr, p.logPath, p.logTail(40))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s: %w; last lines of %s:\n%s", p.name, p.readyURL, context.Cause(ctx), p.logPath, p.logTail(40))
		case <-tick.C:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.readyURL, nil)
		if err != nil {
			return err
		}
		if resp, err := probeClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
}

// stop asks the process group to terminate, kills it after grace, and waits
// until the process is reaped.
func (p *process) stop(grace time.Duration) error {
	if p.cmd == nil {
		return nil
	}
	defer p.logFile.Close()
	pgid := p.cmd.Process.Pid // Setpgid: the group id is the leader's pid
	select {
	case <-p.exited:
	default:
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.exited
		}
	}
	// The leader is reaped; anything it left in its group goes too.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: killing process group %d: %w", p.name, pgid, err)
	}
	return nil
}

// logTail returns the last n lines of the process's log.
func (p *process) logTail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
