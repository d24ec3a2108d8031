// Command mgmt-plane runs a local Cluster API management plane (see package
// mgmt) until it is interrupted.
//
//	mgmt-plane up [--workload-cluster NAME] [--namespace NS] [--log-dir DIR] [--manager-binary PATH]
//	    starts the plane, optionally creates an in-memory workload cluster and
//	    waits for its control plane, prints the kubeconfig path on its last
//	    line of standard output, and runs until Ctrl-C or SIGTERM, then tears
//	    everything down.
//	mgmt-plane down
//	    stops the plane running on this machine (SIGTERM to its process) and
//	    waits until it is gone.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: mgmt-plane up [--workload-cluster NAME] [--namespace NS] [--log-dir DIR] [--manager-binary PATH] | mgmt-plane down")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	// envtest logs through controller-runtime; progress goes to stderr instead.
	ctrllog.SetLogger(logr.Discard())
	var err error
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:])
	case "down":
		err = down()
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mgmt-plane:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mgmt-plane: "+format+"\n", args...)
}

func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	workload := fs.String("workload-cluster", "", "Also create this in-memory workload cluster (one-node kubeadm control plane) and wait for it.")
	namespace := fs.String("namespace", "default", "Namespace of the workload cluster.")
	logDir := fs.String("log-dir", "", "Keep the controllers' logs in this folder (default: inside the plane's temporary folder, removed on exit).")
	managerBinary := fs.String("manager-binary", "", "Run this 5-Spot manager binary (default: build ./cmd/manager from the working tree).")
	_ = fs.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	plane, err := mgmt.Start(ctx, mgmt.Options{LogDir: *logDir, ManagerBinary: *managerBinary, Logf: logf})
	if err != nil {
		return err
	}
	defer func() {
		logf("stopping")
		if err := plane.Stop(); err != nil {
			logf("stopping: %v", err)
		}
	}()
	logf("logs: %s", plane.LogDir)

	if *workload != "" {
		if err := createWorkloadCluster(ctx, plane, *namespace, *workload); err != nil {
			return err
		}
	}
	logf("ready; Ctrl-C to stop. kubeconfig:")
	fmt.Println(plane.KubeconfigPath)
	<-ctx.Done()
	return nil
}

func createWorkloadCluster(ctx context.Context, plane *mgmt.Plane, namespace, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := plane.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	wc := &mgmt.WorkloadCluster{Namespace: namespace, Name: name}
	begin := time.Now()
	if err := wc.Create(ctx, plane.Client); err != nil {
		return err
	}
	if err := wc.WaitForControlPlane(ctx, plane.Client, 3*time.Minute); err != nil {
		return err
	}
	logf("workload cluster %s/%s: control plane initialized in %s", namespace, name, time.Since(begin).Round(time.Millisecond))
	return nil
}

// down signals the plane that holds this machine's plane lock and waits for
// it to exit.
func down() error {
	pid, err := mgmt.RunningPlanePID()
	if err != nil {
		return err
	}
	if pid == 0 {
		logf("no management plane is running")
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("signalling the plane (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			logf("management plane (pid %d) stopped", pid)
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("management plane (pid %d) still running after 2 minutes", pid)
}
