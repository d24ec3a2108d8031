package lifecycle

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// CordonedAnnotation marks a Node that 5-Spot cordoned, so that only 5-Spot's
// own cordon is ever lifted (an administrator's stays).
const CordonedAnnotation = "5spot.finos.org/cordoned"

// NodeReady reports whether the Node's Ready condition is True.
func NodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// ReclaimRequested reports whether a node agent asked for emergency removal.
func ReclaimRequested(node *corev1.Node) bool {
	return node != nil && node.Annotations[v1alpha1.ReclaimRequestedAnnotation] == "true"
}

// Cordon marks the Node unschedulable, remembering that 5-Spot did it.
func Cordon(ctx context.Context, c client.Client, node *corev1.Node) error {
	if node.Spec.Unschedulable {
		return nil
	}
	base := node.DeepCopy()
	node.Spec.Unschedulable = true
	setAnnotation(node, CordonedAnnotation, "true")
	return c.Patch(ctx, node, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

// Uncordon lifts a cordon 5-Spot applied; an administrator's cordon stays.
func Uncordon(ctx context.Context, c client.Client, node *corev1.Node) error {
	if node.Annotations[CordonedAnnotation] != "true" {
		return nil
	}
	base := node.DeepCopy()
	node.Spec.Unschedulable = false
	delete(node.Annotations, CordonedAnnotation)
	return c.Patch(ctx, node, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

// ClearReclaim removes the reclaim request from the Node.
func ClearReclaim(ctx context.Context, c client.Client, node *corev1.Node) error {
	if _, ok := node.Annotations[v1alpha1.ReclaimRequestedAnnotation]; !ok {
		return nil
	}
	base := node.DeepCopy()
	delete(node.Annotations, v1alpha1.ReclaimRequestedAnnotation)
	return c.Patch(ctx, node, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

// TaintPlan is the outcome of reconciling requested taints with a Node's.
type TaintPlan struct {
	// Taints is the Node's full taint list after the change.
	Taints []corev1.Taint
	// Applied are the requested taints 5-Spot now owns on the Node.
	Applied []v1alpha1.NodeTaint
	// Conflicts are requested taints whose (key, effect) someone else set.
	Conflicts []v1alpha1.NodeTaint
	// Changed reports whether the Node needs an update.
	Changed bool
}

// PlanTaints computes the Node's taints: requested taints are added or their
// value updated when 5-Spot owns them (they are in owned), a taint with the
// same (key, effect) that 5-Spot did not apply is a conflict and left alone,
// and taints 5-Spot applied earlier but no longer requests are removed.
func PlanTaints(current []corev1.Taint, owned, requested []v1alpha1.NodeTaint) TaintPlan {
	id := func(key string, effect corev1.TaintEffect) string { return key + "\x00" + string(effect) }
	ownedIDs := map[string]bool{}
	for _, t := range owned {
		ownedIDs[id(t.Key, t.Effect)] = true
	}
	requestedIDs := map[string]v1alpha1.NodeTaint{}
	for _, t := range requested {
		requestedIDs[id(t.Key, t.Effect)] = t
	}

	plan := TaintPlan{}
	seen := map[string]bool{}
	for _, t := range current {
		k := id(t.Key, t.Effect)
		want, isRequested := requestedIDs[k]
		switch {
		case ownedIDs[k] && !isRequested:
			plan.Changed = true // ours, no longer requested: drop it
			continue
		case isRequested && !ownedIDs[k]:
			plan.Conflicts = append(plan.Conflicts, want)
			seen[k] = true
		case isRequested:
			seen[k] = true
			if t.Value != want.Value {
				t.Value = want.Value
				plan.Changed = true
			}
			plan.Applied = append(plan.Applied, want)
		}
		plan.Taints = append(plan.Taints, t)
	}
	for _, t := range requested {
		if k := id(t.Key, t.Effect); !seen[k] {
			plan.Taints = append(plan.Taints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
			plan.Applied = append(plan.Applied, t)
			plan.Changed = true
		}
	}
	sortTaints(plan.Applied)
	sortTaints(plan.Conflicts)
	return plan
}

func sortTaints(ts []v1alpha1.NodeTaint) {
	slices.SortFunc(ts, func(a, b v1alpha1.NodeTaint) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return strings.Compare(string(a.Effect), string(b.Effect))
	})
}

// OwnedTaints reads the taints 5-Spot recorded as applied on the Node.
func OwnedTaints(node *corev1.Node) []v1alpha1.NodeTaint {
	var owned []v1alpha1.NodeTaint
	if raw := node.Annotations[v1alpha1.AppliedTaintsAnnotation]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &owned) // a damaged record means: we own nothing
	}
	return owned
}

// ApplyTaints reconciles the Node's taints with requested and records what
// 5-Spot owns in an annotation on the Node. It writes only when something changes.
func ApplyTaints(ctx context.Context, c client.Client, node *corev1.Node, requested []v1alpha1.NodeTaint) (TaintPlan, error) {
	plan := PlanTaints(node.Spec.Taints, OwnedTaints(node), requested)
	record := ""
	if len(plan.Applied) > 0 {
		data, _ := json.Marshal(plan.Applied)
		record = string(data)
	}
	if !plan.Changed && node.Annotations[v1alpha1.AppliedTaintsAnnotation] == record {
		return plan, nil
	}
	base := node.DeepCopy()
	node.Spec.Taints = plan.Taints
	if record == "" {
		delete(node.Annotations, v1alpha1.AppliedTaintsAnnotation)
	} else {
		setAnnotation(node, v1alpha1.AppliedTaintsAnnotation, record)
	}
	return plan, c.Patch(ctx, node, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
}

func setAnnotation(node *corev1.Node, key, value string) {
	if node.Annotations == nil {
		node.Annotations = map[string]string{}
	}
	node.Annotations[key] = value
}
