package schedule

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Report is what `kubectl 5spot preview` shows for one schedule. All times
// are UTC so that the JSON reads "2026-11-27T20:00:00Z".
type Report struct {
	Name   string `json:"name"`
	Active bool   `json:"active"`
	// NextActivation is when an inactive schedule next becomes active; null
	// when active now or never within Horizon.
	NextActivation *time.Time `json:"nextActivation"`
	// NextCleanup is when an active schedule next becomes inactive; null when
	// inactive now or active throughout Horizon.
	NextCleanup *time.Time     `json:"nextCleanup"`
	Windows     []ReportWindow `json:"windows"`
	Warnings    []string       `json:"warnings"`

	zone *time.Location // for WriteTable's local times; not part of the JSON
}

// ReportWindow is one active interval [Start, End).
type ReportWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Preview compiles spec (errors under spec.schedule) and reports its state
// at at and its next count windows.
func Preview(name string, spec Spec, at time.Time, count int) (Report, field.ErrorList) {
	s, errs := Compile(spec, field.NewPath("spec", "schedule"))
	if len(errs) > 0 {
		return Report{Name: name, Windows: []ReportWindow{}, Warnings: []string{}}, errs
	}
	return PreviewSchedule(name, s, at, count), nil
}

// PreviewSchedule reports the state of a compiled schedule at at and its next
// count windows, with warnings about what a reader could misjudge:
//   - a listed window whose elapsed length differs from its wall-clock length
//     because of a DST change;
//   - local dates on which excludeDates removed activity within the previewed
//     range (from at to the end of the last listed window, or Horizon when
//     fewer windows exist);
//   - a schedule that never activates within Horizon.
func PreviewSchedule(name string, s *Schedule, at time.Time, count int) Report {
	at = at.Round(0)
	r := Report{Name: name, Active: s.Active(at), Windows: []ReportWindow{}, Warnings: []string{}, zone: s.loc}
	if next, ok := s.Next(at); ok {
		next = next.UTC()
		if r.Active {
			r.NextCleanup = &next
		} else {
			r.NextActivation = &next
		}
	}
	horizonEnd := at.Add(Horizon)
	listed := s.Windows(at, count)
	for _, w := range listed {
		r.Windows = append(r.Windows, ReportWindow{Start: w.Start.UTC(), End: w.End.UTC()})
		if w.End.Equal(horizonEnd) {
			continue // cut at the horizon: its real end is unknown
		}
		if msg, ok := dstWarning(w, s.loc); ok {
			r.Warnings = append(r.Warnings, msg)
		}
	}
	never := s.NeverActive(at)
	rangeEnd := at // nothing listed: nothing previewed
	switch {
	case len(listed) > 0 && len(listed) == count:
		rangeEnd = listed[len(listed)-1].End
	case len(listed) < count || never:
		rangeEnd = horizonEnd // searched the whole horizon
	}
	r.Warnings = append(r.Warnings, s.exclusionWarnings(at, rangeEnd)...)
	if never {
		r.Warnings = append(r.Warnings, "never activates within 4 years")
	}
	return r
}

// dstWarning flags an interval whose wall-clock length differs from its
// elapsed length, that is, whose ends have different UTC offsets.
func dstWarning(w Interval, loc *time.Location) (string, bool) {
	start, end := w.Start.In(loc), w.End.In(loc)
	_, startOff := start.Zone()
	_, endOff := end.Zone()
	if startOff == endOff {
		return "", false
	}
	return fmt.Sprintf("window %s–%s %s lasts %s because of a DST change",
		formatLocal(start, true), formatLocal(end, !sameDate(start, end)), loc, end.Sub(start)), true
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// formatLocal shows a local time to the minute, with seconds only when it has some.
func formatLocal(t time.Time, withDate bool) string {
	layout := "15:04"
	if t.Second() != 0 || t.Nanosecond() != 0 {
		layout = "15:04:05.999999999"
	}
	if withDate {
		layout = "2006-01-02 " + layout
	}
	return t.Format(layout)
}

// exclusionWarnings lists the excluded local dates in [from, to) on which the
// schedule would have been active without excludeDates, consecutive dates
// joined into ranges.
func (s *Schedule) exclusionWarnings(from, to time.Time) []string {
	if len(s.excluded) == 0 || !from.Before(to) {
		return nil
	}
	unexcluded := *s
	unexcluded.excluded = nil
	if o := s.override; o != nil && from.Before(o.Until) {
		from = o.Until // while the override decides, exclusions remove nothing
	}
	firstDay := floorDiv(from.Unix()+int64(offsetAt(s.loc, from)), secondsPerDay)
	lastDay := floorDiv(to.Unix()+int64(offsetAt(s.loc, to)), secondsPerDay)
	var removed []dayRange
	for _, r := range s.excluded {
		for day := max(r.first, firstDay); day <= min(r.last, lastDay); day++ {
			lo, hi := s.localDayStart(day), s.localDayStart(day+1)
			lo, hi = later(lo, from), earlier(hi, to)
			if !lo.Before(hi) {
				continue
			}
			if next, ok := unexcluded.nextChange(lo, hi); unexcluded.normalActive(lo) || ok && next.Before(hi) {
				if n := len(removed); n > 0 && removed[n-1].last == day-1 {
					removed[n-1].last = day
				} else {
					removed = append(removed, dayRange{day, day})
				}
			}
		}
	}
	var out []string
	for _, r := range removed {
		text := dateOf(r.first).String()
		if r.last != r.first {
			text += ".." + dateOf(r.last).String()
		}
		out = append(out, "excludeDates removes activity on "+text)
	}
	return out
}

// localDayStart is the first instant whose local date is day or later.
func (s *Schedule) localDayStart(day int64) time.Time {
	midnight := day * secondsPerDay
	return firstWall(s.loc, time.Unix(midnight-2*secondsPerDay, 0), time.Unix(midnight+2*secondsPerDay, 0), true, dayAtLeast(day))
}

func offsetAt(loc *time.Location, t time.Time) int {
	_, off := t.In(loc).Zone()
	return off
}

func dateOf(day int64) Date {
	y, m, d := civilFromDays(day)
	return Date{Year: int(y), Month: time.Month(m), Day: d}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
