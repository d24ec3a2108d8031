package schedule

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Compile parses spec. Errors carry field paths under fldPath (for example
// field.NewPath("spec", "schedule")), one per violation, all of them.
//
// Override errors are reported beside the schedule, under
// fldPath.Root().Child("override") (spec.override in a ScheduledMachine),
// because that is where the manifest keeps the override.
func Compile(spec Spec, fldPath *field.Path) (*Schedule, field.ErrorList) {
	var errs field.ErrorList
	invalid := func(path *field.Path, value string, err error) {
		errs = append(errs, field.Invalid(path, value, detail(err, value)))
	}

	var days Weekdays
	for i, entry := range spec.DaysOfWeek {
		set, err := ParseDays(entry)
		if err != nil {
			invalid(fldPath.Child("daysOfWeek").Index(i), entry, err)
		}
		days |= set
	}
	var hours Hours
	for i, entry := range spec.HoursOfDay {
		set, err := ParseHours(entry)
		if err != nil {
			invalid(fldPath.Child("hoursOfDay").Index(i), entry, err)
		}
		hours |= set
	}
	var wall wallForm
	if len(spec.DaysOfWeek) > 0 || len(spec.HoursOfDay) > 0 {
		// An empty list means "all"; the lists are unions of their entries.
		if len(spec.DaysOfWeek) == 0 {
			days = 1<<7 - 1
		}
		if len(spec.HoursOfDay) == 0 {
			hours = all24
		}
		wall.defined = true
		for d := range wall.hoursByDay {
			if days&(1<<uint(d)) != 0 {
				wall.hoursByDay[d] = uint32(hours)
			}
		}
	}
	if spec.Cron != "" {
		mask, err := ParseCron(spec.Cron)
		if err != nil {
			invalid(fldPath.Child("cron"), spec.Cron, err)
		}
		wall.defined, wall.hasMask, wall.mask = true, true, mask
	}

	windows := make([]window, 0, len(spec.Windows))
	for i, ws := range spec.Windows {
		path := fldPath.Child("windows").Index(i)
		start, err := ParseCron(ws.Start)
		if err != nil {
			invalid(path.Child("start"), ws.Start, err)
		}
		length, err := ParseWindowDuration(ws.Duration)
		if err != nil {
			invalid(path.Child("duration"), ws.Duration, err)
		}
		windows = append(windows, newWindow(start, length))
	}

	ranges := make([]dayRange, 0, len(spec.ExcludeDates))
	for i, entry := range spec.ExcludeDates {
		r, err := ParseExcludeDate(entry)
		if err != nil {
			invalid(fldPath.Child("excludeDates").Index(i), entry, err)
			continue
		}
		ranges = append(ranges, dayRange{first: r.First.dayNumber(), last: r.Last.dayNumber()})
	}

	loc, err := LoadZone(spec.Timezone)
	if err != nil {
		invalid(fldPath.Child("timezone"), spec.Timezone, err)
	}

	if !wall.defined && len(spec.Windows) == 0 {
		errs = append(errs, field.Required(fldPath, "at least one of daysOfWeek, hoursOfDay, cron or windows must be given"))
	}

	if o := spec.Override; o != nil {
		path := field.NewPath("override")
		if fldPath != nil {
			path = fldPath.Root().Child("override")
		}
		if o.Mode != ForceOn && o.Mode != ForceOff {
			errs = append(errs, field.NotSupported(path.Child("mode"), o.Mode, []OverrideMode{ForceOn, ForceOff}))
		}
		if o.Until.IsZero() {
			errs = append(errs, field.Required(path.Child("until"), "an override must say when it expires"))
		}
	}

	if len(errs) > 0 {
		return nil, errs
	}
	s := &Schedule{
		loc:      loc,
		enabled:  spec.Enabled,
		wall:     wall,
		windows:  windows,
		excluded: newExclusions(ranges),
	}
	if spec.Override != nil {
		o := *spec.Override
		o.Until = o.Until.Round(0) // drop any monotonic reading: compare wall clocks only
		s.override = &o
	}
	return s, nil
}
