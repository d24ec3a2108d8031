package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Native fuzz targets; see FUZZING.md for how they were run. Found inputs
// live under testdata/fuzz and run as regression seeds with plain go test.

// checkParseError asserts that a parser failed the documented way.
func checkParseError(t *testing.T, err error) {
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Reason == "" {
		t.Fatalf("error %v (%T) is not a *ParseError with a reason", err, err)
	}
}

func FuzzParseDays(f *testing.F) {
	for _, s := range []string{"mon", "mon-fri", "fri-mon", " sat - sun , wed ", "Mon", "mon--fri", "", ",", "sun-sat,mon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseDays(s)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if set == 0 || set >= 1<<7 {
			t.Fatalf("ParseDays(%q) = %b", s, set)
		}
		if again, err := ParseDays(" " + s + " "); err != nil || again != set {
			t.Fatalf("surrounding spaces changed ParseDays(%q)", s)
		}
	})
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"9", "9-17", "22-6", "0-8,18-23", "25", "-1", "1-2-3", " 5 ", "09"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseHours(s)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if set == 0 || set >= 1<<24 {
			t.Fatalf("ParseHours(%q) = %b", s, set)
		}
		if again, err := ParseHours(" " + s + " "); err != nil || again != set {
			t.Fatalf("surrounding spaces changed ParseHours(%q)", s)
		}
	})
}

// FuzzParseCron checks the parsed bit sets against robfig's own Next.
func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"* 9-17 * * 1-5", "0 0 29 2 *", "0 0 13 * 5", "*/15 * ? jan-mar sun", "@daily", "TZ=UTC", "0 0 * * * *", "1-5/2 */3 1,15 */2 mon-fri", "0 0 31 2 *"} {
		f.Add(s)
	}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	from := time.Date(2026, 5, 17, 13, 27, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCron(s)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if c.minute == 0 || c.hour == 0 || c.dom == 0 || c.month == 0 || c.dow == 0 {
			t.Fatalf("ParseCron(%q) accepted a field that selects nothing: %+v", s, c)
		}
		if c.minute&^all60 != 0 || c.hour&^all24 != 0 || c.dom&^0xfffffffe != 0 || c.month&^0x1ffe != 0 || c.dow&^0x7f != 0 {
			t.Fatalf("ParseCron(%q) has bits out of range: %+v", s, c)
		}
		theirs, err := parser.Parse(strings.Join(strings.Fields(s), " "))
		if err != nil {
			t.Fatalf("ParseCron(%q) accepted what robfig rejects: %v", s, err)
		}
		want := theirs.Next(from) // robfig gives up after 5 years
		wm := from.Unix() / 60
		got, ok := c.next(wm+1, wm+5*366*minutesPerDay)
		if want.IsZero() != !ok || ok && !time.Unix(got*60, 0).Equal(want) {
			t.Fatalf("ParseCron(%q): next match %v (%v), robfig says %v", s, time.Unix(got*60, 0).UTC(), ok, want)
		}
		if ok {
			if back, ok := c.prev(got, wm); !ok || back != got {
				t.Fatalf("ParseCron(%q): prev(%d) = %d, %v", s, got, back, ok)
			}
			if back, ok := c.prev(got-1, wm+1); ok {
				t.Fatalf("ParseCron(%q): prev finds %d before the first match %d", s, back, got)
			}
		}
	})
}

func FuzzParseWindowDuration(f *testing.F) {
	for _, s := range []string{"57h", "90m", "0s", "-1h", "8761h", "1d", "1.5h", " 3h "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseWindowDuration(s)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if d <= 0 || d > MaxWindowDuration {
			t.Fatalf("ParseWindowDuration(%q) = %v", s, d)
		}
	})
}

func FuzzParseExcludeDate(f *testing.F) {
	for _, s := range []string{"2026-12-25", "2026-12-24..2026-12-26", "2026-02-30", "2026-12-26..2026-12-24", "..", "2028-02-29", "0000-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseExcludeDate(s)
		if err != nil {
			checkParseError(t, err)
			return
		}
		if r.First.dayNumber() > r.Last.dayNumber() {
			t.Fatalf("ParseExcludeDate(%q) = %v: reversed", s, r)
		}
		for _, d := range []Date{r.First, r.Last} {
			again, err := ParseExcludeDate(d.String())
			if err != nil || again.First != d || dateOf(d.dayNumber()) != d {
				t.Fatalf("ParseExcludeDate(%q): %v does not round-trip", s, d)
			}
		}
	})
}

func fuzzSpec(days, hours, cronExpr, start, length, exclude, tz string, enabled bool) Spec {
	spec := Spec{Cron: cronExpr, Timezone: tz, Enabled: enabled}
	if days != "" {
		spec.DaysOfWeek = strings.Split(days, ";")
	}
	if hours != "" {
		spec.HoursOfDay = strings.Split(hours, ";")
	}
	if start != "" || length != "" {
		spec.Windows = []WindowSpec{{Start: start, Duration: length}}
	}
	if exclude != "" {
		spec.ExcludeDates = strings.Split(exclude, ";")
	}
	return spec
}

func FuzzCompile(f *testing.F) {
	f.Add("mon-fri", "9-17", "", "", "", "", "America/New_York", true)
	f.Add("", "", "* 9-17 * * 1-5", "0 21 * * 5", "57h", "2026-12-24..2026-12-26;2026-12-31", "Europe/Berlin", true)
	f.Add("Mon", "25", "@daily", "0 0 * * * *", "0s", "2026-02-30", "Mars/Olympus", false)
	f.Add("", "", "", "", "", "", "", true)
	f.Fuzz(func(t *testing.T, days, hours, cronExpr, start, length, exclude, tz string, enabled bool) {
		spec := fuzzSpec(days, hours, cronExpr, start, length, exclude, tz, enabled)
		s, errs := Compile(spec, field.NewPath("spec", "schedule"))
		if len(errs) > 0 {
			if s != nil {
				t.Fatal("a schedule along with errors")
			}
			for _, e := range errs {
				if !strings.HasPrefix(e.Field, "spec.schedule") || e.Detail == "" && e.Type != field.ErrorTypeNotSupported {
					t.Fatalf("error without a path under spec.schedule or without detail: %v", e)
				}
			}
			return
		}
		at := time.Date(2026, 3, 8, 6, 59, 30, 0, time.UTC)
		s.Active(at)
		s.Next(at)
	})
}

// FuzzNext checks Next's contract on compiled specs at any instant: the
// change lies after t, within Horizon, Active flips exactly there and holds
// its old value just before and half way.
func FuzzNext(f *testing.F) {
	f.Add("mon-fri", "9-17", "", "", "", "", "America/New_York", true, int64(1772946000), int64(0), uint8(0), int64(0))
	f.Add("", "", "", "0 21 * * 5", "57h", "2026-12-24..2026-12-26;2026-12-31", "Europe/Berlin", true, int64(1797685200), int64(0), uint8(2), int64(3600))
	f.Add("", "1-1", "", "30 2 * * *", "1h", "", "America/New_York", true, int64(1793505600), int64(5), uint8(1), int64(-60))
	f.Add("fri", "22-6", "0 0 29 2 *", "", "", "2028-02-29", "Australia/Lord_Howe", true, int64(1775314800), int64(999), uint8(0), int64(0))
	f.Add("", "", "*/7 0-3 * * *", "*/5 * * * *", "10m", "", "Asia/Kathmandu", false, int64(1780000000), int64(0), uint8(1), int64(7200))
	f.Fuzz(func(t *testing.T, days, hours, cronExpr, start, length, exclude, tz string, enabled bool, sec, nsec int64, mode uint8, untilOffset int64) {
		spec := fuzzSpec(days, hours, cronExpr, start, length, exclude, tz, enabled)
		at := time.Unix(sec, nsec)
		if mode%3 != 0 {
			spec.Override = &Override{Mode: []OverrideMode{ForceOn, ForceOff}[mode%3-1], Until: at.Add(time.Duration(untilOffset) * time.Second)}
		}
		s, errs := Compile(spec, nil)
		if len(errs) > 0 {
			return
		}
		was := s.Active(at)
		next, ok := s.Next(at)
		if ok {
			if !next.After(at) || next.After(at.Add(Horizon)) {
				t.Fatalf("Next(%s) = %s: not in (t, t+Horizon]", utc(at), utc(next))
			}
			if s.Active(next) == was {
				t.Fatalf("Next(%s) = %s but Active stays %v", utc(at), utc(next), was)
			}
			if mid := at.Add(next.Sub(at) / 2); s.Active(mid) != was {
				t.Fatalf("Next(%s) = %s but Active changes earlier, at least by %s", utc(at), utc(next), utc(mid))
			}
			if before := next.Add(-time.Nanosecond); before.After(at) && s.Active(before) != was {
				t.Fatalf("Next(%s) = %s but Active changes before it", utc(at), utc(next))
			}
		}
		if ws := s.Windows(at, 2); len(ws) > 0 && !ws[0].End.After(at) {
			t.Fatalf("Windows(%s) returned a window ending at %s", utc(at), utc(ws[0].End))
		}
	})
}
