package schedule

import "time"

// A window opens at each start and stays open for length of elapsed time.
//
// Starts are wall-clock minutes matching the start cron, turned into
// instants segment by segment: a wall minute opens at its first occurrence
// (a fall-back segment skips the wall minutes the previous segment already
// showed), and wall minutes skipped by a spring-forward gap open at the
// segment start, the first instant after the gap.
type window struct {
	start  Cron
	length time.Duration
	// On a matching day the starts follow a fixed pattern; when its longest
	// gap is no longer than length, one start's window reaches the next, so
	// the whole day's starts form one interval. offFrom uses that to jump a
	// day at a time through dense windows such as "*/5 * * * *" for 10m.
	dayLast       int64 // minute of day of the last start
	chainsThrough bool  // every gap between a day's starts is at most length
	// chainsForever: every day matches and the overnight gap is no longer
	// than length either, so windows chain up to the last start of a segment.
	chainsForever bool
}

func newWindow(start Cron, length time.Duration) window {
	w := window{start: start, length: length}
	first, last, maxGap, ok := start.startsOfDay()
	w.dayLast = last
	w.chainsThrough = ok && time.Duration(maxGap)*time.Minute <= length
	overnight := time.Duration(minutesPerDay-last+first) * time.Minute
	w.chainsForever = w.chainsThrough && start.everyDay() && overnight <= length
	return w
}

// opening is a start found by a search.
type opening struct {
	at      time.Time
	seg     segment // the segment it lies in
	wm      int64   // its wall minute
	fromGap bool    // a start pushed out of a spring-forward gap (wm is meaningless)
}

// latestStart returns the last start in (after, upTo].
func (w *window) latestStart(loc *time.Location, upTo, after time.Time) (opening, bool) {
	afterSec := after.Unix()
	seg := zoneSegment(loc, upTo)
	hi := seg.wallMinute(upTo)
	for {
		lo := seg.wallMinute(after) + 1
		if seg.hasStart {
			lo = max(lo, seg.firstWallMinute())
		}
		if r, ok := seg.repeatsUntil(); ok {
			lo = max(lo, r)
		}
		if wm, ok := w.start.prev(hi, lo); ok {
			return opening{at: seg.instant(wm), seg: seg, wm: wm}, true
		}
		if !seg.hasStart || seg.start <= afterSec {
			return opening{}, false
		}
		if from, to, ok := seg.gap(); ok {
			if _, hit := w.start.next(from, to); hit {
				return opening{at: time.Unix(seg.start, 0), seg: seg, fromGap: true}, true
			}
		}
		seg = zoneSegment(loc, time.Unix(seg.start-1, 0))
		hi = ceilDiv(seg.end+seg.off, 60) - 1
	}
}

// nextStart returns the first start in (after, limit).
func (w *window) nextStart(loc *time.Location, after, limit time.Time) (time.Time, bool) {
	seg := zoneSegment(loc, after)
	lo := seg.wallMinute(after) + 1
	for {
		if r, ok := seg.repeatsUntil(); ok {
			lo = max(lo, r)
		}
		if wm, ok := w.start.next(lo, seg.lastWallMinuteBefore(limit)); ok {
			at := seg.instant(wm)
			return at, at.Before(limit)
		}
		if !seg.hasEnd {
			return time.Time{}, false
		}
		next := time.Unix(seg.end, 0)
		if !next.Before(limit) {
			return time.Time{}, false
		}
		seg = zoneSegment(loc, next)
		if from, to, ok := seg.gap(); ok {
			if _, hit := w.start.next(from, to); hit {
				return next, true
			}
		}
		lo = seg.firstWallMinute()
	}
}

// activeAt reports whether some start lies in (t-length, t].
func (w *window) activeAt(loc *time.Location, t time.Time) bool {
	_, ok := w.latestStart(loc, t, t.Add(-w.length))
	return ok
}

// offFrom returns the first instant in [t, limit] at which the window is
// closed: following the chain of windows that overlap or touch.
func (w *window) offFrom(loc *time.Location, t, limit time.Time) time.Time {
	open, ok := w.latestStart(loc, t, t.Add(-w.length))
	if !ok {
		return t
	}
	end := open.at.Add(w.length)
	for end.Before(limit) {
		if w.chainsForever && !open.fromGap {
			if last, ok := w.start.prev(open.seg.lastWallMinuteBefore(limit), open.wm); ok {
				if e := open.seg.instant(last).Add(w.length); e.After(end) {
					end = e
				}
			}
		} else if w.chainsThrough && !open.fromGap {
			// The rest of today's starts chain on, if no offset change
			// intervenes (inside one segment elapsed gaps equal wall gaps).
			day := floorDiv(open.wm, minutesPerDay)
			if last := day*minutesPerDay + w.dayLast; last > open.wm {
				lastAt := open.seg.instant(last)
				if !open.seg.hasEnd || lastAt.Unix() < open.seg.end {
					if e := lastAt.Add(w.length); e.After(end) {
						end = e
					}
				}
			}
		}
		if !end.Before(limit) {
			break
		}
		if open, ok = w.latestStart(loc, end, end.Add(-w.length)); !ok {
			break
		}
		end = open.at.Add(w.length)
	}
	if end.After(limit) {
		return limit
	}
	return end
}
