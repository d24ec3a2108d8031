package scheduledmachinepool

import (
	"context"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// slot is one machine of the pool: its status entry and what exists for it.
type slot struct {
	v1alpha1.PoolMachine

	machine *clusterv1.Machine
	state   lifecycle.MachineState
	node    *corev1.Node
	// bootstrap and infra are read only while the slot has no Machine:
	// once it has one, Cluster API owns them.
	bootstrap, infra *unstructured.Unstructured

	// gone: the slot was removed and leaves status.
	gone bool
	// renew: the slot's next Machine gets a new name (retry after a
	// failure, replacement, or a leftover of that name still going).
	renew bool
}

// surplus reports a slot removed because the pool shrank (as opposed to a
// replacement, which keeps the slot).
func (sl *slot) surplus() bool { return sl.Phase == v1alpha1.PhaseShuttingDown && !sl.Replacing }

// hasObjects reports whether anything of the slot's current name exists.
func (sl *slot) hasObjects() bool { return sl.machine != nil || sl.bootstrap != nil || sl.infra != nil }

// live reports a Machine that exists and is not being deleted.
func (sl *slot) live() bool { return sl.machine != nil && !sl.state.Deleting }

// ready reports a Machine Running with a Ready Node.
func (sl *slot) ready() bool {
	return sl.live() && sl.state.Running && sl.node != nil && lifecycle.NodeReady(sl.node)
}

// index is the counter value a slot's name ends with ("<pool>-<counter>");
// it orders slots by age.
func index(name string) int64 {
	i := strings.LastIndexByte(name, '-')
	n, err := strconv.ParseInt(name[i+1:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// syncSlots writes the slots back into status, oldest first.
func (s *scope) syncSlots() {
	var out []v1alpha1.PoolMachine
	for _, sl := range s.slots {
		if !sl.gone && sl.Name != "" { // a new slot is recorded with its name
			out = append(out, sl.PoolMachine)
		}
	}
	slices.SortFunc(out, func(a, b v1alpha1.PoolMachine) int { return compareIndex(a.Name, b.Name) })
	s.pool.Status.Machines = out
}

func compareIndex(a, b string) int {
	if c := index(a) - index(b); c != 0 {
		if c < 0 {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// readMachines matches the pool's Machines to its slots, adopts Machines no
// slot knows (a status lost in a move or restore: never delete a running
// worker for that), reads bootstrap and infrastructure objects of slots
// without a Machine, and the Nodes.
func (r *Reconciler) readMachines(ctx context.Context, s *scope) error {
	p := s.pool
	list := &clusterv1.MachineList{}
	if err := r.Client.List(ctx, list, client.InNamespace(p.Namespace),
		client.MatchingLabels{v1alpha1.ScheduledMachinePoolLabel: p.Name}); err != nil {
		return err
	}
	byName := map[string]*slot{}
	s.slots = nil
	for _, m := range p.Status.Machines {
		sl := &slot{PoolMachine: *m.DeepCopy()}
		s.slots = append(s.slots, sl)
		byName[m.Name] = sl
	}
	for i := range list.Items {
		m := &list.Items[i]
		if !lifecycle.HasOwner(m, p.UID) {
			continue
		}
		sl := byName[m.Name]
		if sl == nil {
			if !m.DeletionTimestamp.IsZero() {
				s.leaving = append(s.leaving, m)
				continue
			}
			sl = &slot{PoolMachine: v1alpha1.PoolMachine{Name: m.Name, Phase: v1alpha1.PhaseProvisioning}}
			s.slots = append(s.slots, sl)
			p.Status.MachineCounter = max(p.Status.MachineCounter, index(m.Name))
		}
		sl.machine = m
		sl.state = lifecycle.ReadMachine(m)
	}
	for _, sl := range s.slots {
		if sl.machine != nil {
			continue
		}
		var err error
		bootstrap, infra, _ := lifecycle.Refs(s.refTemplate(), sl.Name)
		if sl.bootstrap, err = lifecycle.GetRef(ctx, r.Client, bootstrap, p.Namespace); err != nil {
			return err
		}
		if sl.infra, err = lifecycle.GetRef(ctx, r.Client, infra, p.Namespace); err != nil {
			return err
		}
	}
	s.read = true
	return r.readNodes(ctx, s)
}

// refTemplate addresses the objects of a slot by the template's kinds.
func (s *scope) refTemplate() lifecycle.Template {
	t := s.pool.Spec.Template
	return lifecycle.Template{BootstrapSpec: t.BootstrapSpec, InfrastructureSpec: t.InfrastructureSpec}
}

// newName gives a slot a fresh name, counting up. Callers persist it before
// creating anything under it.
func (s *scope) newName(sl *slot) {
	s.pool.Status.MachineCounter++
	sl.Name = lifecycle.ActivationName(s.pool.Name, s.pool.Status.MachineCounter)
	sl.machine, sl.bootstrap, sl.infra, sl.node = nil, nil, nil, nil
	sl.state = lifecycle.MachineState{}
	sl.NodeRef, sl.ProvisioningStartTime, sl.ShutdownDeadline = nil, nil, nil
	sl.renew = false
}

// outdated reports a Machine built from another template, or one that
// follows the control plane's version and the control plane moved on.
func (s *scope) outdated(sl *slot) bool {
	if !sl.live() {
		return false
	}
	return sl.machine.Labels[v1alpha1.TemplateHashLabel] != s.hash ||
		lifecycle.Outdated(s.pool.Spec.Template.Version, s.cluster.ControlPlane, sl.machine.Spec.Version)
}
