package schedule

import "time"

// Windows returns up to n active intervals that end after t, in order, each
// the maximal stretch of active time (overlapping or touching windows and
// forms are one interval). Times are in the schedule's zone.
//
// Bounds: the search ends at t+Horizon; an interval still open then ends at
// t+Horizon. An interval already open at t starts at its real start, found
// by searching back at most Horizon (an older start is reported as
// t-Horizon). An override has no start time, so the search back never enters
// the time an override decided: an interval it forces open starts at t, and
// one running across an expired override's Until starts at Until.
func (s *Schedule) Windows(t time.Time, n int) []Interval {
	t = t.Round(0)
	if n <= 0 || !supported(t) {
		return nil
	}
	limit := searchLimit(t)
	horizonEnd := t.Add(Horizon)
	if horizonEnd.After(limit) {
		horizonEnd = limit
	}
	out := make([]Interval, 0, min(n, 16))
	add := func(start, end time.Time) { out = append(out, Interval{Start: start.In(s.loc), End: end.In(s.loc)}) }

	cur := t
	if s.Active(t) {
		end, ok := s.nextChange(t, limit)
		if !ok {
			add(s.activeSince(t), horizonEnd)
			return out
		}
		add(s.activeSince(t), end)
		cur = end
	}
	for len(out) < n {
		on, ok := s.nextChange(cur, limit)
		if !ok {
			break
		}
		off, ok := s.nextChange(on, limit)
		if !ok {
			add(on, horizonEnd)
			break
		}
		add(on, off)
		cur = off
	}
	return out
}

// lookBack are the spans activeSince tries, shortest first: most intervals
// began within a day, and each try costs a walk over the span.
var lookBack = [...]time.Duration{24 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour, Horizon}

// activeSince returns the start of the active interval holding t (t active).
func (s *Schedule) activeSince(t time.Time) time.Time {
	floor := t.Add(-Horizon)
	if floor.Before(minSupported) {
		floor = minSupported
	}
	if o := s.override; o != nil && o.Until.After(floor) {
		floor = o.Until
		if t.Before(floor) {
			floor = t
		}
	}
	until := t.Add(time.Nanosecond)
	for _, back := range lookBack {
		from := t.Add(-back)
		if from.Before(floor) {
			from = floor
		}
		// Walk forward over the intervals in [from, t] to the one holding t.
		cur := from
		if s.Active(from) {
			off, ok := s.nextChange(from, until)
			if !ok { // active all the way from from to t: look further back
				if !from.After(floor) {
					return floor
				}
				continue
			}
			cur = off
		}
		for {
			on, ok := s.nextChange(cur, until)
			if !ok {
				return t // unreachable: t is active and cur is not
			}
			off, ok := s.nextChange(on, until)
			if !ok {
				return on
			}
			cur = off
		}
	}
	return floor
}
