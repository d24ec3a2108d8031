package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CAPDDebugPort is the port CAPD's in-memory backend always binds on every
// interface (its workload API servers then take ports from 20000 up). No flag
// changes it, so only one plane can run on a machine at a time.
const CAPDDebugPort = 19000

// freeAddrs reserves n distinct free TCP ports on 127.0.0.1. The listeners are
// held until all ports are chosen, so the same port is never handed out twice.
func freeAddrs(n int) ([]string, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	addrs := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserving a local port: %w", err)
		}
		listeners = append(listeners, l)
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// Listening reports whether something accepts TCP connections at addr.
func Listening(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// hostLock serialises management planes on one machine (CAPD's fixed ports),
// for example when `go test ./...` runs two packages that each start one. It
// is an flock, so the kernel releases it if the holder dies.
type hostLock struct{ f *os.File }

func hostLockPath() string { return filepath.Join(os.TempDir(), "5spot-plane.lock") }

// acquireHostLock waits until no other plane runs, up to the context's
// deadline, and then checks that the fixed CAPD port is really free.
func acquireHostLock(ctx context.Context, logf func(string, ...any)) (*hostLock, error) {
	path := hostLockPath()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening plane lock %s: %w", path, err)
	}
	announced := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !announced {
			holder, _ := os.ReadFile(path)
			logf("another management plane is running (pid %s); waiting for it to stop", strings.TrimSpace(string(holder)))
			announced = true
		}
		select {
		case <-ctx.Done():
			holder, _ := os.ReadFile(path)
			_ = f.Close()
			return nil, fmt.Errorf("another management plane (pid %s, lock %s) is still running: stop it first (%w)",
				strings.TrimSpace(string(holder)), path, context.Cause(ctx))
		case <-time.After(250 * time.Millisecond):
		}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	if Listening(net.JoinHostPort("127.0.0.1", strconv.Itoa(CAPDDebugPort))) {
		_ = f.Close()
		return nil, fmt.Errorf("port %d is in use by another program; CAPD's in-memory backend needs it", CAPDDebugPort)
	}
	return &hostLock{f: f}, nil
}

func (l *hostLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}

// RunningPlanePID returns the pid of the process running a plane on this
// machine, or 0 when none runs.
func RunningPlanePID() (int, error) {
	path := hostLockPath()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return 0, nil // nobody holds it
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("plane lock %s holds no pid: %q", path, data)
	}
	return pid, nil
}
