package scheduledmachinepool

import (
	"slices"
	"testing"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// ready returns views of ready, live, up-to-date Machines p-1..p-n.
func readyViews(names ...string) []view {
	out := make([]view, 0, len(names))
	for _, n := range names {
		out = append(out, view{Name: n, Live: true, Ready: true})
	}
	return out
}

func with(vs []view, name string, change func(*view)) []view {
	out := slices.Clone(vs)
	for i := range out {
		if out[i].Name == name {
			change(&out[i])
		}
	}
	return out
}

func TestScaleDownOrderFollowsTheDeletePolicy(t *testing.T) {
	four := readyViews("p-1", "p-2", "p-10", "p-4") // p-10 is newer than p-4: counters, not strings
	notReady := with(four, "p-2", func(v *view) { v.Ready = false })
	cases := []struct {
		name    string
		views   []view
		desired int
		policy  v1alpha1.PoolDeletePolicy
		remove  []string
	}{
		{"Newest removes the highest counters", four, 2, v1alpha1.DeleteNewest, []string{"p-10", "p-4"}},
		{"Oldest removes the lowest counters", four, 2, v1alpha1.DeleteOldest, []string{"p-1", "p-2"}},
		{"NotReadyFirst removes a not-ready Machine, then the newest", notReady, 2, v1alpha1.DeleteNotReadyFirst, []string{"p-2", "p-10"}},
		{"Newest ignores readiness", notReady, 3, v1alpha1.DeleteNewest, []string{"p-10"}},
		{"slots without a Machine go first whatever the policy", with(four, "p-1", func(v *view) { v.Live, v.Ready = false, false }), 3, v1alpha1.DeleteNewest, []string{"p-1"}},
		{"Machines marked delete-machine go before the policy's choice", with(four, "p-1", func(v *view) { v.Marked = true }), 3, v1alpha1.DeleteNewest, []string{"p-1"}},
		{"outdated Machines go at the next shrink", with(four, "p-2", func(v *view) { v.Outdated = true }), 3, v1alpha1.DeleteOldest, []string{"p-2"}},
		{"to zero", four, 0, v1alpha1.DeleteNewest, []string{"p-10", "p-4", "p-2", "p-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := planScale(c.views, c.desired, c.policy, 1)
			if !slices.Equal(d.Remove, c.remove) || d.Add != 0 || len(d.Keep) != 0 {
				t.Fatalf("got %+v, want remove %v", d, c.remove)
			}
		})
	}
}

func TestScaleUpReusesMachinesNotYetDeletedBeforeAddingNew(t *testing.T) {
	views := []view{
		{Name: "p-1", Live: true, Ready: true},
		{Name: "p-2", Live: true, Ready: true, Surplus: true},  // cordoned, in its grace period
		{Name: "p-3", Live: true, Ready: false, Surplus: true}, // still provisioning when the shrink came
		{Name: "p-4", Live: false, Surplus: true},              // already being deleted: cannot come back
	}
	cases := []struct {
		desired int
		keep    []string
		add     int
	}{
		{desired: 2, keep: []string{"p-2"}},                // the ready one is the better keep
		{desired: 3, keep: []string{"p-2", "p-3"}},         // then the others not yet deleted
		{desired: 5, keep: []string{"p-2", "p-3"}, add: 2}, // then new Machines
		{desired: 1},                    // nothing to do
		{desired: 0, keep: nil, add: 0}, // p-1 goes (checked below)
	}
	for _, c := range cases {
		d := planScale(views, c.desired, v1alpha1.DeleteNewest, 1)
		if !slices.Equal(d.Keep, c.keep) || d.Add != c.add {
			t.Errorf("desired %d: got %+v, want keep %v add %d", c.desired, d, c.keep, c.add)
		}
	}
	if d := planScale(views, 0, v1alpha1.DeleteNewest, 1); !slices.Equal(d.Remove, []string{"p-1"}) {
		t.Errorf("desired 0: got %+v", d)
	}
}

func TestRollReplacesAtMostMaxUnavailableAtATime(t *testing.T) {
	outdated := func(vs []view) []view {
		out := slices.Clone(vs)
		for i := range out {
			out[i].Outdated = true
		}
		return out
	}
	three := outdated(readyViews("p-1", "p-2", "p-3"))
	cases := []struct {
		name           string
		views          []view
		desired        int
		maxUnavailable int
		policy         v1alpha1.PoolDeletePolicy
		replace        []string
	}{
		{"one at a time, newest first", three, 3, 1, v1alpha1.DeleteNewest, []string{"p-3"}},
		{"oldest first with Oldest", three, 3, 1, v1alpha1.DeleteOldest, []string{"p-1"}},
		{"two at a time", three, 3, 2, v1alpha1.DeleteNewest, []string{"p-3", "p-2"}},
		{"never more than there are", three, 3, 5, v1alpha1.DeleteNewest, []string{"p-3", "p-2", "p-1"}},
		{"one being replaced uses the budget", with(three, "p-3", func(v *view) { v.Replacing, v.Ready = true, false }), 3, 1, v1alpha1.DeleteNewest, nil},
		{"its replacement still provisioning uses the budget", append(outdated(readyViews("p-1", "p-2")), view{Name: "p-4", Live: true}), 3, 1, v1alpha1.DeleteNewest, nil},
		{"a Machine that is not ready uses the budget", with(three, "p-1", func(v *view) { v.Ready = false }), 3, 1, v1alpha1.DeleteNewest, nil},
		{"a missing Machine (scale-up) uses the budget", outdated(readyViews("p-1", "p-2")), 3, 1, v1alpha1.DeleteNewest, nil},
		{"up-to-date Machines are not replaced", readyViews("p-1", "p-2"), 2, 1, v1alpha1.DeleteNewest, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := planScale(c.views, c.desired, c.policy, c.maxUnavailable)
			if !slices.Equal(d.Replace, c.replace) {
				t.Fatalf("got %+v, want replace %v", d, c.replace)
			}
		})
	}
}

func TestShrinkIsTheReplacementPointOfOutdatedMachines(t *testing.T) {
	views := with(readyViews("p-1", "p-2", "p-3"), "p-1", func(v *view) { v.Outdated = true })
	d := planScale(views, 2, v1alpha1.DeleteNewest, 1)
	if !slices.Equal(d.Remove, []string{"p-1"}) || len(d.Replace) != 0 {
		t.Fatalf("the outdated Machine goes with the shrink, nothing else rolls: %+v", d)
	}
}

func TestIndexOrdersByCounter(t *testing.T) {
	if index("workers-12") != 12 || index("a-b-3") != 3 || index("weird") != 0 {
		t.Fatal("index parses the counter suffix")
	}
	if compareIndex("w-9", "w-10") >= 0 {
		t.Fatal("w-9 is older than w-10")
	}
}
