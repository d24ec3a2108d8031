package schedule

import "time"

// Active reports whether the schedule is active at t. It does not allocate.
//
// An override in force (t before Until) decides alone, even when the schedule
// is disabled: someone asked for it explicitly and it expires by itself.
func (s *Schedule) Active(t time.Time) bool {
	if o := s.override; o != nil && t.Before(o.Until) {
		return o.Mode == ForceOn
	}
	return s.normalActive(t)
}

// normalActive is the schedule without its override.
func (s *Schedule) normalActive(t time.Time) bool {
	if !s.enabled || !supported(t) {
		return false
	}
	_, off := t.In(s.loc).Zone()
	wm := floorDiv(t.Unix()+int64(off), 60)
	if len(s.excluded) > 0 && s.excluded.at(wm) {
		return false
	}
	return s.unionAt(t, wm)
}

// unionAt reports whether any form matches at t (exclusions aside); wm is t's
// wall minute.
func (s *Schedule) unionAt(t time.Time, wm int64) bool {
	if s.wall.defined && s.wall.at(wm) {
		return true
	}
	for i := range s.windows {
		if s.windows[i].activeAt(s.loc, t) {
			return true
		}
	}
	return false
}
