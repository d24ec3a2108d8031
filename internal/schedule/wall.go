package schedule

import (
	"math/bits"
	"sort"
	"time"
)

// A wallPredicate is a yes/no question about a wall minute, such as "does the
// day/hour form match" or "is this local date excluded". find lets searches
// skip ahead by hours, days or months instead of minute by minute.
type wallPredicate interface {
	at(wm int64) bool
	// find returns the first wall minute in [from, to] where at == want.
	find(from, to int64, want bool) (int64, bool)
}

// firstWall returns the first instant in [t, limit) at which p(local wall
// minute) == want, or limit when there is none.
func firstWall(loc *time.Location, t, limit time.Time, want bool, p wallPredicate) time.Time {
	cur := t
	for cur.Before(limit) {
		seg := zoneSegment(loc, cur)
		wm := seg.wallMinute(cur)
		if p.at(wm) == want {
			return cur
		}
		if r, ok := p.find(wm+1, seg.lastWallMinuteBefore(limit), want); ok {
			if at := seg.instant(r); at.Before(limit) {
				return at
			}
			return limit
		}
		if !seg.hasEnd {
			break
		}
		cur = time.Unix(seg.end, 0)
	}
	return limit
}

// wallForm is the union of the day/hour form and the cron mask: both read
// the wall clock minute by minute, so they are one predicate.
type wallForm struct {
	defined    bool      // some wall form was given
	hoursByDay [7]uint32 // day/hour form: the hours active on each weekday
	hasMask    bool
	mask       Cron
}

// hourMinutes returns the active minutes of hour h on a day (bits 0-59).
func (f *wallForm) hourMinutes(dayHours uint32, maskDay bool, h int64) uint64 {
	if dayHours&(1<<uint(h)) != 0 {
		return all60
	}
	if maskDay && f.mask.hour&(1<<uint(h)) != 0 {
		return f.mask.minute
	}
	return 0
}

func (f *wallForm) at(wm int64) bool {
	day := floorDiv(wm, minutesPerDay)
	mod := wm - day*minutesPerDay
	h := mod / 60
	if f.hoursByDay[weekdayOf(day)]&(1<<uint(h)) != 0 {
		return true
	}
	return f.hasMask && f.mask.hour&(1<<uint(h)) != 0 && f.mask.minute&(1<<uint(mod%60)) != 0 &&
		f.mask.dayMatchesNumber(day)
}

func (f *wallForm) find(from, to int64, want bool) (int64, bool) {
	hasDayHour := f.hoursByDay != [7]uint32{}
	wm := from
	for wm <= to {
		day := floorDiv(wm, minutesPerDay)
		y, m, d := civilFromDays(day)
		dayHours := f.hoursByDay[weekdayOf(day)]
		maskDay := f.hasMask && f.mask.dayMatches(m, d, weekdayOf(day))
		if want {
			if dayHours == 0 && !maskDay { // nothing today
				if !hasDayHour && (!f.hasMask || f.mask.month&(1<<uint(m)) == 0) {
					wm = daysFromCivil(y, m+1, 1) * minutesPerDay // nothing this month
				} else {
					wm = (day + 1) * minutesPerDay
				}
				continue
			}
		} else if dayHours == all24 || (maskDay && f.mask.hour == all24 && f.mask.minute == all60) {
			wm = (day + 1) * minutesPerDay // all of today
			continue
		}
		mod := wm - day*minutesPerDay
		for h, minute := mod/60, uint(mod%60); h < 24; h, minute = h+1, 0 {
			x := f.hourMinutes(dayHours, maskDay, h)
			if !want {
				x = ^x & all60
			}
			if x = x >> minute << minute; x != 0 {
				r := day*minutesPerDay + h*60 + int64(bits.TrailingZeros64(x))
				return r, r <= to
			}
		}
		wm = (day + 1) * minutesPerDay
	}
	return 0, false
}

// exclusions is the set of excluded local days, as sorted, disjoint,
// non-adjacent inclusive ranges of day numbers.
type exclusions []dayRange

type dayRange struct{ first, last int64 }

func newExclusions(ranges []dayRange) exclusions {
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].first < ranges[j].first })
	var out exclusions
	for _, r := range ranges {
		if n := len(out); n > 0 && r.first <= out[n-1].last+1 {
			out[n-1].last = max(out[n-1].last, r.last)
			continue
		}
		out = append(out, r)
	}
	return out
}

// rangeFrom returns the index of the first range ending on or after day.
func (x exclusions) rangeFrom(day int64) int {
	return sort.Search(len(x), func(i int) bool { return x[i].last >= day })
}

func (x exclusions) at(wm int64) bool {
	day := floorDiv(wm, minutesPerDay)
	i := x.rangeFrom(day)
	return i < len(x) && x[i].first <= day
}

func (x exclusions) find(from, to int64, want bool) (int64, bool) {
	day := floorDiv(from, minutesPerDay)
	i := x.rangeFrom(day)
	inside := i < len(x) && x[i].first <= day
	switch {
	case inside == want:
		return from, from <= to
	case want && i < len(x): // next excluded range
		r := x[i].first * minutesPerDay
		return r, r <= to
	case !want: // the day after this range, never excluded as ranges do not touch
		r := (x[i].last + 1) * minutesPerDay
		return r, r <= to
	}
	return 0, false
}

// dayAtLeast asks "is the local date day or later"; previews use it to find
// where a local day begins.
type dayAtLeast int64

func (d dayAtLeast) at(wm int64) bool { return floorDiv(wm, minutesPerDay) >= int64(d) }

func (d dayAtLeast) find(from, to int64, want bool) (int64, bool) {
	if d.at(from) == want {
		return from, from <= to
	}
	if want {
		r := int64(d) * minutesPerDay
		return r, r <= to
	}
	return 0, false
}
