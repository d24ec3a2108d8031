// Command demo is `make demo`: a local Cluster API management plane (package
// mgmt: etcd, kube-apiserver, CAPI core, kubeadm bootstrap and control plane,
// CAPD in-memory, kube-controller-manager and the 5-Spot manager built from
// the working tree), a workload cluster, and three example ScheduledMachines
// (package demo) shown in a live table.
//
//	demo [run] [--log-dir DIR] [--manager-binary PATH]
//	    runs in the foreground with the live table; Ctrl-C (or SIGTERM)
//	    tears everything down.
//	demo up [--state-dir DIR] [--log-dir DIR] [--manager-binary PATH]
//	    starts the same in a detached background process, returns once the
//	    example objects exist, and prints the kubeconfig path on its last line.
//	demo down [--state-dir DIR]
//	    stops the background demo and removes its state.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/5spot-dev/5spot/test/e2e/demo"
	"github.com/5spot-dev/5spot/test/e2e/mgmt"
	"github.com/5spot-dev/5spot/test/harness"
)

// begin is the demo's start: the second example's window opens about
// demo.DefaultWindowLead after it.
var begin = time.Now()

func usage() {
	fmt.Fprintln(os.Stderr, `usage: demo [run] [--log-dir DIR] [--manager-binary PATH]
       demo up [--state-dir DIR] [--log-dir DIR] [--manager-binary PATH]
       demo down [--state-dir DIR]`)
	os.Exit(2)
}

func main() {
	// envtest logs through controller-runtime; progress goes to stderr instead.
	ctrllog.SetLogger(logr.Discard())
	command, args := "run", os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		command, args = args[0], args[1:]
	}
	var err error
	switch command {
	case "run":
		err = run(args)
	case "up":
		err = up(args)
	case "down":
		err = down(args)
	case serveCommand:
		err = serve(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "demo: %s "+format+"\n", append([]any{demo.Elapsed(time.Since(begin))}, args...)...)
}

// planeFlags are the flags every command that starts a plane takes.
type planeFlags struct {
	logDir, managerBinary string
}

func (p *planeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.logDir, "log-dir", "", "Keep the controllers' logs in this folder (default: inside the plane's temporary folder, removed on exit).")
	fs.StringVar(&p.managerBinary, "manager-binary", "", "Run this 5-Spot manager binary (default: build ./cmd/manager from the working tree).")
}

// signalContext is cancelled by the first SIGINT or SIGTERM. Later signals
// are reported and ignored: a second Ctrl-C must not cut the teardown short
// and leave processes or folders behind.
func signalContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		logf("%s: stopping", s)
		cancel()
		for s := range sigs {
			logf("%s: still stopping, please wait", s)
		}
	}()
	return ctx
}

// startDemo starts the plane and sets up the demo on it. On error nothing is
// left running.
func startDemo(ctx context.Context, flags planeFlags, start time.Time) (*mgmt.Plane, *demo.Demo, error) {
	logf("starting the management plane: etcd, kube-apiserver, Cluster API (core, kubeadm, CAPD in-memory), 5-Spot manager")
	plane, err := mgmt.Start(ctx, mgmt.Options{LogDir: flags.logDir, ManagerBinary: flags.managerBinary, Logf: logf})
	if err != nil {
		return nil, nil, err
	}
	logf("creating workload cluster %s/%s and the example ScheduledMachines", demo.DefaultNamespace, demo.DefaultClusterName)
	d, err := demo.Setup(ctx, plane.Client, demo.Options{Start: start})
	if err != nil {
		stopPlane(plane)
		return nil, nil, err
	}
	logf("examples created; the window of %s opens at %s", demo.OpensSoon, d.WindowStart.Format("15:04:05Z"))
	return plane, d, nil
}

// stopPlane stops the plane and checks that it left nothing behind.
func stopPlane(plane *mgmt.Plane) {
	addrs, dirs := plane.Addresses(), plane.TempDirs()
	began := time.Now()
	logf("stopping the management plane")
	if err := plane.Stop(); err != nil {
		logf("stopping: %v", err)
	}
	var left []string
	for _, a := range addrs {
		if mgmt.Listening(a) {
			left = append(left, "listener "+a)
		}
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			left = append(left, "folder "+d)
		}
	}
	if len(left) > 0 {
		logf("stopped in %s, but left behind: %s", time.Since(began).Round(time.Millisecond), strings.Join(left, ", "))
		return
	}
	logf("stopped in %s: every process reaped, %d ports closed, %d temporary folders removed",
		time.Since(began).Round(time.Millisecond), len(addrs), len(dirs))
}

// run is `make demo`: the live table until Ctrl-C.
func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	var flags planeFlags
	flags.register(fs)
	_ = fs.Parse(args)

	ctx := signalContext()
	plane, d, err := startDemo(ctx, flags, begin)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while starting: Start cleaned up
		}
		return err
	}
	defer stopPlane(plane)

	terminal := isTerminal(os.Stdout)
	footer := "" // the terminal view says it under the table
	if !terminal {
		footer = "A new table is printed whenever something changes; Ctrl-C (SIGINT) or SIGTERM stops the demo."
	}
	printIntro(os.Stdout, plane, d, footer)
	view := &demo.View{
		Client: plane.Client, Demo: d, Out: os.Stdout, Start: begin,
		Terminal: terminal, Width: func() int { return terminalWidth(os.Stdout) },
	}
	return view.Run(ctx)
}

// printIntro says where to look from another terminal; footer, when set,
// ends it.
func printIntro(w io.Writer, plane *mgmt.Plane, d *demo.Demo, footer string) {
	fmt.Fprintf(w, "5-Spot demo: a Cluster API management plane with a workload cluster and three ScheduledMachines\n")
	fmt.Fprintf(w, "  kubeconfig  %s\n", plane.KubeconfigPath)
	fmt.Fprintf(w, "  watch       %s --kubeconfig %s get sm -n %s -w\n", kubectlPath(), plane.KubeconfigPath, d.Namespace)
	fmt.Fprintf(w, "  logs        %s\n", plane.LogDir)
	for _, e := range d.Examples {
		fmt.Fprintf(w, "  %-11s %s\n", e.Name, e.Description)
	}
	if footer != "" {
		fmt.Fprintln(w, footer)
	}
	fmt.Fprintln(w)
}

// kubectlPath is the kubectl hack/envtest-binaries.sh built (the API
// server's own version), relative to the working directory when shorter.
func kubectlPath() string {
	var candidates []string
	if assets := os.Getenv("KUBEBUILDER_ASSETS"); assets != "" {
		candidates = append(candidates, filepath.Join(assets, "kubectl"))
	}
	found, _ := filepath.Glob(filepath.Join(harness.RepoRoot(), ".cache", "envtest", "*", "kubectl"))
	for _, path := range append(candidates, found...) {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
				return rel
			}
		}
		return path
	}
	return "kubectl"
}

// isTerminal reports whether f is a terminal (the ioctl only terminals answer).
func isTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// terminalWidth is f's width in columns, 0 when unknown.
func terminalWidth(f *os.File) int {
	var ws struct{ rows, cols, x, y uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return 0
	}
	return int(ws.cols)
}
