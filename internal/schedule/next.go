package schedule

import "time"

// Searches combine the forms as sets of instants:
//
//	active = enabled AND NOT excluded AND (wall form OR window 1 OR window 2 ...)
//
// with an override in force deciding alone. onFrom and offFrom find the first
// instant at or after t with the answer "on" or "off"; each component answers
// the same questions for itself, skipping whole hours, days and months. Every
// search is bounded by a limit instant and returns the limit when it finds
// nothing.

// Next returns the first instant after t at which Active changes, and false
// when it does not change within Horizon. The instant is in the schedule's zone.
func (s *Schedule) Next(t time.Time) (time.Time, bool) {
	t = t.Round(0)
	at, ok := s.nextChange(t, searchLimit(t))
	if !ok {
		return time.Time{}, false
	}
	return at.In(s.loc), true
}

// NeverActive reports that the schedule is inactive at from and stays so for
// Horizon. Admission warns about such schedules.
func (s *Schedule) NeverActive(from time.Time) bool {
	from = from.Round(0)
	if s.Active(from) {
		return false
	}
	_, ok := s.nextChange(from, searchLimit(from))
	return !ok
}

// searchLimit is the exclusive end of a search from t: changes at t+Horizon
// still count.
func searchLimit(t time.Time) time.Time {
	if limit := t.Add(Horizon + time.Nanosecond); limit.Before(maxSupported) {
		return limit
	}
	return maxSupported
}

// nextChange returns the first instant in (t, limit) at which Active changes.
func (s *Schedule) nextChange(t, limit time.Time) (time.Time, bool) {
	if !t.Before(limit) {
		return time.Time{}, false
	}
	if o := s.override; o != nil && t.Before(o.Until) {
		forced := o.Mode == ForceOn
		if !o.Until.Before(limit) {
			return time.Time{}, false
		}
		if s.normalActive(o.Until) != forced {
			return o.Until, true // expiry flips the answer
		}
		return s.normalChange(o.Until, forced, limit)
	}
	if !supported(t) {
		return time.Time{}, false
	}
	return s.normalChange(t, s.normalActive(t), limit)
}

// normalChange returns the first instant in [t, limit) at which the schedule
// without override stops answering from.
func (s *Schedule) normalChange(t time.Time, from bool, limit time.Time) (time.Time, bool) {
	var at time.Time
	if from {
		at = s.offFrom(t, limit)
	} else {
		at = s.onFrom(t, limit)
	}
	return at, at.Before(limit)
}

// onFrom returns the first instant in [t, limit) at which the schedule
// (without override) is active, or limit.
func (s *Schedule) onFrom(t, limit time.Time) time.Time {
	if !s.enabled {
		return limit
	}
	cur := t
	for cur.Before(limit) {
		if len(s.excluded) > 0 {
			cur = firstWall(s.loc, cur, limit, false, &s.excluded)
		}
		on := s.unionOn(cur, limit)
		if !on.Before(limit) || len(s.excluded) == 0 || !s.excludedAt(on) {
			return on
		}
		cur = on // lands in an excluded day: go on after it
	}
	return limit
}

// offFrom returns the first instant in [t, limit) at which the schedule
// (without override) is inactive, or limit.
func (s *Schedule) offFrom(t, limit time.Time) time.Time {
	if !s.enabled {
		return t
	}
	if len(s.excluded) > 0 {
		limit = firstWall(s.loc, t, limit, true, &s.excluded)
	}
	return s.unionOff(t, limit)
}

func (s *Schedule) excludedAt(t time.Time) bool {
	_, off := t.In(s.loc).Zone()
	return s.excluded.at(floorDiv(t.Unix()+int64(off), 60))
}

// unionOn returns the first instant in [t, limit) at which some form
// matches, or limit.
func (s *Schedule) unionOn(t, limit time.Time) time.Time {
	best := limit
	if s.wall.defined {
		best = firstWall(s.loc, t, best, true, &s.wall)
	}
	for i := range s.windows {
		w := &s.windows[i]
		if w.activeAt(s.loc, t) {
			return t
		}
		if at, ok := w.nextStart(s.loc, t, best); ok {
			best = at
		}
	}
	return best
}

// unionOff returns the first instant in [t, limit) at which no form
// matches, or limit. While something matches, it jumps to the farthest end
// among the matching forms: everything before it is covered by that form.
func (s *Schedule) unionOff(t, limit time.Time) time.Time {
	cur := t
	for cur.Before(limit) {
		reach, matching := cur, false
		if s.wall.defined {
			_, off := cur.In(s.loc).Zone()
			if s.wall.at(floorDiv(cur.Unix()+int64(off), 60)) {
				matching = true
				reach = firstWall(s.loc, cur, limit, false, &s.wall)
			}
		}
		for i := range s.windows {
			w := &s.windows[i]
			if w.activeAt(s.loc, cur) {
				matching = true
				if end := w.offFrom(s.loc, cur, limit); end.After(reach) {
					reach = end
				}
			}
		}
		if !matching {
			return cur
		}
		cur = reach
	}
	return limit
}
