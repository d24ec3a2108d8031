package mgmt_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

// TestStopLeavesNothingBehind starts a plane with a workload cluster whose
// simulated API server is listening, stops it, and checks that no process,
// port or temporary folder of the plane remains.
func TestStopLeavesNothingBehind(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	begin := time.Now()
	plane, err := mgmt.Start(ctx, mgmt.Options{Logf: t.Logf, LogDir: os.Getenv("E2E_LOG_DIR")})
	g.Expect(err).NotTo(HaveOccurred(), "the management plane should start")
	t.Logf("plane started in %s: %+v", time.Since(begin).Round(time.Millisecond), plane.Timings)
	stopped := false
	defer func() {
		if !stopped { // a failed expectation before Stop: still clean up
			if t.Failed() {
				plane.DumpLogs(testWriter{t}, 40)
			}
			_ = plane.Stop()
		}
	}()

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "teardown-"}}
	g.Expect(plane.Client.Create(ctx, ns)).To(Succeed())
	wc := &mgmt.WorkloadCluster{Namespace: ns.Name, Name: "teardown"}
	g.Expect(wc.Create(ctx, plane.Client)).To(Succeed())
	var endpoint string
	g.Eventually(func() error {
		var err error
		endpoint, err = wc.Endpoint(ctx, plane.Client)
		return err
	}).WithTimeout(2*time.Minute).WithPolling(250*time.Millisecond).Should(Succeed(),
		"CAPD should give the workload cluster a control plane endpoint")
	g.Eventually(func() bool { return mgmt.Listening(endpoint) }).WithTimeout(2*time.Minute).WithPolling(250*time.Millisecond).Should(BeTrue(),
		"the workload cluster's simulated API server should listen at %s", endpoint)

	// What the plane holds while it runs.
	procs := plane.Processes()
	addrs := append(plane.Addresses(), endpoint)
	dirs := plane.TempDirs()
	children := childrenOf(os.Getpid())
	g.Expect(len(children)).To(BeNumerically(">=", len(procs)+2), "the controllers, etcd and kube-apiserver should run as children of the test")
	for _, a := range addrs {
		g.Expect(mgmt.Listening(a)).To(BeTrue(), "the plane should listen at %s while it runs", a)
	}
	for _, d := range dirs {
		g.Expect(d).To(BeADirectory(), "the plane's temporary folder %s should exist while it runs", d)
	}

	begin = time.Now()
	g.Expect(plane.Stop()).To(Succeed(), "the plane should stop cleanly")
	stopped = true
	t.Logf("plane stopped in %s", time.Since(begin).Round(time.Millisecond))
	g.Expect(plane.Stop()).To(Succeed(), "a second Stop should be harmless")

	// Stop returns only once everything is gone: no waiting here.
	g.Expect(childrenOf(os.Getpid())).To(BeEmpty(), "no child process of the test should remain (was %v)", children)
	for _, p := range procs {
		g.Expect(alive(p.PID)).To(BeFalse(), "%s (pid %d) should be gone", p.Name, p.PID)
		g.Expect(processGroupMembers(p.PID)).To(BeEmpty(), "nothing should remain in %s's process group %d", p.Name, p.PID)
	}
	for _, a := range addrs {
		g.Expect(mgmt.Listening(a)).To(BeFalse(), "nothing should listen at %s after Stop", a)
	}
	for _, d := range dirs {
		_, err := os.Stat(d)
		g.Expect(errors.Is(err, os.ErrNotExist)).To(BeTrue(), "the temporary folder %s should be removed (stat: %v)", d, err)
	}
	expectPlaneLockReleased(g)
}

// TestStartFailsFastWhenAControllerExits gives the 5-Spot manager a flag it
// does not know: Start must report its exit with the end of its log, well
// before the readiness timeout, and leave nothing running.
func TestStartFailsFastWhenAControllerExits(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dirsBefore, _ := filepath.Glob(filepath.Join(os.TempDir(), "5spot-mgmt-*"))

	logDir := t.TempDir() // kept logs survive the failed Start
	begin := time.Now()
	plane, err := mgmt.Start(ctx, mgmt.Options{
		Logf:         t.Logf,
		LogDir:       logDir,
		ManagerArgs:  []string{"--no-such-flag"},
		ReadyTimeout: 5 * time.Minute,
	})
	if plane != nil {
		_ = plane.Stop()
	}
	managerLog := filepath.Join(logDir, mgmt.ProcFiveSpot+".log")
	g.Expect(err).To(MatchError(And(
		ContainSubstring(mgmt.ProcFiveSpot+" exited before it was ready (exit status 2)"),
		ContainSubstring("last lines of "+managerLog),
	)), "Start should fail with the manager's exit and the end of its log")
	g.Expect(time.Since(begin)).To(BeNumerically("<", 2*time.Minute), "Start should not wait for the readiness timeout")
	g.Expect(os.ReadFile(managerLog)).To(ContainSubstring("flag provided but not defined: -no-such-flag"))

	g.Expect(childrenOf(os.Getpid())).To(BeEmpty(), "a failed Start should leave no child process")
	dirsAfter, _ := filepath.Glob(filepath.Join(os.TempDir(), "5spot-mgmt-*"))
	g.Expect(dirsAfter).To(ConsistOf(dirsBefore), "a failed Start should remove its temporary folder")
	expectPlaneLockReleased(g)
}

func expectPlaneLockReleased(g Gomega) {
	pid, err := mgmt.RunningPlanePID()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pid).To(BeZero(), "the machine-wide plane lock should be released")
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// procStat reads the parent pid and process group of a process from
// /proc/<pid>/stat ("pid (comm) state ppid pgrp ..."; comm may hold spaces).
func procStat(pid int) (ppid, pgrp int, ok bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 3 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	pgrp, _ = strconv.Atoi(fields[2])
	return ppid, pgrp, true
}

// allPIDs lists the processes in /proc.
func allPIDs() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func childrenOf(parent int) []int {
	var out []int
	for _, pid := range allPIDs() {
		if ppid, _, ok := procStat(pid); ok && ppid == parent {
			out = append(out, pid)
		}
	}
	return out
}

func processGroupMembers(pgid int) []int {
	var out []int
	for _, pid := range allPIDs() {
		if _, pgrp, ok := procStat(pid); ok && pgrp == pgid {
			out = append(out, pid)
		}
	}
	return out
}

// alive reports whether a process exists (a zombie counts: it was not reaped).
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}
