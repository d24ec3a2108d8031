package schedule

import (
	"strings"
	"testing"
	"time"
)

func days(ds ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range ds {
		w |= 1 << uint(d)
	}
	return w
}

func hours(hs ...int) Hours {
	var h Hours
	for _, x := range hs {
		h |= 1 << uint(x)
	}
	return h
}

func TestParseDays(t *testing.T) {
	valid := []struct {
		in   string
		want Weekdays
	}{
		{"mon", days(time.Monday)},
		{"sun", days(time.Sunday)},
		{"mon-fri", days(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)},
		{"fri-mon", days(time.Friday, time.Saturday, time.Sunday, time.Monday)},
		{"sat-sat", days(time.Saturday)},
		{"sun-sat", days(0, 1, 2, 3, 4, 5, 6)},
		{"mon-wed,fri", days(time.Monday, time.Tuesday, time.Wednesday, time.Friday)},
		{"  tue  ", days(time.Tuesday)},
		{" sat - sun , wed ", days(time.Saturday, time.Sunday, time.Wednesday)},
		{"mon,mon", days(time.Monday)},
	}
	for _, c := range valid {
		got, err := ParseDays(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDays(%q) = %07b, %v; want %07b", c.in, got, err, c.want)
		}
	}
	invalid := []struct{ in, err string }{
		{"", "is empty: expected a day (mon..sun), a range such as mon-fri, or a comma list such as mon-wed,fri"},
		{"   ", "is empty: expected a day (mon..sun), a range such as mon-fri, or a comma list such as mon-wed,fri"},
		{"Mon", `"Mon" is not lower case: day names must be lower case (mon, tue, wed, thu, fri, sat, sun)`},
		{"mon-FRI", `"FRI" is not lower case: day names must be lower case (mon, tue, wed, thu, fri, sat, sun)`},
		{"monday", `"monday" is not a day: use mon, tue, wed, thu, fri, sat or sun`},
		{"1", `"1" is not a day: use mon, tue, wed, thu, fri, sat or sun`},
		{"mon-wed-fri", `"mon-wed-fri" is not a day or a range of days: write start-end, such as mon-fri`},
		{"mon-", `"mon-" is missing a day on one side of "-": write start-end, such as mon-fri`},
		{"mon,,fri", "has an empty item in its comma list: expected a day (mon..sun), a range such as mon-fri, or a comma list such as mon-wed,fri"},
		{"mon,", "has an empty item in its comma list: expected a day (mon..sun), a range such as mon-fri, or a comma list such as mon-wed,fri"},
		{"mon fri", `"mon fri" is not a day: use mon, tue, wed, thu, fri, sat or sun`},
	}
	for _, c := range invalid {
		if _, err := ParseDays(c.in); err == nil || err.Error() != c.err {
			t.Errorf("ParseDays(%q) error = %v, want %q", c.in, err, c.err)
		}
	}
}

func TestParseHours(t *testing.T) {
	valid := []struct {
		in   string
		want Hours
	}{
		{"0", hours(0)},
		{"23", hours(23)},
		{"09", hours(9)},
		{"9-17", hours(9, 10, 11, 12, 13, 14, 15, 16, 17)},
		{"22-6", hours(22, 23, 0, 1, 2, 3, 4, 5, 6)},
		{"1-1", hours(1)},
		{"0-8,18-23", hours(0, 1, 2, 3, 4, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23)},
		{" 5 - 6 , 8 ", hours(5, 6, 8)},
		{"0-23", all24},
	}
	for _, c := range valid {
		got, err := ParseHours(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseHours(%q) = %024b, %v; want %024b", c.in, got, err, c.want)
		}
	}
	if h, _ := ParseHours("9-17"); !h.Has(17) || h.Has(18) || h.Has(-1) || h.Has(24) {
		t.Errorf("Hours.Has is wrong for 9-17: %024b", h)
	}
	invalid := []struct{ in, err string }{
		{"", "is empty: expected an hour (0-23), a range such as 9-17 (inclusive), or a comma list such as 0-8,18-23"},
		{"24", `"24" is not an hour (0-23)`},
		{"25", `"25" is not an hour (0-23)`},
		{"9-25", `"25" is not an hour (0-23)`},
		{"-1", `"-1" is missing an hour on one side of "-": write start-end, such as 9-17`},
		{"+1", `"+1" is not an hour (0-23)`},
		{"100", `"100" is not an hour (0-23)`},
		{"9am", `"9am" is not an hour (0-23)`},
		{"1-2-3", `"1-2-3" is not an hour or a range of hours: write start-end, such as 9-17`},
		{"1,,2", "has an empty item in its comma list: expected an hour (0-23), a range such as 9-17 (inclusive), or a comma list such as 0-8,18-23"},
	}
	for _, c := range invalid {
		if _, err := ParseHours(c.in); err == nil || err.Error() != c.err {
			t.Errorf("ParseHours(%q) error = %v, want %q", c.in, err, c.err)
		}
	}
}

func TestParseCron(t *testing.T) {
	valid := []struct {
		in   string
		want Cron
	}{
		{"* 9-17 * * 1-5", Cron{minute: all60, hour: 0x3fe00, dom: 0xfffffffe, month: 0x1ffe, dow: 0x3e}},
		{"0 0 29 2 *", Cron{minute: 1, hour: 1, dom: 1 << 29, month: 1 << 2, dow: 0x7f}},
		{"  0 0 13 * 5  ", Cron{minute: 1, hour: 1, dom: 1 << 13, month: 0x1ffe, dow: 1 << 5, either: true}},
		{"*/15 * ? jan-mar sun", Cron{minute: 1 | 1<<15 | 1<<30 | 1<<45, hour: all24, dom: 0xfffffffe, month: 0xe, dow: 1}},
		{"0 0 */2 * 1", Cron{minute: 1, hour: 1, dom: 0xaaaaaaaa, month: 0x1ffe, dow: 2, either: true}},
	}
	for _, c := range valid {
		got, err := ParseCron(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseCron(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	invalid := []struct{ in, err string }{
		{"", "is empty: expected 5 fields (minute hour day-of-month month day-of-week)"},
		{"@daily", `is a descriptor, which is not supported: write the 5 fields (minute hour day-of-month month day-of-week), for example "0 0 * * *"`},
		{"@hourly", `is a descriptor, which is not supported: write the 5 fields (minute hour day-of-month month day-of-week), for example "0 * * * *"`},
		{"@every 1h", "is a descriptor, which is not supported: write the 5 fields (minute hour day-of-month month day-of-week)"},
		{"TZ=UTC", "has a TZ= or CRON_TZ= prefix, which is not supported: set timezone instead"},
		{"CRON_TZ=Europe/Berlin 0 0 * * *", "has a TZ= or CRON_TZ= prefix, which is not supported: set timezone instead"},
		{"0 0 * * * *", "has 6 fields: expected exactly 5 (minute hour day-of-month month day-of-week); a seconds field is not supported"},
		{"0 0 *", "has 3 fields: expected exactly 5 (minute hour day-of-month month day-of-week)"},
		{"60 * * * *", `is not a valid cron expression: minute field "60" (0-59): end of range (60) above maximum (59)`},
		{"0 25 * * *", `is not a valid cron expression: hour field "25" (0-23): end of range (25) above maximum (23)`},
		{"0 0 0 * *", `is not a valid cron expression: day-of-month field "0" (1-31): beginning of range (0) below minimum (1)`},
		{"0 0 * 13 *", `is not a valid cron expression: month field "13" (1-12 or jan-dec): end of range (13) above maximum (12)`},
		{"0 0 * * 7", `is not a valid cron expression: day-of-week field "7" (0-6 or sun-sat, Sunday is 0): end of range (7) above maximum (6)`},
		{"*/0 * * * *", `is not a valid cron expression: minute field "*/0" (0-59): step of range should be a positive number`},
		{"0 , * * 0", `is not a valid cron expression: hour field "," (0-23) selects no value`},
		{",,, * * * *", `is not a valid cron expression: minute field ",,," (0-59) selects no value`},
		{"a * * * *", `is not a valid cron expression: minute field "a" (0-59): failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax`},
	}
	for _, c := range invalid {
		if _, err := ParseCron(c.in); err == nil || err.Error() != c.err {
			t.Errorf("ParseCron(%q) error = %v,\n want %q", c.in, err, c.err)
		}
	}
}

func TestParseWindowDuration(t *testing.T) {
	valid := map[string]time.Duration{"1h": time.Hour, "57h": 57 * time.Hour, " 90m ": 90 * time.Minute, "1h30m": 90 * time.Minute, "30s": 30 * time.Second, "8760h": MaxWindowDuration}
	for in, want := range valid {
		if got, err := ParseWindowDuration(in); err != nil || got != want {
			t.Errorf("ParseWindowDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	invalid := map[string]string{
		"":       `is not a duration: use Go syntax such as "90m", "8h" or "57h30m" (there is no day unit)`,
		"1d":     `is not a duration: use Go syntax such as "90m", "8h" or "57h30m" (there is no day unit)`,
		"90":     `is not a duration: use Go syntax such as "90m", "8h" or "57h30m" (there is no day unit)`,
		"0s":     "must be greater than zero",
		"0":      "must be greater than zero",
		"-1h":    "must be greater than zero",
		"8761h":  "must be at most 8760h (one year)",
		"99999h": "must be at most 8760h (one year)",
	}
	for in, want := range invalid {
		if _, err := ParseWindowDuration(in); err == nil || err.Error() != want {
			t.Errorf("ParseWindowDuration(%q) error = %v, want %q", in, err, want)
		}
	}
}

func TestParseExcludeDate(t *testing.T) {
	d := func(y int, m time.Month, day int) Date { return Date{Year: y, Month: m, Day: day} }
	valid := []struct {
		in   string
		want DateRange
	}{
		{"2026-12-25", DateRange{d(2026, 12, 25), d(2026, 12, 25)}},
		{" 2028-02-29 ", DateRange{d(2028, 2, 29), d(2028, 2, 29)}},
		{"2026-12-24..2026-12-26", DateRange{d(2026, 12, 24), d(2026, 12, 26)}},
		{"2026-12-31 .. 2027-01-01", DateRange{d(2026, 12, 31), d(2027, 1, 1)}},
		{"2026-05-05..2026-05-05", DateRange{d(2026, 5, 5), d(2026, 5, 5)}},
	}
	for _, c := range valid {
		if got, err := ParseExcludeDate(c.in); err != nil || got != c.want {
			t.Errorf("ParseExcludeDate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	const notDate = "is not a real date (YYYY-MM-DD, or a range YYYY-MM-DD..YYYY-MM-DD)"
	invalid := []struct{ in, err string }{
		{"2026-02-30", notDate},
		{"2026-02-29", notDate},
		{"2100-02-29", notDate},
		{"2026-13-01", notDate},
		{"2026-00-10", notDate},
		{"2026-1-05", notDate},
		{"26-01-05", notDate},
		{"2026/01/05", notDate},
		{"", notDate},
		{"2026-12-26..2026-12-24", "is a range whose end 2026-12-24 is before its start 2026-12-26"},
		{"2026-12-24..2026-02-30", `"2026-02-30" is not a real date (YYYY-MM-DD)`},
		{"..2026-01-01", "is a range with a missing date: write YYYY-MM-DD..YYYY-MM-DD"},
		{"2026-01-01..", "is a range with a missing date: write YYYY-MM-DD..YYYY-MM-DD"},
		{"2026-01-01..2026-01-02..2026-01-03", `"2026-01-02..2026-01-03" is not a real date (YYYY-MM-DD)`},
	}
	for _, c := range invalid {
		if _, err := ParseExcludeDate(c.in); err == nil || err.Error() != c.err {
			t.Errorf("ParseExcludeDate(%q) error = %v, want %q", c.in, err, c.err)
		}
	}
	if got := d(2026, 1, 5).String(); got != "2026-01-05" {
		t.Errorf("Date.String() = %q", got)
	}
}

func TestLoadZone(t *testing.T) {
	for name, want := range map[string]string{"": "UTC", "UTC": "UTC", "Europe/Berlin": "Europe/Berlin", "Australia/Lord_Howe": "Australia/Lord_Howe", "Asia/Kathmandu": "Asia/Kathmandu"} {
		if loc, err := LoadZone(name); err != nil || loc.String() != want {
			t.Errorf("LoadZone(%q) = %v, %v; want %s", name, loc, err, want)
		}
	}
	for _, name := range []string{"Local", "Mars/Olympus", "europe/berlin", "../etc/passwd", "Europe/Berlin "} {
		if _, err := LoadZone(name); err == nil || !strings.Contains(err.Error(), "Europe/Berlin") {
			t.Errorf("LoadZone(%q) error = %v, want a message with an example zone", name, err)
		}
	}
}
