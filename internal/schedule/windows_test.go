package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestWindows(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		at   string
		n    int
		want []string // "start..end" in UTC
	}{
		{"business hours NY, open at t", on([]string{"mon-fri"}, []string{"9-17"}, "America/New_York"), "2026-06-03T16:00:00Z", 3,
			[]string{"2026-06-03T13:00:00Z..2026-06-03T22:00:00Z", "2026-06-04T13:00:00Z..2026-06-04T22:00:00Z", "2026-06-05T13:00:00Z..2026-06-05T22:00:00Z"}},
		{"business hours NY, closed at t", on([]string{"mon-fri"}, []string{"9-17"}, "America/New_York"), "2026-06-05T22:00:00Z", 1,
			[]string{"2026-06-08T13:00:00Z..2026-06-08T22:00:00Z"}},
		{"overlapping windows are one interval", windows("UTC", "0 8 * * *", "3h", "0 10 * * *", "3h"), "2026-06-01T12:00:00Z", 2,
			[]string{"2026-06-01T08:00:00Z..2026-06-01T13:00:00Z", "2026-06-02T08:00:00Z..2026-06-02T13:00:00Z"}},
		{"window and day/hour form are one interval", Spec{HoursOfDay: []string{"9-16"}, Windows: []WindowSpec{{Start: "0 17 * * 1", Duration: "2h"}}, Enabled: true}, "2026-06-01T00:00:00Z", 2,
			[]string{"2026-06-01T09:00:00Z..2026-06-01T19:00:00Z", "2026-06-02T09:00:00Z..2026-06-02T17:00:00Z"}},
		{"open interval that began 59 days before t", windows("UTC", "0 0 1 1 *", "2000h"), "2026-03-01T00:00:00Z", 2,
			[]string{"2026-01-01T00:00:00Z..2026-03-25T08:00:00Z", "2027-01-01T00:00:00Z..2027-03-25T08:00:00Z"}},
		{"open interval that never ends is cut at the horizon", excluding(on(nil, []string{"0-23"}, "UTC"), "2026-05-01"), "2026-06-15T00:00:00Z", 2,
			[]string{"2026-05-02T00:00:00Z..2030-06-19T00:00:00Z"}},
		{"interval older than the horizon starts at t-Horizon", on(nil, []string{"0-23"}, "UTC"), "2026-06-15T00:00:00Z", 1,
			[]string{"2022-06-11T00:00:00Z..2030-06-19T00:00:00Z"}},
		{"an override in force has no start", overridden(on(nil, []string{"9-17"}, "UTC"), ForceOn, at(t, "2026-06-01T20:00:00Z")), "2026-06-01T10:00:00Z", 2,
			[]string{"2026-06-01T10:00:00Z..2026-06-01T20:00:00Z", "2026-06-02T09:00:00Z..2026-06-02T18:00:00Z"}},
		{"an interval across an expired override starts at its Until", overridden(on(nil, []string{"9-17"}, "UTC"), ForceOn, at(t, "2026-06-01T10:00:00Z")), "2026-06-01T11:00:00Z", 1,
			[]string{"2026-06-01T10:00:00Z..2026-06-01T18:00:00Z"}},
		{"after a ForceOff expires mid-interval", overridden(on(nil, []string{"9-17"}, "UTC"), ForceOff, at(t, "2026-06-01T10:30:00Z")), "2026-06-01T11:00:00Z", 1,
			[]string{"2026-06-01T10:30:00Z..2026-06-01T18:00:00Z"}},
		{"excluded day splits an interval", excluding(weekendBerlin, "2026-06-06"), "2026-06-05T20:00:00Z", 2,
			[]string{"2026-06-05T19:00:00Z..2026-06-05T22:00:00Z", "2026-06-06T22:00:00Z..2026-06-08T04:00:00Z"}},
		{"never", mask("0 0 30 2 *", "UTC"), "2026-01-01T00:00:00Z", 3, nil},
		{"none asked", weekendBerlin, "2026-01-01T00:00:00Z", 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustCompile(t, c.spec)
			var got []string
			for _, w := range s.Windows(at(t, c.at), c.n) {
				got = append(got, utc(w.Start)+".."+utc(w.End))
				if w.Start.Location() != s.Location() || w.End.Location() != s.Location() {
					t.Errorf("interval not in the schedule's zone: %v", w)
				}
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("Windows = %v\nwant      %v", got, c.want)
			}
		})
	}
}

// Windows must agree with Active/Next: every interval is active throughout
// its edges and inactive just outside them.
func TestWindowsAgreeWithActive(t *testing.T) {
	specs := []Spec{
		on([]string{"fri"}, []string{"22-6"}, "Australia/Lord_Howe"),
		excluding(weekendBerlin, "2026-12-24..2026-12-26", "2026-12-31"),
		windows("America/New_York", "30 1 * * *", "1h", "*/20 2 * * *", "15m"),
		mask("*/7 0-3 * * *", "Asia/Kathmandu"),
	}
	for i, spec := range specs {
		s := mustCompile(t, spec)
		from := at(t, "2026-03-01T00:00:00Z")
		ws := s.Windows(from, 200)
		if len(ws) != 200 {
			t.Fatalf("spec %d: %d windows, want 200", i, len(ws))
		}
		for k, w := range ws {
			where := fmt.Sprintf("spec %d window %d %s..%s", i, k, utc(w.Start), utc(w.End))
			if !w.Start.Before(w.End) || (k > 0 && !ws[k-1].End.Before(w.Start)) {
				t.Fatalf("%s: not ordered and separate", where)
			}
			if !s.Active(w.Start) || !s.Active(w.End.Add(-time.Nanosecond)) || s.Active(w.End) || s.Active(w.Start.Add(-time.Nanosecond)) {
				t.Fatalf("%s: Active disagrees at the edges", where)
			}
			if next, ok := s.Next(w.Start); !ok || !next.Equal(w.End) {
				t.Fatalf("%s: Next(start) = %s", where, utc(next))
			}
		}
	}
}
