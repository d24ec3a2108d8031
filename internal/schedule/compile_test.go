package schedule

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestCompileReportsEveryViolation pins the exact text admission shows users.
func TestCompileReportsEveryViolation(t *testing.T) {
	spec := Spec{
		DaysOfWeek: []string{"mon-fri", "Mon", "mon-"},
		HoursOfDay: []string{"9-17", "25", "9-25"},
		Cron:       "0 0 * * * *",
		Windows: []WindowSpec{
			{Start: "0 21 * * 5", Duration: "57h"},
			{Start: "@daily", Duration: "0s"},
			{Start: "0 25 * * *", Duration: "1d"},
			{Start: "0 0 * * *", Duration: "9000h"},
		},
		ExcludeDates: []string{"2026-12-25", "2026-12-24..2026-12-26", "2026-02-30", "2026-12-26..2026-12-24"},
		Timezone:     "Mars/Olympus",
		Override:     &Override{Mode: "Maybe"},
	}
	want := []string{
		`spec.schedule.daysOfWeek[1]: Invalid value: "Mon": is not lower case: day names must be lower case (mon, tue, wed, thu, fri, sat, sun)`,
		`spec.schedule.daysOfWeek[2]: Invalid value: "mon-": is missing a day on one side of "-": write start-end, such as mon-fri`,
		`spec.schedule.hoursOfDay[1]: Invalid value: "25": is not an hour (0-23)`,
		`spec.schedule.hoursOfDay[2]: Invalid value: "9-25": "25" is not an hour (0-23)`,
		`spec.schedule.cron: Invalid value: "0 0 * * * *": has 6 fields: expected exactly 5 (minute hour day-of-month month day-of-week); a seconds field is not supported`,
		`spec.schedule.windows[1].start: Invalid value: "@daily": is a descriptor, which is not supported: write the 5 fields (minute hour day-of-month month day-of-week), for example "0 0 * * *"`,
		`spec.schedule.windows[1].duration: Invalid value: "0s": must be greater than zero`,
		`spec.schedule.windows[2].start: Invalid value: "0 25 * * *": is not a valid cron expression: hour field "25" (0-23): end of range (25) above maximum (23)`,
		`spec.schedule.windows[2].duration: Invalid value: "1d": is not a duration: use Go syntax such as "90m", "8h" or "57h30m" (there is no day unit)`,
		`spec.schedule.windows[3].duration: Invalid value: "9000h": must be at most 8760h (one year)`,
		`spec.schedule.excludeDates[2]: Invalid value: "2026-02-30": is not a real date (YYYY-MM-DD, or a range YYYY-MM-DD..YYYY-MM-DD)`,
		`spec.schedule.excludeDates[3]: Invalid value: "2026-12-26..2026-12-24": is a range whose end 2026-12-24 is before its start 2026-12-26`,
		`spec.schedule.timezone: Invalid value: "Mars/Olympus": is not a known IANA time zone (for example "Europe/Berlin", "America/New_York" or "UTC")`,
		`spec.override.mode: Unsupported value: "Maybe": supported values: "ForceOn", "ForceOff"`,
		`spec.override.until: Required value: an override must say when it expires`,
	}
	s, errs := Compile(spec, field.NewPath("spec", "schedule"))
	if s != nil {
		t.Errorf("Compile returned a schedule along with errors")
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCompileErrorTypesAndPaths(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		path string
		typ  field.ErrorType
	}{
		{"no form", Spec{Timezone: "UTC", Enabled: true}, "spec.schedule", field.ErrorTypeRequired},
		{"only exclusions is no form", Spec{ExcludeDates: []string{"2026-01-01"}}, "spec.schedule", field.ErrorTypeRequired},
		{"blank cron is a form, but empty", Spec{Cron: "   "}, "spec.schedule.cron", field.ErrorTypeInvalid},
		{"Local zone", Spec{HoursOfDay: []string{"1"}, Timezone: "Local"}, "spec.schedule.timezone", field.ErrorTypeInvalid},
		{"empty day entry", Spec{DaysOfWeek: []string{"mon", ""}}, "spec.schedule.daysOfWeek[1]", field.ErrorTypeInvalid},
		{"window start", Spec{Windows: []WindowSpec{{Start: "", Duration: "1h"}}}, "spec.schedule.windows[0].start", field.ErrorTypeInvalid},
		{"override until", Spec{HoursOfDay: []string{"1"}, Override: &Override{Mode: ForceOn}}, "spec.override.until", field.ErrorTypeRequired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errs := Compile(c.spec, field.NewPath("spec", "schedule"))
			if len(errs) != 1 || errs[0].Field != c.path || errs[0].Type != c.typ {
				t.Fatalf("errors = %v, want one %s at %s", errs, c.typ, c.path)
			}
		})
	}
}

func TestCompileWithoutPath(t *testing.T) {
	_, errs := Compile(Spec{Cron: "x", Override: &Override{Mode: "x"}}, nil)
	if len(errs) != 3 || errs[0].Field != "cron" || errs[1].Field != "override.mode" || errs[2].Field != "override.until" {
		t.Fatalf("errors = %v", errs)
	}
}

func TestCompileValid(t *testing.T) {
	spec := Spec{
		DaysOfWeek:   []string{"mon-fri"},
		HoursOfDay:   []string{"9-17"},
		Cron:         "* * * * 0,6",
		Windows:      []WindowSpec{{Start: "0 21 * * 5", Duration: "57h"}},
		ExcludeDates: []string{"2026-12-24..2026-12-26", "2026-12-25", "2026-12-27", "2026-12-31"},
		Timezone:     "Europe/Berlin",
		Enabled:      true,
		Override:     &Override{Mode: ForceOff, Until: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	s := mustCompile(t, spec)
	if s.Location().String() != "Europe/Berlin" {
		t.Errorf("Location = %v", s.Location())
	}
	// Overlapping and touching ranges merge; others stay apart.
	first := Date{2026, 12, 24}.dayNumber()
	want := exclusions{{first, first + 3}, {first + 7, first + 7}}
	if len(s.excluded) != 2 || s.excluded[0] != want[0] || s.excluded[1] != want[1] {
		t.Errorf("exclusions = %v, want %v", s.excluded, want)
	}
	// The schedule keeps nothing of the spec it was given.
	monday := at(t, "2026-06-01T10:00:00Z")
	spec.Override.Mode = ForceOn
	spec.Override.Until = monday.Add(time.Hour)
	if s.override.Mode != ForceOff || !s.Active(monday) {
		t.Errorf("changing the spec after Compile changed the schedule")
	}
}
