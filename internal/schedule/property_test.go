package schedule

import (
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// The property test compares the engine with a brute-force evaluator that
// shares none of its code: it scans real time minute by minute, reads the
// local clock with the time package, matches cron expressions with robfig's
// own SpecSchedule.Next on naive (UTC-labelled) wall times, and derives
// window starts from the wall clock it has seen so far.
//
//	go test ./internal/schedule -run TestPropertyAgainstBruteForce -args -schedule.cases=5000 -schedule.seed=42
var (
	propertyCases = flag.Int("schedule.cases", 600, "random specs checked by TestPropertyAgainstBruteForce")
	propertySeed  = flag.Int64("schedule.seed", 1, "seed of TestPropertyAgainstBruteForce")
)

var propertyZones = []string{
	"UTC", "America/New_York", "Europe/London", "Europe/Berlin", "Australia/Lord_Howe",
	"Asia/Kathmandu", "Asia/Beirut", "America/Santiago",
}

// bruteSpec is a random spec plus the plain facts the brute force reads.
type bruteSpec struct {
	spec     Spec
	loc      *time.Location
	dayHour  bool
	days     [7]bool
	hours    [24]bool
	mask     cron.Schedule // nil when absent
	windows  []bruteWindow
	excluded map[string]bool // local dates YYYY-MM-DD
}

type bruteWindow struct {
	start  cron.Schedule
	length time.Duration
}

func pick(r *rand.Rand, options ...string) string { return options[r.Intn(len(options))] }

func randomList(r *rand.Rand, size int, name func(int) string, set []bool) string {
	var items []string
	for n := 1 + r.Intn(2); n > 0; n-- {
		from := r.Intn(size)
		if r.Intn(2) == 0 {
			items = append(items, name(from))
			set[from] = true
			continue
		}
		to := r.Intn(size)
		items = append(items, name(from)+"-"+name(to))
		for i := from; ; i = (i + 1) % size {
			set[i] = true
			if i == to {
				break
			}
		}
	}
	return strings.Join(items, ",")
}

func randomCron(r *rand.Rand, window bool) string {
	minute := pick(r, "*", "0-29", "*/15", "0", "59", "30-44", "0,30")
	hour := pick(r, "*", "9-17", "1", "2", "0", "23", "22-23", "*/6", "1-2")
	if window {
		minute = pick(r, "0", "30", "15", "*/20", "45", "0,30", "*/5")
		// Hours 0-2 hold the DST changes of the zones above: aim starts at gaps and repeats.
		hour = pick(r, "*", "1", "2", "0", "2", "1-3", "0-2", "21", "9-17", "*/6", "23", "1")
	}
	return strings.Join([]string{
		minute, hour,
		pick(r, "*", "*", "*", "1", "15", "29", "*/2", "1-7"),
		pick(r, "*", "*", "*", "3,4,9,10,11", "2", "*/2"),
		pick(r, "*", "*", "5", "0,6", "1-5", "sun"),
	}, " ")
}

func randomSpec(r *rand.Rand, t0 time.Time) bruteSpec {
	var b bruteSpec
	tz := propertyZones[r.Intn(len(propertyZones))]
	b.loc, _ = time.LoadLocation(tz)
	b.spec = Spec{Timezone: tz, Enabled: r.Intn(10) != 0}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	mustParse := func(expr string) cron.Schedule {
		s, err := parser.Parse(expr)
		if err != nil {
			panic(err)
		}
		return s
	}
	if r.Intn(2) == 0 {
		if r.Intn(3) != 0 {
			set := make([]bool, 7)
			for n := 1 + r.Intn(2); n > 0; n-- {
				b.spec.DaysOfWeek = append(b.spec.DaysOfWeek, randomList(r, 7, func(i int) string { return dayNames[i] }, set))
			}
			copy(b.days[:], set)
		} else {
			b.days = [7]bool{true, true, true, true, true, true, true}
		}
		if r.Intn(3) != 0 || len(b.spec.DaysOfWeek) == 0 {
			set := make([]bool, 24)
			for n := 1 + r.Intn(2); n > 0; n-- {
				b.spec.HoursOfDay = append(b.spec.HoursOfDay, randomList(r, 24, func(i int) string { return fmt.Sprint(i) }, set))
			}
			copy(b.hours[:], set)
		} else {
			for i := range b.hours {
				b.hours[i] = true
			}
		}
		b.dayHour = true
	}
	if r.Intn(3) == 0 {
		b.spec.Cron = randomCron(r, false)
		b.mask = mustParse(b.spec.Cron)
	}
	for n := r.Intn(3); n > 0 || (!b.dayHour && b.mask == nil && len(b.windows) == 0); n-- {
		start := randomCron(r, true)
		minutes := []int{1, 5, 30, 60, 90, 120, 150, 600, 1440, 2880, 3420, 4320}[r.Intn(12)]
		length := time.Duration(minutes) * time.Minute
		b.spec.Windows = append(b.spec.Windows, WindowSpec{Start: start, Duration: length.String()})
		b.windows = append(b.windows, bruteWindow{start: mustParse(start), length: length})
	}
	b.excluded = map[string]bool{}
	for n := r.Intn(4); n > 0; n-- {
		first := t0.In(b.loc).AddDate(0, 0, r.Intn(14)-1)
		days := r.Intn(3)
		entry := first.Format("2006-01-02")
		if days > 0 {
			entry += ".." + first.AddDate(0, 0, days).Format("2006-01-02")
		}
		for i := 0; i <= days; i++ {
			b.excluded[first.AddDate(0, 0, i).Format("2006-01-02")] = true
		}
		b.spec.ExcludeDates = append(b.spec.ExcludeDates, entry)
	}
	if r.Intn(4) == 0 {
		mode := ForceOn
		if r.Intn(2) == 0 {
			mode = ForceOff
		}
		until := t0.Add(time.Duration(r.Int63n(int64(5*24*time.Hour))) - 24*time.Hour)
		b.spec.Override = &Override{Mode: mode, Until: until}
	}
	return b
}

// bruteTimeline is the brute force's answer for every UTC minute of a scan.
type bruteTimeline struct {
	from   time.Time // first minute, UTC, on a minute boundary
	normal []bool    // the schedule without override, per minute from from
	spec   *Spec
}

func naiveMinute(lt time.Time) int64 {
	return time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), 0, 0, time.UTC).Unix() / 60
}

// cronMinutes lists the naive wall minutes in [lo, hi] that s matches.
func cronMinutes(s cron.Schedule, lo, hi int64) map[int64]bool {
	out := map[int64]bool{}
	for t := s.Next(time.Unix(lo*60-1, 0).UTC()); !t.IsZero() && t.Unix()/60 <= hi; t = s.Next(t) {
		out[t.Unix()/60] = true
	}
	return out
}

func (b *bruteSpec) timeline(from time.Time, minutes int) bruteTimeline {
	tl := bruteTimeline{from: from, normal: make([]bool, minutes), spec: &b.spec}
	naiveLo := naiveMinute(from.In(b.loc)) - 2*minutesPerDay
	naiveHi := naiveLo + int64(minutes) + 4*minutesPerDay
	var maskSet map[int64]bool
	if b.mask != nil {
		maskSet = cronMinutes(b.mask, naiveLo, naiveHi)
	}
	startSets := make([]map[int64]bool, len(b.windows))
	lastStart := make([]time.Time, len(b.windows))
	for i, w := range b.windows {
		startSets[i] = cronMinutes(w.start, naiveLo, naiveHi)
	}
	seen := naiveMinute(from.In(b.loc)) - 1 // latest wall minute the clock has shown
	for i := range tl.normal {
		u := from.Add(time.Duration(i) * time.Minute)
		lt := u.In(b.loc)
		wall := naiveMinute(lt)
		// Window starts: every matching wall minute the clock reaches for the
		// first time opens now (a jump over a gap opens them all here).
		for v := seen + 1; v <= wall; v++ {
			for j := range b.windows {
				if startSets[j][v] {
					lastStart[j] = u
				}
			}
		}
		seen = max(seen, wall)
		if !b.spec.Enabled || b.excluded[lt.Format("2006-01-02")] {
			continue
		}
		active := b.dayHour && b.days[lt.Weekday()] && b.hours[lt.Hour()]
		active = active || maskSet[wall]
		for j, w := range b.windows {
			active = active || (!lastStart[j].IsZero() && u.Before(lastStart[j].Add(w.length)))
		}
		tl.normal[i] = active
	}
	return tl
}

func (tl *bruteTimeline) active(x time.Time) bool {
	if o := tl.spec.Override; o != nil && x.Before(o.Until) {
		return o.Mode == ForceOn
	}
	return tl.normal[int(x.Sub(tl.from)/time.Minute)]
}

// next is the first change after x up to the end of the scan.
func (tl *bruteTimeline) next(x time.Time) (time.Time, bool) {
	was := tl.active(x)
	end := tl.from.Add(time.Duration(len(tl.normal)-1) * time.Minute)
	m := x.Truncate(time.Minute).Add(time.Minute)
	if o := tl.spec.Override; o != nil && x.Before(o.Until) && o.Until.Before(m) && tl.active(o.Until) != was {
		return o.Until, true
	}
	for ; !m.After(end); m = m.Add(time.Minute) {
		if o := tl.spec.Override; o != nil && x.Before(o.Until) && o.Until.Before(m) && tl.active(o.Until) != was {
			return o.Until, true
		}
		if tl.active(m) != was {
			return m, true
		}
	}
	return end, false
}

func TestPropertyAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewSource(*propertySeed))
	for c := 0; c < *propertyCases && !t.Failed(); c++ {
		checkRandomCase(t, r, fmt.Sprintf("seed %d case %d", *propertySeed, c))
	}
}

// FuzzAgainstBruteForce runs property cases from fuzzed seeds: plain random
// exploration (the seed carries no structure for coverage to guide), useful
// for long unattended runs.
func FuzzAgainstBruteForce(f *testing.F) {
	f.Add(int64(1))
	f.Fuzz(func(t *testing.T, seed int64) {
		checkRandomCase(t, rand.New(rand.NewSource(seed)), fmt.Sprintf("seed %d", seed))
	})
}

// checkRandomCase draws a random spec and instant and compares the engine
// with the brute force around it.
func checkRandomCase(t *testing.T, r *rand.Rand, name string) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t0 := base.Add(time.Duration(r.Int63n(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Minute)
	b := randomSpec(r, t0)
	if r.Intn(2) == 0 { // aim at a DST change of the zone
		_, end := t0.In(b.loc).ZoneBounds()
		if !end.IsZero() && end.Before(t0.Add(400*24*time.Hour)) {
			t0 = end.Add(-time.Duration(r.Intn(3*24*60)) * time.Minute).UTC()
		}
	}
	// Brute force from 4 days before t0 (windows last up to 72h) to 13
	// days after; results are compared for instants in [t0, t0+3d] and
	// changes up to t0+13d.
	scanFrom := t0.Add(-4*24*time.Hour - 2*time.Hour)
	tl := b.timeline(scanFrom, (17*24+2)*60+1)
	s, errs := Compile(b.spec, nil)
	if len(errs) > 0 {
		t.Fatalf("%s: %+v does not compile: %v", name, b.spec, errs)
	}
	describe := func() string {
		return fmt.Sprintf("%s: spec %+v override %+v t0 %s", name, b.spec, b.spec.Override, utc(t0))
	}

	// Random instants, some off the minute grid.
	for k := 0; k < 6; k++ {
		x := t0.Add(time.Duration(r.Int63n(int64(3 * 24 * time.Hour))))
		if k%2 == 0 {
			x = x.Truncate(time.Minute)
		}
		checkInstant(t, s, &tl, x, describe)
	}
	// The whole chain of changes from t0 over 10 days.
	x := t0
	for i := 0; i < 500 && x.Before(t0.Add(10*24*time.Hour)); i++ {
		if !checkInstant(t, s, &tl, x, describe) {
			break
		}
		nx, ok := s.Next(x)
		if !ok {
			break
		}
		x = nx
	}
	if b.spec.Override == nil {
		checkWindows(t, s, &tl, t0.Add(time.Duration(r.Int63n(int64(3*24*time.Hour)))), describe)
	}
}

func checkInstant(t *testing.T, s *Schedule, tl *bruteTimeline, x time.Time, describe func() string) bool {
	t.Helper()
	if got, want := s.Active(x), tl.active(x); got != want {
		t.Errorf("%s\nActive(%s) = %v, brute force says %v", describe(), utc(x), got, want)
		return false
	}
	got, ok := s.Next(x)
	want, wantOK := tl.next(x)
	switch {
	case wantOK && (!ok || !got.Equal(want)):
		t.Errorf("%s\nNext(%s) = %s (found %v), brute force says %s", describe(), utc(x), utc(got), ok, utc(want))
		return false
	case !wantOK && ok && !got.After(want):
		t.Errorf("%s\nNext(%s) = %s, brute force sees no change until %s", describe(), utc(x), utc(got), utc(want))
		return false
	}
	return true
}

// checkWindows compares Windows(x, 4) with the brute force's intervals, as
// far as the scan can tell.
func checkWindows(t *testing.T, s *Schedule, tl *bruteTimeline, x time.Time, describe func() string) {
	t.Helper()
	trusted := tl.from.Add(4 * 24 * time.Hour) // earlier minutes may miss windows started before the scan
	var want []Interval
	m := x.Truncate(time.Minute)
	if tl.active(x) {
		start := m
		for start.After(trusted) && tl.active(start.Add(-time.Minute)) {
			start = start.Add(-time.Minute)
		}
		if !start.After(trusted) {
			return // began before the scan can see
		}
		want = append(want, Interval{Start: start})
	}
	cur := x
	for len(want) < 4 || want[len(want)-1].End.IsZero() {
		nx, ok := tl.next(cur)
		if !ok {
			break
		}
		if n := len(want); n > 0 && want[n-1].End.IsZero() {
			want[n-1].End = nx
		} else {
			want = append(want, Interval{Start: nx})
		}
		cur = nx
	}
	if n := len(want); n > 0 && want[n-1].End.IsZero() {
		want = want[:n-1] // runs past the scan
	}
	got := s.Windows(x, 4)
	if len(got) < len(want) {
		t.Errorf("%s\nWindows(%s, 4) = %v, brute force says %v", describe(), utc(x), got, want)
		return
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) {
			t.Errorf("%s\nWindows(%s, 4)[%d] = %s..%s, brute force says %s..%s", describe(), utc(x), i,
				utc(got[i].Start), utc(got[i].End), utc(want[i].Start), utc(want[i].End))
			return
		}
	}
}
