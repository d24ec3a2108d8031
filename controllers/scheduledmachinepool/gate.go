package scheduledmachinepool

import (
	"fmt"
	"time"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/lifecycle"
)

// gate decides whether Machines may be created now, with the checks the
// ScheduledMachine controller runs before an activation: the control plane
// is initialized, the preflight checks of a MachineSet pass, and no Cluster
// upgrade froze new activations. Replacements (a roll to the control
// plane's new version) pass the freeze: the upgrade waits for them.
// The checks run once per reconcile, and only when something is to be created.
type gate struct {
	r *Reconciler
	s *scope

	checked, blocked bool
	// message explains why creation waits.
	message string
}

func (g *gate) allows(replacing bool) bool {
	if !g.checked {
		g.check()
	}
	if g.blocked {
		return false
	}
	if frozen := g.s.cluster.Frozen; frozen != "" && !replacing {
		g.message = fmt.Sprintf("the Cluster is upgrading (%s): new Machines wait until it is done", frozen)
		return false
	}
	return true
}

func (g *gate) check() {
	g.checked = true
	p, cp := g.s.pool, g.s.cluster.ControlPlane
	if !cp.Initialized {
		setCondition(p, v1alpha1.PreflightChecksPassedCondition, false, v1alpha1.ReasonControlPlaneNotReady,
			fmt.Sprintf("waiting for the control plane of Cluster %s to be initialized", p.Spec.ClusterName))
		g.blocked, g.message = true, "waiting for the control plane to be initialized"
		return
	}
	b := p.Spec.Template.BootstrapSpec
	pre := lifecycle.Preflight(cp, g.s.template.Version, b.APIVersion, b.Kind)
	setCondition(p, v1alpha1.PreflightChecksPassedCondition, pre.OK, pre.Reason, pre.Message)
	if !pre.OK {
		g.blocked, g.message = true, "preflight checks failed: "+pre.Message
		g.s.wake(g.s.now.Add(30 * time.Second))
	}
}
