package demo

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// Row is one ScheduledMachine as the live table shows it.
type Row struct {
	Name           string
	Phase          string
	Machine        string
	Node           string
	NextActivation time.Time // zero when unset
	NextCleanup    time.Time // zero when unset
	Message        string
}

// Snapshot is what one look at the API server found.
type Snapshot struct {
	// ControlPlane describes the workload cluster's control plane.
	ControlPlane string
	Rows         []Row
	// Err is set when the look failed (the view keeps the last rows).
	Err string
}

// RowsOf turns ScheduledMachines into rows, sorted by name.
func RowsOf(items []v1alpha1.ScheduledMachine) []Row {
	rows := make([]Row, 0, len(items))
	for i := range items {
		sm := &items[i]
		row := Row{Name: sm.Name, Phase: string(sm.Status.Phase), Message: sm.Status.Message}
		if sm.Status.MachineRef != nil {
			row.Machine = sm.Status.MachineRef.Name
		}
		if sm.Status.NodeRef != nil {
			row.Node = sm.Status.NodeRef.Name
		}
		if t := sm.Status.NextActivation; t != nil {
			row.NextActivation = t.Time
		}
		if t := sm.Status.NextCleanup; t != nil {
			row.NextCleanup = t.Time
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows
}

// Key identifies what the table shows, without countdowns or messages: the
// plain-text view prints a new block only when the key changes.
func (s Snapshot) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s\n", s.ControlPlane, s.Err)
	for _, r := range s.Rows {
		fmt.Fprintf(&b, "%s|%s|%s|%s|%d|%d\n", r.Name, r.Phase, r.Machine, r.Node,
			unixOrZero(r.NextActivation), unixOrZero(r.NextCleanup))
	}
	return b.String()
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// RenderTable writes the header line and the table. Times are UTC (the
// examples' schedules are in UTC) with a countdown relative to now.
func RenderTable(w io.Writer, s Snapshot, start, now time.Time) {
	fmt.Fprintf(w, "%s  %s  %s\n", now.UTC().Format("15:04:05Z"), Elapsed(now.Sub(start)), s.ControlPlane)
	if s.Err != "" {
		fmt.Fprintf(w, "(last look failed: %s)\n", s.Err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPHASE\tMACHINE\tNODE\tNEXT ACTIVATION\tNEXT CLEANUP")
	for _, r := range s.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, orDash(r.Phase), orDash(r.Machine), orDash(r.Node),
			When(r.NextActivation, now), When(r.NextCleanup, now))
	}
	_ = tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// When shows an instant as UTC wall-clock time with a countdown:
// "14:07:00Z (in 1m28s)", with the weekday when it is not today.
func When(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t, now = t.UTC(), now.UTC()
	layout := "15:04:05Z"
	if t.YearDay() != now.YearDay() || t.Year() != now.Year() {
		layout = "Mon 15:04Z"
	}
	d := t.Sub(now)
	if d <= 0 {
		return t.Format(layout) + " (now)"
	}
	return fmt.Sprintf("%s (in %s)", t.Format(layout), countdown(d))
}

// countdown is a short, stable rendering of a positive duration: seconds
// matter below an hour, minutes below a day.
func countdown(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// Elapsed renders time since the demo started: "+1m05s".
func Elapsed(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("+%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// Transition is a phase change seen by the view.
type Transition struct {
	At      time.Time
	Name    string
	From    string // "" when the object was first seen
	To      string
	Message string
}

// String renders the transition relative to the demo's start.
func (t Transition) String(start time.Time) string {
	from := t.From
	if from == "" {
		from = "(new)"
	}
	s := fmt.Sprintf("%s  %-11s %s → %s", Elapsed(t.At.Sub(start)), t.Name, from, t.To)
	if t.Message != "" {
		s += ": " + t.Message
	}
	return s
}

// Tracker remembers each object's last phase to report transitions.
type Tracker struct{ last map[string]string }

// Observe returns the phase changes since the previous call.
func (tr *Tracker) Observe(at time.Time, rows []Row) []Transition {
	if tr.last == nil {
		tr.last = map[string]string{}
	}
	var out []Transition
	for _, r := range rows {
		prev, seen := tr.last[r.Name]
		if seen && prev == r.Phase {
			continue
		}
		tr.last[r.Name] = r.Phase
		out = append(out, Transition{At: at, Name: r.Name, From: prev, To: orDash(r.Phase), Message: r.Message})
	}
	return out
}
