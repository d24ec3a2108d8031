// Package schedule is 5-Spot's pure schedule engine: it parses a ScheduledMachine
// schedule once into a compiled Schedule and answers, for any instant, whether the
// schedule is active and exactly when that answer changes next.
//
// The parsers here are the only parsers: admission (the validating webhook and
// `kubectl 5spot validate`) reports the errors Compile returns, so a manifest
// that passes admission always compiles.
//
// Semantics. The schedule is active at an instant when an override in force
// says so, or else when it is enabled, the instant's local date (in Timezone)
// is not excluded, and any defined form matches:
//   - day/hour form: local weekday in DaysOfWeek and local hour in HoursOfDay,
//     by the local calendar day of the instant;
//   - cron mask: the local minute matches Cron (cron's day-of-month OR
//     day-of-week rule when both are restricted);
//   - windows: some window opened at most Duration (elapsed time) ago.
//
// Day/hour and cron forms read the wall clock: a skipped hour never matches,
// a repeated hour matches both times. A window start that falls into a
// spring-forward gap opens at the first instant after the gap; one in a
// repeated hour opens once, at its first occurrence. Exclusions cut whole
// local days out of every form, windows included.
//
// Decisions beyond the manifest's documentation:
//   - An override in force (instant before Until) wins over everything,
//     Enabled=false included: it is an explicit, self-expiring request.
//   - A window lasts at most MaxWindowDuration (8760h, a year).
//   - Instants outside the years 1900-9998 are inactive and have no Next.
package schedule

import (
	"time"
)

// Spec is a schedule as written in a manifest: plain strings, nothing parsed.
type Spec struct {
	// DaysOfWeek entries: "mon".."sun", ranges "mon-fri", comma lists "mon-wed,fri",
	// wrap-around "fri-mon". Empty means every day.
	DaysOfWeek []string
	// HoursOfDay entries: "9", "9-17" (inclusive), "0-8,18-23", wrap-around "22-6".
	// Empty means every hour.
	HoursOfDay []string
	// Cron is an optional 5-field cron mask: active in every local minute it matches.
	Cron string
	// Windows open at each Start (5-field cron, local time) for Duration of elapsed time.
	Windows []WindowSpec
	// ExcludeDates are local dates "2026-12-25" or inclusive ranges "2026-12-24..2026-12-26".
	ExcludeDates []string
	// Timezone is an IANA zone name; empty means UTC.
	Timezone string
	// Enabled false means never active, unless an override is in force.
	Enabled bool
	// Override, when set and not yet expired, decides the answer until Until,
	// even when Enabled is false.
	Override *Override
}

// WindowSpec is one window: a start cron expression and a Go duration.
type WindowSpec struct {
	Start    string
	Duration string
}

// OverrideMode forces the schedule on or off.
type OverrideMode string

const (
	ForceOn  OverrideMode = "ForceOn"
	ForceOff OverrideMode = "ForceOff"
)

// Override is a temporary decision that expires by itself at Until.
type Override struct {
	Mode  OverrideMode
	Until time.Time
}

// Interval is a half-open active interval [Start, End).
type Interval struct {
	Start time.Time
	End   time.Time
}

// Horizon is how far Next and Windows search before reporting "never".
const Horizon = 4*366*24*time.Hour + 24*time.Hour

// Schedule is a compiled schedule. It is immutable and safe for concurrent use.
type Schedule struct {
	loc      *time.Location
	enabled  bool
	override *Override // nil when there is none
	wall     wallForm
	windows  []window
	excluded exclusions
}

// Location returns the zone the schedule reads wall-clock time in.
func (s *Schedule) Location() *time.Location { return s.loc }
