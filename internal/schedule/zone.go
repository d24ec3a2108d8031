package schedule

import "time"

// A segment is a stretch of real time during which the zone's UTC offset is
// constant, so wall-clock time is real time plus off. Every search walks
// segments: inside one, wall minutes map to instants one to one; between two,
// the wall clock jumps forward (spring-forward gap) or back (repeated time).
type segment struct {
	off      int64 // UTC offset in seconds
	prevOff  int64 // offset just before start; off when there is no start
	start    int64 // first Unix second of the segment, if hasStart
	end      int64 // first Unix second after the segment, if hasEnd
	hasStart bool
	hasEnd   bool
}

// zoneSegment returns the segment holding t. It does not allocate.
func zoneSegment(loc *time.Location, t time.Time) segment {
	local := t.In(loc)
	_, off := local.Zone()
	from, to := local.ZoneBounds()
	seg := segment{off: int64(off), prevOff: int64(off)}
	if !from.IsZero() {
		seg.hasStart, seg.start = true, from.Unix()
		_, before := from.Add(-time.Second).Zone()
		seg.prevOff = int64(before)
	}
	if !to.IsZero() {
		seg.hasEnd, seg.end = true, to.Unix()
	}
	return seg
}

// wallMinute is the wall minute holding t in the segment.
func (seg *segment) wallMinute(t time.Time) int64 { return floorDiv(t.Unix()+seg.off, 60) }

// instant is the real start of wall minute wm in the segment.
func (seg *segment) instant(wm int64) time.Time { return time.Unix(wm*60-seg.off, 0) }

// firstWallMinute is the first wall minute whose start lies in the segment.
func (seg *segment) firstWallMinute() int64 { return ceilDiv(seg.start+seg.off, 60) }

// lastWallMinuteBefore is the last wall minute starting before the segment end,
// capped by the wall minute holding limit.
func (seg *segment) lastWallMinuteBefore(limit time.Time) int64 {
	hi := seg.wallMinute(limit)
	if seg.hasEnd {
		hi = min(hi, ceilDiv(seg.end+seg.off, 60)-1)
	}
	return hi
}

// repeatsUntil is, after a fall-back, the first wall minute not already
// shown by the previous segment; minimal otherwise.
func (seg *segment) repeatsUntil() (int64, bool) {
	if !seg.hasStart || seg.prevOff <= seg.off {
		return 0, false
	}
	return ceilDiv(seg.start+seg.prevOff, 60), true
}

// gap is, after a spring-forward, the wall minutes [from, to] the clock skipped.
func (seg *segment) gap() (from, to int64, ok bool) {
	if !seg.hasStart || seg.prevOff >= seg.off {
		return 0, 0, false
	}
	return ceilDiv(seg.start+seg.prevOff, 60), ceilDiv(seg.start+seg.off, 60) - 1, true
}

// Supported instants: years 1900 to 9998. This keeps all second and minute
// arithmetic far from int64 overflow and treats the zero time.Time as "no
// instant". Outside, the schedule is inactive and searches find nothing.
var (
	minSupported = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxSupported = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

func supported(t time.Time) bool { return !t.Before(minSupported) && t.Before(maxSupported) }
