// Package poolschedule turns a ScheduledMachinePool's baseline, schedule
// entries and override into a desired replica count over time: the count at
// an instant, the next instant it changes, and the next n changes. It is
// pure (no clock, no API) and built on the schedule engine, so the
// controller, admission and `kubectl 5spot preview` agree to the instant.
//
// Desired count at t:
//   - an override in force (t before until) decides: its replicas, else for
//     ForceOn the largest of the baseline and every enabled entry's replicas,
//     for ForceOff the baseline;
//   - otherwise the largest of the baseline and the replicas of every entry
//     active at t.
package poolschedule

import (
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/schedule"
)

// maxSteps bounds the walk over entry transitions that leave the count
// unchanged (an entry below another that is active); reaching it is treated
// as "no change found", like the engine's Horizon.
const maxSteps = 100000

// Plan is a compiled pool schedule. It is immutable.
type Plan struct {
	baseline int32
	entries  []entry
	override *override
}

type entry struct {
	name     string
	replicas int32
	enabled  bool
	s        *schedule.Schedule
}

type override struct {
	mode     v1alpha1.OverrideMode
	until    time.Time
	replicas int32
}

// State is what the pool should look like at an instant.
type State struct {
	// Replicas is the desired count.
	Replicas int32
	// Active names the entries whose schedule is active (in spec order),
	// whether or not an override decides the count.
	Active []string
	// Override is the override's mode while it is in force, else "".
	Override v1alpha1.OverrideMode
}

// Change is a change of the desired count.
type Change struct {
	Time     time.Time
	Replicas int32
	// Active names the entries active from Time on.
	Active []string
}

// Compile compiles every entry's schedule; errors name the entry's field path
// (spec.schedules[i].schedule...).
func Compile(spec *v1alpha1.ScheduledMachinePoolSpec) (*Plan, field.ErrorList) {
	p := &Plan{baseline: deref(spec.Replicas)}
	var errs field.ErrorList
	for i, e := range spec.Schedules {
		s, es := schedule.Compile(e.Schedule.EngineSpec(nil), field.NewPath("spec", "schedules").Index(i).Child("schedule"))
		errs = append(errs, es...)
		p.entries = append(p.entries, entry{name: e.Name, replicas: e.Replicas, enabled: e.Schedule.Enabled == nil || *e.Schedule.Enabled, s: s})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if o := spec.Override; o != nil {
		p.override = &override{mode: o.Mode, until: o.Until.Time, replicas: p.forced(o)}
	}
	return p, nil
}

// forced is the count an override asks for.
func (p *Plan) forced(o *v1alpha1.PoolOverride) int32 {
	switch {
	case o.Replicas != nil:
		return *o.Replicas
	case o.Mode == v1alpha1.OverrideForceOn:
		peak := p.baseline
		for _, e := range p.entries {
			if e.enabled {
				peak = max(peak, e.replicas)
			}
		}
		return peak
	default:
		return p.baseline
	}
}

// Entries returns the number of schedule entries.
func (p *Plan) Entries() int { return len(p.entries) }

// NeverActive names the entries that are inactive at t and stay so for the
// engine's horizon, in spec order.
func (p *Plan) NeverActive(t time.Time) []string {
	var out []string
	for _, e := range p.entries {
		if e.s.NeverActive(t) {
			out = append(out, e.name)
		}
	}
	return out
}

// NeverRaises names the entries whose replicas do not exceed the baseline:
// they never change the desired count.
func (p *Plan) NeverRaises() []string {
	var out []string
	for _, e := range p.entries {
		if e.replicas <= p.baseline {
			out = append(out, e.name)
		}
	}
	return out
}

// At returns the desired state at t.
func (p *Plan) At(t time.Time) State {
	st := State{Replicas: p.baseline}
	for _, e := range p.entries {
		if e.s.Active(t) {
			st.Active = append(st.Active, e.name)
			st.Replicas = max(st.Replicas, e.replicas)
		}
	}
	if o := p.override; o != nil && t.Before(o.until) {
		st.Override = o.mode
		st.Replicas = o.replicas
	}
	return st
}

// Next returns the first instant after t at which the desired count changes,
// and false when it does not change within the engine's horizon. Transitions
// of entries that leave the count as it is (an entry below the baseline, or
// below another active entry) are skipped.
func (p *Plan) Next(t time.Time) (Change, bool) {
	t = t.Round(0)
	limit := t.Add(schedule.Horizon)
	current := p.At(t).Replicas
	// next[i] caches entry i's next transition after cursor; zero when none.
	next := make([]time.Time, len(p.entries))
	known := make([]bool, len(p.entries))
	cursor := t
	for range maxSteps {
		candidate, ok := time.Time{}, false
		take := func(c time.Time) {
			if !ok || c.Before(candidate) {
				candidate, ok = c, true
			}
		}
		if o := p.override; o != nil && cursor.Before(o.until) {
			take(o.until) // while it is in force only its expiry matters
		} else {
			for i, e := range p.entries {
				if e.replicas <= p.baseline {
					continue // can never raise the count
				}
				if !known[i] || !next[i].After(cursor) {
					n, found := e.s.Next(cursor)
					next[i], known[i] = time.Time{}, true
					if found {
						next[i] = n
					}
				}
				if !next[i].IsZero() {
					take(next[i])
				}
			}
		}
		if !ok || candidate.After(limit) {
			return Change{}, false
		}
		st := p.At(candidate)
		if st.Replicas != current {
			return Change{Time: candidate, Replicas: st.Replicas, Active: st.Active}, true
		}
		cursor = candidate
	}
	return Change{}, false
}

// Changes returns up to n changes of the desired count after t, in order.
func (p *Plan) Changes(t time.Time, n int) []Change {
	var out []Change
	for len(out) < n {
		c, ok := p.Next(t)
		if !ok {
			break
		}
		out = append(out, c)
		t = c.Time
	}
	return out
}

func deref(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
