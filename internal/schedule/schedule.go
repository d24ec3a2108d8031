// Package schedule is 5-Spot's pure schedule engine: it parses a ScheduledMachine
// schedule once into a compiled Schedule and answers, for any instant, whether the
// schedule is active and exactly when that answer changes next.
//
// The parsers here are the only parsers: admission (the validating webhook and
// `kubectl 5spot validate`) reports the errors Compile returns, so a manifest
// that passes admission always compiles.
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
	// Enabled false means never active.
	Enabled bool
	// Override, when set and not yet expired, decides the answer until Until.
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
	spec     Spec // as compiled, for previews
}

// Location returns the zone the schedule reads wall-clock time in.
func (s *Schedule) Location() *time.Location { return s.loc }
