package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the binaries must know every IANA zone whatever the host has

	"github.com/robfig/cron/v3"
)

// ParseError is a parser's complaint about one part of its input. Compile
// turns it into a field.Invalid whose value is the whole entry, so Reason is
// written to follow the quoted token ("\"25\" is not an hour (0-23)") or, when
// the token is the whole entry, to follow the entry shown by field.Invalid.
type ParseError struct {
	// Token is the offending part of the input; "" means the whole input.
	Token string
	// Reason names the rule the token breaks.
	Reason string
}

func (e *ParseError) Error() string {
	if e.Token == "" {
		return e.Reason
	}
	return strconv.Quote(e.Token) + " " + e.Reason
}

// detail is the message Compile shows for err found in entry: the bare reason
// when the whole entry is at fault, the quoted token and reason otherwise.
func detail(err error, entry string) string {
	if pe, ok := err.(*ParseError); ok && (pe.Token == "" || pe.Token == strings.TrimSpace(entry)) {
		return pe.Reason
	}
	return err.Error()
}

// Weekdays is a set of weekdays, bit i standing for time.Weekday(i).
type Weekdays uint8

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<uint(d)) != 0 }

// Hours is a set of hours of the day, bit h standing for hour h (0-23).
type Hours uint32

// Has reports whether hour h is in the set.
func (h Hours) Has(hour int) bool { return hour >= 0 && hour < 24 && h&(1<<uint(hour)) != 0 }

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseDays parses one daysOfWeek entry: a day (mon..sun, lower case), a range
// (mon-fri, wrapping as in fri-mon) or a comma list of those. Spaces around
// the entry and its parts are ignored.
func ParseDays(entry string) (Weekdays, error) {
	var set Weekdays
	err := parseList(entry, dayList, func(i int) { set |= 1 << uint(i) })
	return set, err
}

// ParseHours parses one hoursOfDay entry: an hour (0-23), an inclusive range
// (9-17 is 9:00-17:59, wrapping as in 22-6) or a comma list of those.
func ParseHours(entry string) (Hours, error) {
	var set Hours
	err := parseList(entry, hourList, func(i int) { set |= 1 << uint(i) })
	return set, err
}

// listSyntax describes a comma list of items "x" or "x-y" over the cyclic
// domain 0..size-1; ranges wrap past the end.
type listSyntax struct {
	expected string // what an entry may be, for messages
	one      string // one value, for messages
	item     string // what one item may be, for messages
	example  string // a range, for messages
	size     int
	parseOne func(string) (int, error)
}

var (
	dayList = listSyntax{
		expected: "a day (mon..sun), a range such as mon-fri, or a comma list such as mon-wed,fri",
		one:      "a day",
		item:     "a day or a range of days",
		example:  "mon-fri",
		size:     7,
		parseOne: parseDay,
	}
	hourList = listSyntax{
		expected: "an hour (0-23), a range such as 9-17 (inclusive), or a comma list such as 0-8,18-23",
		one:      "an hour",
		item:     "an hour or a range of hours",
		example:  "9-17",
		size:     24,
		parseOne: parseHour,
	}
)

func parseList(entry string, syntax listSyntax, add func(int)) error {
	s := strings.TrimSpace(entry)
	if s == "" {
		return &ParseError{Reason: "is empty: expected " + syntax.expected}
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return &ParseError{Reason: "has an empty item in its comma list: expected " + syntax.expected}
		}
		ends := strings.Split(item, "-")
		if len(ends) > 2 {
			return &ParseError{Token: item, Reason: "is not " + syntax.item + ": write start-end, such as " + syntax.example}
		}
		for i := range ends {
			ends[i] = strings.TrimSpace(ends[i])
			if ends[i] == "" {
				return &ParseError{Token: item, Reason: "is missing " + syntax.one + ` on one side of "-": write start-end, such as ` + syntax.example}
			}
		}
		from, err := syntax.parseOne(ends[0])
		if err != nil {
			return err
		}
		to := from
		if len(ends) == 2 {
			if to, err = syntax.parseOne(ends[1]); err != nil {
				return err
			}
		}
		for i := from; ; i = (i + 1) % syntax.size {
			add(i)
			if i == to {
				break
			}
		}
	}
	return nil
}

func parseDay(tok string) (int, error) {
	for i, name := range dayNames {
		if tok == name {
			return i, nil
		}
	}
	if strings.ToLower(tok) != tok {
		return 0, &ParseError{Token: tok, Reason: "is not lower case: day names must be lower case (mon, tue, wed, thu, fri, sat, sun)"}
	}
	return 0, &ParseError{Token: tok, Reason: "is not a day: use mon, tue, wed, thu, fri, sat or sun"}
}

func parseHour(tok string) (int, error) {
	if len(tok) < 1 || len(tok) > 2 || strings.Trim(tok, "0123456789") != "" {
		return 0, &ParseError{Token: tok, Reason: "is not an hour (0-23)"}
	}
	h, _ := strconv.Atoi(tok)
	if h > 23 {
		return 0, &ParseError{Token: tok, Reason: "is not an hour (0-23)"}
	}
	return h, nil
}

// Cron is a parsed 5-field cron expression, kept as bit sets.
type Cron struct {
	minute uint64 // bits 0-59
	hour   uint32 // bits 0-23
	dom    uint32 // bits 1-31
	month  uint16 // bits 1-12
	dow    uint8  // bits 0-6, Sunday is 0
	// either is cron's rule: when day-of-month and day-of-week are both
	// restricted (neither starts with "*"), a day matching either one matches.
	either bool
}

// cronParser is robfig/cron restricted to the five classic fields.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

const starBit = 1 << 63 // robfig marks fields written with "*" or "?" with this bit

var cronFields = [5]struct{ name, values string }{
	{"minute", "0-59"},
	{"hour", "0-23"},
	{"day-of-month", "1-31"},
	{"month", "1-12 or jan-dec"},
	{"day-of-week", "0-6 or sun-sat, Sunday is 0"},
}

var descriptorEquivalents = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// ParseCron parses a 5-field cron expression (minute hour day-of-month month
// day-of-week) with robfig/cron. Descriptors (@daily, @every 1h), a seconds
// field and TZ= prefixes are rejected: the schedule has its own timezone.
func ParseCron(expr string) (Cron, error) {
	s := strings.TrimSpace(expr)
	switch {
	case s == "":
		return Cron{}, &ParseError{Reason: "is empty: expected 5 fields (minute hour day-of-month month day-of-week)"}
	case strings.HasPrefix(s, "@"):
		reason := "is a descriptor, which is not supported: write the 5 fields (minute hour day-of-month month day-of-week)"
		if eq, ok := descriptorEquivalents[s]; ok {
			reason += fmt.Sprintf(", for example %q", eq)
		}
		return Cron{}, &ParseError{Reason: reason}
	case strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ="):
		return Cron{}, &ParseError{Reason: "has a TZ= or CRON_TZ= prefix, which is not supported: set timezone instead"}
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		reason := fmt.Sprintf("has %d fields: expected exactly 5 (minute hour day-of-month month day-of-week)", len(fields))
		if len(fields) == 6 {
			reason += "; a seconds field is not supported"
		}
		return Cron{}, &ParseError{Reason: reason}
	}
	parsed, err := cronParser.Parse(strings.Join(fields, " "))
	if err != nil {
		return Cron{}, &ParseError{Reason: "is not a valid cron expression: " + blameCronField(fields, err)}
	}
	spec := parsed.(*cron.SpecSchedule)
	// robfig accepts a field of bare commas (",") as the empty set.
	for i, bits := range []uint64{spec.Minute, spec.Hour, spec.Dom, spec.Month, spec.Dow} {
		if bits&^starBit == 0 {
			f := cronFields[i]
			return Cron{}, &ParseError{Reason: fmt.Sprintf("is not a valid cron expression: %s field %q (%s) selects no value", f.name, fields[i], f.values)}
		}
	}
	return Cron{
		minute: spec.Minute &^ starBit,
		hour:   uint32(spec.Hour &^ starBit),
		dom:    uint32(spec.Dom &^ starBit),
		month:  uint16(spec.Month &^ starBit),
		dow:    uint8(spec.Dow &^ starBit),
		either: spec.Dom&starBit == 0 && spec.Dow&starBit == 0,
	}, nil
}

// blameCronField names the first field that fails on its own, since robfig's
// messages do not say which field they are about.
func blameCronField(fields []string, whole error) string {
	for i := range fields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = fields[i]
		if _, err := cronParser.Parse(strings.Join(probe, " ")); err != nil {
			f := cronFields[i]
			why := strings.TrimSuffix(err.Error(), ": "+fields[i])
			return fmt.Sprintf("%s field %q (%s): %s", f.name, fields[i], f.values, why)
		}
	}
	return whole.Error()
}

// MaxWindowDuration is the longest window: a window longer than a year would
// overlap every later start of any yearly schedule and mean "always".
const MaxWindowDuration = 8760 * time.Hour

// ParseWindowDuration parses a window duration: Go syntax (90m, 57h), greater
// than zero and at most MaxWindowDuration.
func ParseWindowDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0, &ParseError{Reason: `is not a duration: use Go syntax such as "90m", "8h" or "57h30m" (there is no day unit)`}
	case d <= 0:
		return 0, &ParseError{Reason: "must be greater than zero"}
	case d > MaxWindowDuration:
		return 0, &ParseError{Reason: "must be at most 8760h (one year)"}
	}
	return d, nil
}

// Date is a calendar date without a zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// dayNumber is the count of days since 1970-01-01.
func (d Date) dayNumber() int64 { return daysFromCivil(int64(d.Year), int(d.Month), d.Day) }

// DateRange is an inclusive range of local dates; a single date has First == Last.
type DateRange struct {
	First, Last Date
}

// ParseExcludeDate parses an excludeDates entry: a real date YYYY-MM-DD or an
// inclusive range A..B with A <= B.
func ParseExcludeDate(entry string) (DateRange, error) {
	s := strings.TrimSpace(entry)
	first, last, isRange := strings.Cut(s, "..")
	a, err := parseDate(strings.TrimSpace(first), isRange)
	if err != nil {
		return DateRange{}, err
	}
	if !isRange {
		return DateRange{First: a, Last: a}, nil
	}
	b, err := parseDate(strings.TrimSpace(last), true)
	if err != nil {
		return DateRange{}, err
	}
	if b.dayNumber() < a.dayNumber() {
		return DateRange{}, &ParseError{Reason: fmt.Sprintf("is a range whose end %s is before its start %s", b, a)}
	}
	return DateRange{First: a, Last: b}, nil
}

// parseDate accepts exactly YYYY-MM-DD naming a day that exists.
func parseDate(s string, partOfRange bool) (Date, error) {
	bad := &ParseError{Reason: "is not a real date (YYYY-MM-DD, or a range YYYY-MM-DD..YYYY-MM-DD)"}
	if partOfRange {
		bad = &ParseError{Token: s, Reason: "is not a real date (YYYY-MM-DD)"}
		if s == "" {
			bad = &ParseError{Reason: "is a range with a missing date: write YYYY-MM-DD..YYYY-MM-DD"}
		}
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, bad
	}
	digits := s[0:4] + s[5:7] + s[8:10]
	if strings.Trim(digits, "0123456789") != "" {
		return Date{}, bad
	}
	y, _ := strconv.Atoi(s[0:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	if m < 1 || m > 12 || d < 1 || d > daysInMonth(int64(y), m) {
		return Date{}, bad
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// LoadZone loads an IANA time zone; "" means UTC. "Local" is refused because
// it would make the schedule depend on the machine reading it.
func LoadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, &ParseError{Reason: `is not allowed: it means the machine's own zone; use an IANA zone name such as "Europe/Berlin"`}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, &ParseError{Reason: `is not a known IANA time zone (for example "Europe/Berlin", "America/New_York" or "UTC")`}
	}
	return loc, nil
}
