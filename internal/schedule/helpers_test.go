package schedule

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func mustCompile(t testing.TB, spec Spec) *Schedule {
	t.Helper()
	s, errs := Compile(spec, field.NewPath("spec", "schedule"))
	if len(errs) > 0 {
		t.Fatalf("Compile(%+v): %v", spec, errs.ToAggregate())
	}
	return s
}

// at parses an RFC 3339 instant; "" is the zero time (meaning "none").
func at(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad instant %q: %v", s, err)
	}
	return v
}

func utc(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func on(days, hours []string, tz string) Spec {
	return Spec{DaysOfWeek: days, HoursOfDay: hours, Timezone: tz, Enabled: true}
}

func mask(expr, tz string) Spec { return Spec{Cron: expr, Timezone: tz, Enabled: true} }

func windows(tz string, ws ...string) Spec {
	s := Spec{Timezone: tz, Enabled: true}
	for i := 0; i+1 < len(ws); i += 2 {
		s.Windows = append(s.Windows, WindowSpec{Start: ws[i], Duration: ws[i+1]})
	}
	return s
}

func excluding(s Spec, dates ...string) Spec {
	s.ExcludeDates = dates
	return s
}

func overridden(s Spec, mode OverrideMode, until time.Time) Spec {
	s.Override = &Override{Mode: mode, Until: until}
	return s
}

func disabled(s Spec) Spec {
	s.Enabled = false
	return s
}

var weekendBerlin = windows("Europe/Berlin", "0 21 * * 5", "57h")
