package scheduledmachinepool

import (
	"cmp"
	"slices"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// view is what planning knows about one slot. Planning is pure: it decides
// from views which slots go, come back or are replaced; the reconciler acts.
type view struct {
	Name string
	// Surplus: already being removed because the pool shrank.
	Surplus bool
	// Replacing: being replaced (roll or retry); the slot stays.
	Replacing bool
	// Live: its Machine exists and is not being deleted.
	Live bool
	// Ready: Running with a Ready Node.
	Ready bool
	// Outdated: built from an older template or control plane version.
	Outdated bool
	// Marked: carries cluster.x-k8s.io/delete-machine.
	Marked bool
}

// decision is what planning asks for.
type decision struct {
	// Remove are slots to remove as surplus now.
	Remove []string
	// Keep are surplus slots whose removal is cancelled (scale-up during a
	// scale-down reuses Machines not yet deleted).
	Keep []string
	// Add is the number of new slots.
	Add int
	// Replace are outdated slots to replace now (remove, then create again).
	Replace []string
}

// planScale matches the slots to desired. Surplus slots are chosen by
// deleteOrder; a shortfall is met first by cancelling removals of Machines
// not yet deleted (best first), then by new slots. Then outdated Machines
// are replaced while no more than maxUnavailable of the desired Machines are
// missing or not Ready.
func planScale(views []view, desired int, policy v1alpha1.PoolDeletePolicy, maxUnavailable int) decision {
	var d decision
	var kept, surplus []view
	for _, v := range views {
		if v.Surplus {
			surplus = append(surplus, v)
		} else {
			kept = append(kept, v)
		}
	}
	switch {
	case len(kept) > desired:
		order := deleteOrder(kept, policy)
		for _, v := range order[:len(kept)-desired] {
			d.Remove = append(d.Remove, v.Name)
		}
		kept = order[len(kept)-desired:]
	case len(kept) < desired:
		var reusable []view
		for _, v := range surplus {
			if v.Live {
				reusable = append(reusable, v)
			}
		}
		order := deleteOrder(reusable, policy)
		slices.Reverse(order) // the ones we would remove last are the best to keep
		for _, v := range order[:min(desired-len(kept), len(order))] {
			d.Keep = append(d.Keep, v.Name)
			kept = append(kept, v)
		}
		d.Add = desired - len(kept)
	}

	available := 0
	var candidates []view
	for _, v := range kept {
		if v.Ready && !v.Replacing {
			available++
		}
		if v.Outdated && v.Live && !v.Replacing {
			candidates = append(candidates, v)
		}
	}
	budget := maxUnavailable - (desired - available)
	for _, v := range deleteOrder(candidates, policy) {
		if budget <= 0 {
			break
		}
		d.Replace = append(d.Replace, v.Name)
		budget--
	}
	return d
}

// deleteOrder sorts slots, first to go first: slots without a live Machine
// (nothing to drain), Machines marked with cluster.x-k8s.io/delete-machine,
// for NotReadyFirst the Machines that are not Ready, outdated Machines (a
// shrink is their replacement point), then by age as the policy says.
func deleteOrder(views []view, policy v1alpha1.PoolDeletePolicy) []view {
	out := slices.Clone(views)
	rank := func(v view) int {
		switch {
		case !v.Live:
			return 0
		case v.Marked:
			return 1
		case policy == v1alpha1.DeleteNotReadyFirst && !v.Ready:
			return 2
		case v.Outdated:
			return 3
		}
		return 4
	}
	slices.SortStableFunc(out, func(a, b view) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if policy == v1alpha1.DeleteOldest {
			return compareIndex(a.Name, b.Name)
		}
		return compareIndex(b.Name, a.Name) // newest first
	})
	return out
}
