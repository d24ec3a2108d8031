package poolschedule

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// Kind is the kind a pool report carries, so that readers of mixed JSON
// output (ScheduledMachine reports have no kind) can tell them apart.
const Kind = "ScheduledMachinePool"

// Report is what `kubectl 5spot preview` shows for one pool. Times are UTC.
type Report struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// DesiredReplicas is the desired count at the preview instant.
	DesiredReplicas int32 `json:"desiredReplicas"`
	// ActiveSchedules are the entries active at the preview instant.
	ActiveSchedules []string `json:"activeSchedules"`
	// Override is the override's mode when one is in force, else "".
	Override string `json:"override,omitempty"`
	// Changes are the next changes of the desired count.
	Changes  []ReportChange `json:"changes"`
	Warnings []string       `json:"warnings"`
}

// ReportChange is one change of the desired count.
type ReportChange struct {
	Time            time.Time `json:"time"`
	Replicas        int32     `json:"replicas"`
	ActiveSchedules []string  `json:"activeSchedules"`
}

// Preview reports the pool's desired count at at and its next count
// changes, with warnings about entries that never matter.
func Preview(name string, p *Plan, at time.Time, count int) Report {
	st := p.At(at)
	r := Report{Name: name, Kind: Kind, DesiredReplicas: st.Replicas, ActiveSchedules: nonNil(st.Active),
		Override: string(st.Override), Changes: []ReportChange{}, Warnings: []string{}}
	for _, c := range p.Changes(at, count) {
		r.Changes = append(r.Changes, ReportChange{Time: c.Time.UTC(), Replicas: c.Replicas, ActiveSchedules: nonNil(c.Active)})
	}
	for _, n := range p.NeverActive(at) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("schedule %s never activates within 4 years", n))
	}
	for _, n := range p.NeverRaises() {
		r.Warnings = append(r.Warnings, fmt.Sprintf("schedule %s asks for no more machines than spec.replicas (%d): it never changes the count", n, p.baseline))
	}
	if len(r.Changes) == 0 {
		r.Warnings = append(r.Warnings, "the desired count never changes within 4 years")
	}
	return r
}

// WriteTable renders pool reports for people:
//
//	NAME     DESIRED  ACTIVE SCHEDULES  OVERRIDE
//	workers  2        -                 -
//
//	workers:
//	  #  TIME (UTC)             REPLICAS  ACTIVE SCHEDULES
//	  1  Tue 2026-12-01 08:00Z  10        business-hours
func WriteTable(w io.Writer, reports []Report) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESIRED\tACTIVE SCHEDULES\tOVERRIDE")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.Name, r.DesiredReplicas, names(r.ActiveSchedules), dash(r.Override))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		fmt.Fprintf(&b, "\n%s:\n", r.Name)
		if len(r.Changes) == 0 {
			b.WriteString("  no changes\n")
		} else {
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  #\tTIME (UTC)\tREPLICAS\tACTIVE SCHEDULES")
			for i, c := range r.Changes {
				fmt.Fprintf(tw, "  %d\t%s\t%d\t%s\n", i+1, c.Time.UTC().Format("Mon 2006-01-02 15:04Z"), c.Replicas, names(c.ActiveSchedules))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		for _, warning := range r.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", warning)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Names joins entry names for a column, "-" when there are none.
func names(n []string) string { return dash(strings.Join(n, ",")) }

// ActiveColumn is the status.activeSchedule value for entry names.
func ActiveColumn(n []string) string { return names(n) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// OverrideReason returns the condition reason of an override mode.
func OverrideReason(mode v1alpha1.OverrideMode) string {
	if mode == v1alpha1.OverrideForceOn {
		return v1alpha1.ReasonOverrideForceOn
	}
	return v1alpha1.ReasonOverrideForceOff
}
