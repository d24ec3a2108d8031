package schedule

import (
	"testing"
	"time"
)

// Each case: the spec, an instant, whether it is active there, and the chain
// of following transitions (Next of the instant, Next of that, ...). Active
// must flip at each transition. "" ends a chain with "no change within
// Horizon". All expectations were worked out by hand from the zone rules:
//
//	America/New_York  2026-03-08 02:00 EST->03:00 EDT (07:00Z); 2026-11-01 02:00 EDT->01:00 EST (06:00Z)
//	Europe/London     2026-03-29 01:00 GMT->02:00 BST (01:00Z); 2026-10-25 02:00 BST->01:00 GMT (01:00Z)
//	Europe/Berlin     2026-03-29 02:00 CET->03:00 CEST (01:00Z); 2026-10-25 03:00 CEST->02:00 CET (01:00Z)
//	Australia/Lord_Howe 2026-04-05 02:00 +11->01:30 +1030 (04-04 15:00Z); 2026-10-04 02:00 +1030->02:30 +11 (10-03 15:30Z)
//	Asia/Kathmandu    +05:45 all year
type semanticsCase struct {
	name   string
	spec   Spec
	at     string
	active bool
	chain  []string
}

var semanticsCases = []semanticsCase{
	// Day/hour form.
	{"business hours NY friday afternoon", on([]string{"mon-fri"}, []string{"9-17"}, "America/New_York"),
		"2026-03-06T21:00:00Z", true, []string{"2026-03-06T23:00:00Z", "2026-03-09T13:00:00Z"}},
	{"business hours NY weekend before spring forward", on([]string{"mon-fri"}, []string{"9-17"}, "America/New_York"),
		"2026-03-07T17:00:00Z", false, []string{"2026-03-09T13:00:00Z", "2026-03-09T22:00:00Z"}},
	{"business hours NY weekend of fall back", on([]string{"mon-fri"}, []string{"9-17"}, "America/New_York"),
		"2026-10-30T22:30:00Z", false, []string{"2026-11-02T14:00:00Z", "2026-11-02T23:00:00Z"}},
	{"hour 17 is inclusive", on([]string{"mon-fri"}, []string{"9-17"}, "UTC"),
		"2026-06-01T17:59:59Z", true, []string{"2026-06-01T18:00:00Z"}},
	{"wrap-around days fri-mon start", on([]string{"fri-mon"}, nil, "UTC"),
		"2026-06-04T23:59:00Z", false, []string{"2026-06-05T00:00:00Z", "2026-06-09T00:00:00Z", "2026-06-12T00:00:00Z"}},
	{"wrap-around days fri-mon inside", on([]string{"fri-mon"}, nil, "UTC"),
		"2026-06-08T12:00:00Z", true, []string{"2026-06-09T00:00:00Z"}},
	{"fri with 22-6 is friday morning", on([]string{"fri"}, []string{"22-6"}, "UTC"),
		"2026-06-05T05:00:00Z", true, []string{"2026-06-05T07:00:00Z", "2026-06-05T22:00:00Z", "2026-06-06T00:00:00Z", "2026-06-12T00:00:00Z"}},
	{"fri with 22-6 not saturday morning", on([]string{"fri"}, []string{"22-6"}, "UTC"),
		"2026-06-06T01:00:00Z", false, []string{"2026-06-12T00:00:00Z"}},
	{"comma lists and entries are a union", on([]string{"mon", "wed,fri"}, []string{"8", "10-11,13"}, "UTC"),
		"2026-06-03T07:00:00Z", false, []string{"2026-06-03T08:00:00Z", "2026-06-03T09:00:00Z", "2026-06-03T10:00:00Z", "2026-06-03T12:00:00Z", "2026-06-03T13:00:00Z", "2026-06-03T14:00:00Z", "2026-06-05T08:00:00Z"}},
	{"hours only means every day", on(nil, []string{"23-0"}, "UTC"),
		"2026-12-31T23:30:00Z", true, []string{"2027-01-01T01:00:00Z", "2027-01-01T23:00:00Z"}},
	{"year end across midnight", on(nil, []string{"22-1"}, "UTC"),
		"2026-12-31T21:00:00Z", false, []string{"2026-12-31T22:00:00Z", "2027-01-01T02:00:00Z"}},
	{"leap day tuesday", on([]string{"tue"}, []string{"23"}, "UTC"),
		"2028-02-29T22:00:00Z", false, []string{"2028-02-29T23:00:00Z", "2028-03-01T00:00:00Z", "2028-03-07T23:00:00Z"}},

	// DST: skipped hours never match, repeated hours match twice.
	{"NY skipped hour 2 never matches", on(nil, []string{"2"}, "America/New_York"),
		"2026-03-08T06:30:00Z", false, []string{"2026-03-09T06:00:00Z", "2026-03-09T07:00:00Z"}},
	{"NY hour 3 right after the gap", on(nil, []string{"3"}, "America/New_York"),
		"2026-03-08T06:59:00Z", false, []string{"2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}},
	{"NY hours 1-1 on fall-back day lasts two real hours", on(nil, []string{"1-1"}, "America/New_York"),
		"2026-11-01T04:59:00Z", false, []string{"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-02T06:00:00Z"}},
	{"NY hours 1 during its second occurrence", on(nil, []string{"1"}, "America/New_York"),
		"2026-11-01T06:30:00Z", true, []string{"2026-11-01T07:00:00Z"}},
	{"London hours 0-3 on spring-forward day last 3h", on([]string{"sun"}, []string{"0-3"}, "Europe/London"),
		"2026-03-28T23:59:00Z", false, []string{"2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z", "2026-04-04T23:00:00Z"}},
	{"London hour 1 on fall-back day lasts 2h", on(nil, []string{"1"}, "Europe/London"),
		"2026-10-24T23:00:00Z", false, []string{"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"}},
	{"Lord Howe half hour of hour 2 after 30-minute spring forward", on(nil, []string{"2"}, "Australia/Lord_Howe"),
		"2026-10-03T15:29:00Z", false, []string{"2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z"}},
	{"Lord Howe hour 1 lasts 90 minutes at 30-minute fall back", on(nil, []string{"1"}, "Australia/Lord_Howe"),
		"2026-04-04T13:00:00Z", false, []string{"2026-04-04T14:00:00Z", "2026-04-04T15:30:00Z"}},
	{"Kathmandu +05:45 business hours", on([]string{"mon-fri"}, []string{"9-17"}, "Asia/Kathmandu"),
		"2026-06-01T03:14:00Z", false, []string{"2026-06-01T03:15:00Z", "2026-06-01T12:15:00Z"}},
	{"Kathmandu cron minute boundaries", mask("*/20 9 * * *", "Asia/Kathmandu"),
		"2026-06-01T03:15:30Z", true, []string{"2026-06-01T03:16:00Z", "2026-06-01T03:35:00Z", "2026-06-01T03:36:00Z"}},

	// Midnight changes: Asia/Beirut falls back from 2026-10-25 00:00 EEST to
	// 2026-10-24 23:00 EET (21:00Z); America/Santiago springs from 2026-09-06
	// 00:00 -04 to 01:00 -03 (04:00Z).
	{"Beirut repeats 23:00 of the previous day", on(nil, []string{"23"}, "Asia/Beirut"),
		"2026-10-24T19:00:00Z", false, []string{"2026-10-24T20:00:00Z", "2026-10-24T22:00:00Z"}},
	{"Beirut excluded day lasts 25 hours", excluding(on(nil, []string{"0-23"}, "Asia/Beirut"), "2026-10-24"),
		"2026-10-23T20:59:00Z", true, []string{"2026-10-23T21:00:00Z", "2026-10-24T22:00:00Z"}},
	{"Santiago day after a midnight gap starts at 01:00", excluding(on(nil, []string{"0-23"}, "America/Santiago"), "2026-09-05"),
		"2026-09-05T12:00:00Z", false, []string{"2026-09-06T04:00:00Z"}},
	{"Santiago midnight window start in the gap", windows("America/Santiago", "0 0 * * *", "1h"),
		"2026-09-05T12:00:00Z", false, []string{"2026-09-06T04:00:00Z", "2026-09-06T05:00:00Z", "2026-09-07T03:00:00Z"}},

	// Cron mask.
	{"cron business hours", mask("* 9-17 * * 1-5", "America/New_York"),
		"2026-03-06T21:00:00Z", true, []string{"2026-03-06T23:00:00Z", "2026-03-09T13:00:00Z"}},
	{"cron all weekend", mask("* * * * 0,6", "UTC"),
		"2026-06-05T23:59:00Z", false, []string{"2026-06-06T00:00:00Z", "2026-06-08T00:00:00Z"}},
	{"cron day-of-month or day-of-week", mask("* * 13 * 5", "UTC"),
		"2026-06-04T12:00:00Z", false, []string{"2026-06-05T00:00:00Z", "2026-06-06T00:00:00Z", "2026-06-12T00:00:00Z", "2026-06-14T00:00:00Z"}},
	{"cron leap day, a rare mask", mask("0 0 29 2 *", "UTC"),
		"2027-06-01T00:00:00Z", false, []string{"2028-02-29T00:00:00Z", "2028-02-29T00:01:00Z", "2032-02-29T00:00:00Z"}},
	{"cron never matching", mask("0 0 30 2 *", "UTC"),
		"2026-01-01T00:00:00Z", false, []string{""}},
	{"cron on last day of year", mask("* * 31 12 *", "UTC"),
		"2026-12-31T12:00:00Z", true, []string{"2027-01-01T00:00:00Z"}},
	{"union of day/hour form and cron", Spec{DaysOfWeek: []string{"sat"}, Cron: "* 9-17 * * 1-5", Enabled: true},
		"2026-06-05T17:00:00Z", true, []string{"2026-06-05T18:00:00Z", "2026-06-06T00:00:00Z", "2026-06-07T00:00:00Z", "2026-06-08T09:00:00Z"}},

	// Windows.
	{"weekend window", weekendBerlin,
		"2026-06-05T18:00:00Z", false, []string{"2026-06-05T19:00:00Z", "2026-06-08T04:00:00Z"}},
	{"weekend window across spring forward is 57h elapsed", weekendBerlin,
		"2026-03-28T12:00:00Z", true, []string{"2026-03-30T05:00:00Z", "2026-04-03T19:00:00Z"}},
	{"window start in spring-forward gap opens after the gap", windows("America/New_York", "30 2 * * *", "1h"),
		"2026-03-07T08:30:00Z", false, []string{"2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z", "2026-03-09T06:30:00Z"}},
	{"window start in repeated hour opens once", windows("America/New_York", "30 1 * * *", "1h"),
		"2026-11-01T05:00:00Z", false, []string{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"}},
	{"short window in repeated hour does not reopen", windows("America/New_York", "30 1 * * *", "30m"),
		"2026-11-01T05:45:00Z", true, []string{"2026-11-01T06:00:00Z", "2026-11-02T06:30:00Z"}},
	{"dense windows pause where the repeated half hour opens none", windows("Australia/Lord_Howe", "*/5 * * * *", "10m"),
		"2026-04-04T14:00:00Z", true, []string{"2026-04-04T15:05:00Z", "2026-04-04T15:30:00Z", "2027-04-03T15:05:00Z"}},
	{"Lord Howe window in 30-minute gap", windows("Australia/Lord_Howe", "15 2 * * *", "1h"),
		"2026-10-03T12:00:00Z", false, []string{"2026-10-03T15:30:00Z", "2026-10-03T16:30:00Z"}},
	{"overlapping windows merge", windows("UTC", "0 8 * * *", "3h", "0 10 * * *", "3h"),
		"2026-06-01T07:00:00Z", false, []string{"2026-06-01T08:00:00Z", "2026-06-01T13:00:00Z", "2026-06-02T08:00:00Z"}},
	{"touching windows merge", windows("UTC", "0 8 * * *", "2h", "0 10 * * *", "1h"),
		"2026-06-01T08:00:00Z", true, []string{"2026-06-01T11:00:00Z"}},
	{"window chained by its own starts", windows("UTC", "*/10 * * * *", "10m"),
		"2026-06-01T08:00:00Z", true, []string{""}},
	{"window and hours union", Spec{HoursOfDay: []string{"9-16"}, Windows: []WindowSpec{{Start: "0 17 * * *", Duration: "90m"}}, Enabled: true},
		"2026-06-01T10:00:00Z", true, []string{"2026-06-01T18:30:00Z"}},
	{"sub-minute window duration", windows("UTC", "0 12 * * *", "90s"),
		"2026-06-01T12:00:30Z", true, []string{"2026-06-01T12:01:30Z", "2026-06-02T12:00:00Z"}},

	// Exclusions.
	{"excluded day just after midnight", excluding(on(nil, []string{"22-1"}, "UTC"), "2027-01-01"),
		"2026-12-31T23:30:00Z", true, []string{"2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z", "2027-01-02T02:00:00Z"}},
	{"excluded day just before midnight", excluding(on(nil, []string{"22-1"}, "UTC"), "2026-12-31"),
		"2026-12-31T21:00:00Z", false, []string{"2027-01-01T00:00:00Z", "2027-01-01T02:00:00Z"}},
	{"exclusion is by local date", excluding(on(nil, []string{"23-0"}, "Europe/Berlin"), "2026-06-06"),
		"2026-06-05T20:00:00Z", false, []string{"2026-06-05T21:00:00Z", "2026-06-05T22:00:00Z", "2026-06-06T22:00:00Z"}},
	{"exclusion cuts a window, which resumes at local midnight", excluding(weekendBerlin, "2026-06-06"),
		"2026-06-05T20:00:00Z", true, []string{"2026-06-05T22:00:00Z", "2026-06-06T22:00:00Z", "2026-06-08T04:00:00Z"}},
	{"exclusion ranges", excluding(weekendBerlin, "2026-12-24..2026-12-26", "2026-12-31"),
		"2026-12-21T05:00:00Z", false, []string{"2026-12-26T23:00:00Z", "2026-12-28T05:00:00Z", "2027-01-01T20:00:00Z"}},

	// Enabled and override.
	{"disabled is never active", disabled(on(nil, []string{"9-17"}, "UTC")),
		"2026-06-01T10:00:00Z", false, []string{""}},
	{"override ForceOff expires mid-window, exact to the nanosecond", overridden(weekendBerlin, ForceOff, time.Date(2026, 12, 19, 10, 30, 15, 5, time.UTC)),
		"2026-12-19T08:00:00Z", false, []string{"2026-12-19T10:30:15.000000005Z", "2026-12-21T05:00:00Z"}},
	{"override ForceOn expiring inside a window is no change", overridden(weekendBerlin, ForceOn, time.Date(2026, 12, 19, 10, 0, 0, 0, time.UTC)),
		"2026-12-17T08:00:00Z", true, []string{"2026-12-21T05:00:00Z"}},
	{"override ForceOn expiring outside a window", overridden(weekendBerlin, ForceOn, time.Date(2026, 12, 16, 10, 0, 0, 0, time.UTC)),
		"2026-12-16T08:00:00Z", true, []string{"2026-12-16T10:00:00Z", "2026-12-18T20:00:00Z"}},
	{"override wins over enabled=false", overridden(disabled(on(nil, []string{"9-17"}, "UTC")), ForceOn, time.Date(2026, 6, 1, 20, 0, 0, 0, time.UTC)),
		"2026-06-01T08:00:00Z", true, []string{"2026-06-01T20:00:00Z", ""}},
	{"expired override is ignored", overridden(on(nil, []string{"9-17"}, "UTC"), ForceOff, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)),
		"2026-06-01T10:00:00Z", true, []string{"2026-06-01T18:00:00Z"}},
}

func TestActiveAndNext(t *testing.T) {
	for _, c := range semanticsCases {
		t.Run(c.name, func(t *testing.T) {
			s := mustCompile(t, c.spec)
			cur := at(t, c.at)
			want := c.active
			for i, next := range c.chain {
				if got := s.Active(cur); got != want {
					t.Fatalf("step %d: Active(%s) = %v, want %v", i, utc(cur), got, want)
				}
				got, ok := s.Next(cur)
				if next == "" {
					if ok {
						t.Fatalf("step %d: Next(%s) = %s, want none", i, utc(cur), utc(got))
					}
					return
				}
				if !ok || !got.Equal(at(t, next)) {
					t.Fatalf("step %d: Next(%s) = %s (found %v), want %s", i, utc(cur), utc(got), ok, next)
				}
				if got.Location() != s.Location() {
					t.Errorf("Next is in %v, want the schedule's zone %v", got.Location(), s.Location())
				}
				// Just before the change the old answer still holds.
				if before := got.Add(-time.Nanosecond); before.After(cur) && s.Active(before) != want {
					t.Fatalf("step %d: Active just before %s = %v, want %v", i, next, !want, want)
				}
				cur, want = got, !want
			}
			if got := s.Active(cur); got != want {
				t.Fatalf("end: Active(%s) = %v, want %v", utc(cur), got, want)
			}
		})
	}
}

func TestNeverActive(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		from  string
		never bool
	}{
		{"february 30", mask("0 0 30 2 *", "UTC"), "2026-01-01T00:00:00Z", true},
		{"disabled", disabled(on(nil, []string{"9"}, "UTC")), "2026-01-01T00:00:00Z", true},
		{"leap day within horizon", mask("0 0 29 2 *", "UTC"), "2028-02-29T00:01:00Z", false},
		{"window start on february 31", windows("UTC", "0 0 31 2 *", "1h"), "2026-01-01T00:00:00Z", true},
		{"only on an excluded day", excluding(mask("* * 25 12 *", "UTC"), "2026-12-25..2030-12-25"), "2026-01-01T00:00:00Z", true},
		{"active now", on(nil, []string{"0-23"}, "UTC"), "2026-01-01T00:00:00Z", false},
		{"forced on now", overridden(disabled(on(nil, []string{"1"}, "UTC")), ForceOn, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)), "2026-01-01T00:00:00Z", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := mustCompile(t, c.spec).NeverActive(at(t, c.from)); got != c.never {
				t.Fatalf("NeverActive = %v, want %v", got, c.never)
			}
		})
	}
}

func TestAlwaysActiveHasNoNext(t *testing.T) {
	for _, spec := range []Spec{
		on(nil, []string{"0-23"}, "America/New_York"),
		mask("* * * * *", "Europe/London"),
		windows("Asia/Kathmandu", "*/5 * * * *", "10m"),
		windows("Europe/London", "*/5 * * * *", "70m"), // bridges the skipped starts of a repeated hour
		windows("UTC", "0 0 * * *", "24h"),
		{HoursOfDay: []string{"9-16"}, Windows: []WindowSpec{{Start: "0 17 * * *", Duration: "16h"}}, Enabled: true},
	} {
		s := mustCompile(t, spec)
		from := at(t, "2026-02-01T00:00:00Z")
		if !s.Active(from) {
			t.Errorf("%+v: not active", spec)
		}
		if got, ok := s.Next(from); ok {
			t.Errorf("%+v: Next = %s, want none", spec, utc(got))
		}
	}
}

func TestOutOfRangeInstants(t *testing.T) {
	s := mustCompile(t, on(nil, []string{"9-17"}, "UTC"))
	for _, v := range []time.Time{{}, time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(-5000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(1<<62, 0)} {
		if s.Active(v) {
			t.Errorf("Active(%v) = true, want false outside supported years", v)
		}
		if _, ok := s.Next(v); ok {
			t.Errorf("Next(%v) found a change outside supported years", v)
		}
		if w := s.Windows(v, 3); len(w) != 0 {
			t.Errorf("Windows(%v) = %v, want none", v, w)
		}
	}
}
