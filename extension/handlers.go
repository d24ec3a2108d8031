// Package extension is 5-Spot's Runtime SDK extension: lifecycle hooks that
// let schedule-owned Machines take part in ClusterClass cluster creation,
// upgrades and teardown. The hooks only open and close a gate on the Cluster
// and wake the ScheduledMachines; the controller does the work, the same way
// it does for clusters without a topology (through its Cluster watch).
package extension

import (
	"context"
	"fmt"
	"slices"
	"strings"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	runtimehooksv1 "sigs.k8s.io/cluster-api/api/runtime/hooks/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// DefaultRetryAfterSeconds is how soon CAPI asks again while a hook blocks.
const DefaultRetryAfterSeconds = 10

// Handlers answers Runtime SDK lifecycle hooks. Every handler is idempotent
// (CAPI calls all extensions again whenever one blocks), sets Status
// explicitly, and writes deterministic messages (they appear in Cluster
// conditions).
type Handlers struct {
	// Client reads and writes the management cluster.
	Client client.Client
	// Wake makes a Cluster's ScheduledMachines look again now.
	Wake func(ctx context.Context, cluster client.ObjectKey)
	// RetryAfterSeconds while blocking; DefaultRetryAfterSeconds when zero.
	RetryAfterSeconds int32
}

func (h *Handlers) retry() int32 {
	if h.RetryAfterSeconds > 0 {
		return h.RetryAfterSeconds
	}
	return DefaultRetryAfterSeconds
}

func (h *Handlers) wake(ctx context.Context, c *clusterv1.Cluster) {
	if h.Wake != nil {
		h.Wake(ctx, client.ObjectKeyFromObject(c))
	}
}

// scheduledMachines lists the Cluster's ScheduledMachines, sorted by name.
func (h *Handlers) scheduledMachines(ctx context.Context, c *clusterv1.Cluster) ([]v1alpha1.ScheduledMachine, error) {
	list := &v1alpha1.ScheduledMachineList{}
	if err := h.Client.List(ctx, list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	var out []v1alpha1.ScheduledMachine
	for _, sm := range list.Items {
		if sm.Spec.ClusterName == c.Name {
			out = append(out, sm)
		}
	}
	slices.SortFunc(out, func(a, b v1alpha1.ScheduledMachine) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// machines lists the Cluster's Machines that 5-Spot created, for
// ScheduledMachines and ScheduledMachinePools alike (each carries its
// owner's label; a label selector cannot say "either", so two lists).
func (h *Handlers) machines(ctx context.Context, c *clusterv1.Cluster) ([]clusterv1.Machine, error) {
	var out []clusterv1.Machine
	seen := map[string]bool{}
	for _, ownerLabel := range []string{v1alpha1.ScheduledMachineLabel, v1alpha1.ScheduledMachinePoolLabel} {
		list := &clusterv1.MachineList{}
		if err := h.Client.List(ctx, list, client.InNamespace(c.Namespace),
			client.MatchingLabels{clusterv1.ClusterNameLabel: c.Name}, client.HasLabels{ownerLabel}); err != nil {
			return nil, err
		}
		for _, m := range list.Items {
			if !seen[m.Name] {
				seen[m.Name] = true
				out = append(out, m)
			}
		}
	}
	slices.SortFunc(out, func(a, b clusterv1.Machine) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// pools lists the Cluster's ScheduledMachinePools, sorted by name.
func (h *Handlers) pools(ctx context.Context, c *clusterv1.Cluster) ([]v1alpha1.ScheduledMachinePool, error) {
	list := &v1alpha1.ScheduledMachinePoolList{}
	if err := h.Client.List(ctx, list, client.InNamespace(c.Namespace)); err != nil {
		return nil, err
	}
	var out []v1alpha1.ScheduledMachinePool
	for _, p := range list.Items {
		if p.Spec.ClusterName == c.Name {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b v1alpha1.ScheduledMachinePool) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// busyPools describes the Cluster's pools with Machines being created or
// removed: "<pool> (ScheduledMachinePool: 1 Provisioning, 2 ShuttingDown)".
func (h *Handlers) busyPools(ctx context.Context, c *clusterv1.Cluster) ([]string, error) {
	pools, err := h.pools(ctx, c)
	if err != nil {
		return nil, err
	}
	var busy []string
	for _, p := range pools {
		counts := map[v1alpha1.Phase]int{}
		for _, m := range p.Status.Machines {
			counts[m.Phase]++
		}
		var parts []string
		for _, phase := range []v1alpha1.Phase{v1alpha1.PhaseProvisioning, v1alpha1.PhaseShuttingDown} {
			if counts[phase] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[phase], phase))
			}
		}
		if len(parts) > 0 {
			busy = append(busy, fmt.Sprintf("%s (ScheduledMachinePool: %s)", p.Name, strings.Join(parts, ", ")))
		}
	}
	return busy, nil
}

type retryResponse interface {
	SetStatus(runtimehooksv1.ResponseStatus)
	SetMessage(string)
	SetRetryAfterSeconds(int32)
}

func fail(resp interface {
	SetStatus(runtimehooksv1.ResponseStatus)
	SetMessage(string)
}, err error) {
	resp.SetStatus(runtimehooksv1.ResponseStatusFailure)
	resp.SetMessage(err.Error())
}

func succeed(resp retryResponse, message string) {
	resp.SetStatus(runtimehooksv1.ResponseStatusSuccess)
	resp.SetRetryAfterSeconds(0)
	resp.SetMessage(message)
}

func (h *Handlers) block(resp retryResponse, message string) {
	resp.SetStatus(runtimehooksv1.ResponseStatusSuccess)
	resp.SetRetryAfterSeconds(h.retry())
	resp.SetMessage(message)
}

// AfterControlPlaneInitialized lets the Cluster's ScheduledMachines start
// activating: until the control plane is initialized they wait, with a
// condition that says so.
func (h *Handlers) AfterControlPlaneInitialized(ctx context.Context, req *runtimehooksv1.AfterControlPlaneInitializedRequest, resp *runtimehooksv1.AfterControlPlaneInitializedResponse) {
	h.wake(ctx, &req.Cluster)
	resp.SetStatus(runtimehooksv1.ResponseStatusSuccess)
	resp.SetMessage("")
}

// BeforeClusterUpgrade freezes new activations, then holds the upgrade while
// any of the Cluster's ScheduledMachines is Provisioning or ShuttingDown.
func (h *Handlers) BeforeClusterUpgrade(ctx context.Context, req *runtimehooksv1.BeforeClusterUpgradeRequest, resp *runtimehooksv1.BeforeClusterUpgradeResponse) {
	h.freezeAndWait(ctx, &req.Cluster, req.FromKubernetesVersion, req.ToKubernetesVersion, resp)
}

// BeforeControlPlaneUpgrade is BeforeClusterUpgrade for each control plane step.
func (h *Handlers) BeforeControlPlaneUpgrade(ctx context.Context, req *runtimehooksv1.BeforeControlPlaneUpgradeRequest, resp *runtimehooksv1.BeforeControlPlaneUpgradeResponse) {
	h.freezeAndWait(ctx, &req.Cluster, req.FromKubernetesVersion, req.ToKubernetesVersion, resp)
}

// setFreeze records or lifts the hold on every ScheduledMachine of the Cluster.
func (h *Handlers) setFreeze(ctx context.Context, cluster *clusterv1.Cluster, reason string) ([]v1alpha1.ScheduledMachine, error) {
	sms, err := h.scheduledMachines(ctx, cluster)
	if err != nil {
		return nil, err
	}
	for i := range sms {
		if err := lifecycle.SetFreeze(ctx, h.Client, &sms[i], reason); err != nil {
			return nil, fmt.Errorf("ScheduledMachine %s/%s: %w", sms[i].Namespace, sms[i].Name, err)
		}
	}
	// Pools hold their new Machines the same way.
	pools, err := h.pools(ctx, cluster)
	if err != nil {
		return nil, err
	}
	for i := range pools {
		if err := lifecycle.SetFreeze(ctx, h.Client, &pools[i], reason); err != nil {
			return nil, fmt.Errorf("ScheduledMachinePool %s/%s: %w", pools[i].Namespace, pools[i].Name, err)
		}
	}
	h.wake(ctx, cluster)
	return sms, nil
}

func (h *Handlers) freezeAndWait(ctx context.Context, cluster *clusterv1.Cluster, from, to string, resp retryResponse) {
	// Freeze first, then look: an activation cannot slip in between.
	sms, err := h.setFreeze(ctx, cluster, fmt.Sprintf("upgrade from %s to %s", from, to))
	if err != nil {
		fail(resp, fmt.Errorf("freezing activations for Cluster %s: %w", cluster.Name, err))
		return
	}
	var busy []string
	for _, sm := range sms {
		if sm.Status.Phase == v1alpha1.PhaseProvisioning || sm.Status.Phase == v1alpha1.PhaseShuttingDown {
			busy = append(busy, fmt.Sprintf("%s (%s)", sm.Name, sm.Status.Phase))
		}
	}
	pools, err := h.busyPools(ctx, cluster)
	if err != nil {
		fail(resp, err)
		return
	}
	busy = append(busy, pools...)
	if len(busy) > 0 {
		h.block(resp, "5-Spot: waiting for ScheduledMachines to settle: "+strings.Join(busy, ", "))
		return
	}
	succeed(resp, "")
}

// AfterControlPlaneUpgrade wakes the ScheduledMachines: Active ones still on
// the old version are replaced at the new one (the controller removes them
// gracefully, then creates them again; inactive ones get the new version at
// their next window).
func (h *Handlers) AfterControlPlaneUpgrade(ctx context.Context, req *runtimehooksv1.AfterControlPlaneUpgradeRequest, resp *runtimehooksv1.AfterControlPlaneUpgradeResponse) {
	h.wake(ctx, &req.Cluster)
	succeed(resp, "")
}

// BeforeWorkersUpgrade wakes the ScheduledMachines, like AfterControlPlaneUpgrade.
func (h *Handlers) BeforeWorkersUpgrade(ctx context.Context, req *runtimehooksv1.BeforeWorkersUpgradeRequest, resp *runtimehooksv1.BeforeWorkersUpgradeResponse) {
	h.wake(ctx, &req.Cluster)
	succeed(resp, "")
}

// AfterWorkersUpgrade holds until every scheduled Machine of the Cluster runs
// the new version.
func (h *Handlers) AfterWorkersUpgrade(ctx context.Context, req *runtimehooksv1.AfterWorkersUpgradeRequest, resp *runtimehooksv1.AfterWorkersUpgradeResponse) {
	h.wake(ctx, &req.Cluster)
	machines, err := h.machines(ctx, &req.Cluster)
	if err != nil {
		fail(resp, err)
		return
	}
	var old []string
	for _, m := range machines {
		if m.Spec.Version != "" && m.Spec.Version != req.KubernetesVersion {
			old = append(old, fmt.Sprintf("%s (%s)", m.Name, m.Spec.Version))
		}
	}
	if len(old) > 0 {
		h.block(resp, fmt.Sprintf("5-Spot: waiting for scheduled Machines to run %s: %s", req.KubernetesVersion, strings.Join(old, ", ")))
		return
	}
	succeed(resp, "")
}

// AfterClusterUpgrade lifts the freeze.
func (h *Handlers) AfterClusterUpgrade(ctx context.Context, req *runtimehooksv1.AfterClusterUpgradeRequest, resp *runtimehooksv1.AfterClusterUpgradeResponse) {
	if _, err := h.setFreeze(ctx, &req.Cluster, ""); err != nil {
		fail(resp, fmt.Errorf("lifting the activation freeze for Cluster %s: %w", req.Cluster.Name, err))
		return
	}
	succeed(resp, "")
}

// BeforeClusterDelete holds the Cluster's deletion until 5-Spot's Machines
// are gone: the controller deletes them without grace once it sees the
// Cluster deleting (CAPI's own deletion would otherwise wait for them forever).
func (h *Handlers) BeforeClusterDelete(ctx context.Context, req *runtimehooksv1.BeforeClusterDeleteRequest, resp *runtimehooksv1.BeforeClusterDeleteResponse) {
	h.wake(ctx, &req.Cluster)
	machines, err := h.machines(ctx, &req.Cluster)
	if err != nil {
		fail(resp, err)
		return
	}
	if len(machines) > 0 {
		names := make([]string, 0, len(machines))
		for _, m := range machines {
			names = append(names, m.Name)
		}
		h.block(resp, "5-Spot: waiting for scheduled Machines to be deleted: "+strings.Join(names, ", "))
		return
	}
	succeed(resp, "")
}
