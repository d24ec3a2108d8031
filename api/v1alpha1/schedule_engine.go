package v1alpha1

import "github.com/5spot-dev/5spot/internal/schedule"

// EngineSpec converts the API schedule and an optional override into the
// schedule engine's input. Defaults that the API server fills in (timezone
// UTC, enabled true) are applied here too, so objects read offline behave the
// same. A disabled schedule drops the override: enabled=false is also how an
// emergency reclaim keeps a machine away, and no override may undo that.
func (s *ScheduleSpec) EngineSpec(override *ScheduleOverride) schedule.Spec {
	spec := schedule.Spec{
		DaysOfWeek:   s.DaysOfWeek,
		HoursOfDay:   s.HoursOfDay,
		Cron:         s.Cron,
		ExcludeDates: s.ExcludeDates,
		Timezone:     s.Timezone,
		Enabled:      s.Enabled == nil || *s.Enabled,
	}
	for _, w := range s.Windows {
		spec.Windows = append(spec.Windows, schedule.WindowSpec{Start: w.Start, Duration: w.Duration})
	}
	if override != nil && spec.Enabled {
		spec.Override = &schedule.Override{Mode: schedule.OverrideMode(override.Mode), Until: override.Until.Time}
	}
	return spec
}
