package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

// The background demo (`demo up`) is this same binary run as `demo serve`
// in its own session, so that it outlives `make demo-up` and no terminal
// signal reaches it. Its state folder holds its pid (for `demo down`) and
// its log; `demo down` removes the folder.
const (
	serveCommand = "serve"
	pidFile      = "pid"
	logFile      = "demo.log"
	// readyFD is the pipe on which `serve` reports the kubeconfig path once
	// the examples exist (fd 3: the first of exec.Cmd.ExtraFiles).
	readyFD = 3
	// stopTimeout bounds `demo down`'s wait; the plane's own Stop gives each
	// process 15 s before killing it.
	stopTimeout = 2 * time.Minute
)

func defaultStateDir() string { return filepath.Join(os.TempDir(), "5spot-demo") }

// up starts `serve` detached, streams its progress to stderr, and returns
// once it reports ready, printing the kubeconfig path last.
func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	stateDir := fs.String("state-dir", defaultStateDir(), "Folder for the background demo's pid and log.")
	var flags planeFlags
	flags.register(fs)
	_ = fs.Parse(args)

	if pid, running := runningDemo(*stateDir); running {
		return fmt.Errorf("a demo is already running in the background (pid %d): stop it with `make demo-down`", pid)
	}
	if err := os.RemoveAll(*stateDir); err != nil { // the state of a demo that died
		return err
	}
	if err := os.MkdirAll(*stateDir, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(*stateDir, logFile)
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, serveCommand,
		"--state-dir", *stateDir,
		"--start", strconv.FormatInt(begin.UnixNano(), 10),
		"--log-dir", flags.logDir,
		"--manager-binary", flags.managerBinary)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.ExtraFiles = []*os.File{readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	_ = readyW.Close() // ours; the child keeps its copy until it is ready
	_ = log.Close()
	if err != nil {
		return fmt.Errorf("starting the background demo: %w", err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(filepath.Join(*stateDir, pidFile), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		return err
	}

	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(readyR).ReadString('\n')
		ready <- strings.TrimSpace(line) // empty: the child exited first
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	ctx := signalContext()
	tail := &logTail{path: logPath}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case kubeconfig := <-ready:
			tail.copyTo(os.Stderr)
			if kubeconfig == "" {
				err := <-exited
				_ = os.RemoveAll(*stateDir)
				return fmt.Errorf("the background demo stopped before it was ready (%v)", err)
			}
			fmt.Fprintf(os.Stderr, "demo: running in the background (pid %d, log %s); `make demo-down` stops it. kubeconfig:\n", pid, logPath)
			fmt.Println(kubeconfig)
			return nil
		case <-ctx.Done():
			// Ctrl-C while waiting: stop the child too, as `demo down` would.
			_ = syscall.Kill(pid, syscall.SIGTERM)
			<-exited
			tail.copyTo(os.Stderr)
			return os.RemoveAll(*stateDir)
		case <-tick.C:
			tail.copyTo(os.Stderr)
		}
	}
}

// serve is the background demo: it starts like `run`, reports the kubeconfig
// on readyFD, and tears down on SIGTERM (what `demo down` sends).
func serve(args []string) error {
	fs := flag.NewFlagSet(serveCommand, flag.ExitOnError)
	_ = fs.String("state-dir", "", "State folder (identifies this demo to `demo down`).")
	startNanos := fs.Int64("start", 0, "The demo's start (Unix nanoseconds), from `demo up`.")
	var flags planeFlags
	flags.register(fs)
	_ = fs.Parse(args)
	start := begin
	if *startNanos != 0 {
		start = time.Unix(0, *startNanos)
		begin = start // progress stamps count from `demo up`
	}
	ready := os.NewFile(readyFD, "ready")

	ctx := signalContext()
	plane, d, err := startDemo(ctx, flags, start)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer stopPlane(plane)
	printIntro(os.Stdout, plane, d, "")
	if _, err := fmt.Fprintln(ready, plane.KubeconfigPath); err != nil {
		return fmt.Errorf("reporting readiness: %w", err)
	}
	_ = ready.Close()
	<-ctx.Done()
	return nil
}

// down stops the background demo and removes its state folder.
func down(args []string) error {
	fs := flag.NewFlagSet("down", flag.ExitOnError)
	stateDir := fs.String("state-dir", defaultStateDir(), "Folder for the background demo's pid and log.")
	_ = fs.Parse(args)

	pid, running := runningDemo(*stateDir)
	if !running {
		if other, err := mgmt.RunningPlanePID(); err == nil && other != 0 {
			// Someone else's plane (an e2e run, `make mgmt-plane`): not ours to stop.
			logf("no background demo is running (the management plane of pid %d is not one; left alone)", other)
		} else {
			logf("no background demo is running")
		}
		return os.RemoveAll(*stateDir)
	}
	tail := &logTail{path: filepath.Join(*stateDir, logFile)}
	tail.skip() // show only what the teardown writes
	began := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("signalling the background demo (pid %d): %w", pid, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for processAlive(pid) {
		select {
		case <-ctx.Done():
			tail.copyTo(os.Stderr)
			return fmt.Errorf("the background demo (pid %d) is still running after %s; its state is in %s", pid, stopTimeout, *stateDir)
		case <-tick.C:
			tail.copyTo(os.Stderr)
		}
	}
	tail.copyTo(os.Stderr)
	logf("background demo (pid %d) stopped in %s", pid, time.Since(began).Round(time.Millisecond))
	return os.RemoveAll(*stateDir)
}

// runningDemo returns the pid recorded in stateDir and whether that process
// is still a background demo of this state folder (not a reused pid).
func runningDemo(stateDir string) (int, bool) {
	data, err := os.ReadFile(filepath.Join(stateDir, pidFile))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || !processAlive(pid) {
		return pid, false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return pid, false
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) < 4 || args[1] != serveCommand || args[2] != "--state-dir" || args[3] != stateDir {
		return pid, false
	}
	return pid, true
}

// processAlive is false once pid is gone or a zombie: nothing may reap the
// background demo after `demo up` exited (it is re-parented), but a zombie
// has already run its teardown and released the plane lock.
func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3, after the parenthesised command name, is the state.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

// logTail copies what a log file gained since the last copy.
type logTail struct {
	path   string
	offset int64
}

func (t *logTail) skip() {
	if fi, err := os.Stat(t.path); err == nil {
		t.offset = fi.Size()
	}
}

func (t *logTail) copyTo(w io.Writer) {
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		return
	}
	n, err := io.Copy(w, f)
	t.offset += n
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(w, "(reading %s: %v)\n", t.path, err)
	}
}
