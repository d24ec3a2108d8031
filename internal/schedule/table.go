package schedule

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable renders reports for people: a summary line per schedule, then
// each schedule's windows in its own zone and in UTC, then its warnings.
// Reports made by Preview know their zone; others are shown in UTC.
//
//	NAME     ZONE           ACTIVE  NEXT ACTIVATION  NEXT CLEANUP
//	weekend  Europe/Berlin  yes     -                Mon 2026-12-21 06:00 CET (05:00Z)
//
//	weekend:
//	  #  START (Europe/Berlin)     END (Europe/Berlin)       START (UTC)        END (UTC)          LENGTH
//	  1  Fri 2026-12-18 21:00 CET  Mon 2026-12-21 06:00 CET  2026-12-18 20:00Z  2026-12-21 05:00Z  57h0m0s
//	  warning: excludeDates removes activity on 2026-12-25..2026-12-26
func WriteTable(w io.Writer, reports []Report) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tZONE\tACTIVE\tNEXT ACTIVATION\tNEXT CLEANUP")
	for _, r := range reports {
		loc := r.location()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, loc, yesNo(r.Active), moment(r.NextActivation, loc), moment(r.NextCleanup, loc))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reports {
		loc := r.location()
		fmt.Fprintf(&b, "\n%s:\n", r.Name)
		if len(r.Windows) == 0 {
			b.WriteString("  no windows\n")
		} else {
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "  #\tSTART (%s)\tEND (%s)\tSTART (UTC)\tEND (UTC)\tLENGTH\n", loc, loc)
			for i, win := range r.Windows {
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", i+1,
					win.Start.In(loc).Format(localLayout), win.End.In(loc).Format(localLayout),
					win.Start.UTC().Format(utcLayout), win.End.UTC().Format(utcLayout), win.End.Sub(win.Start))
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

const (
	localLayout = "Mon 2006-01-02 15:04 MST"
	utcLayout   = "2006-01-02 15:04Z"
)

func (r *Report) location() *time.Location {
	if r.zone == nil {
		return time.UTC
	}
	return r.zone
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func moment(t *time.Time, loc *time.Location) string {
	if t == nil {
		return "-"
	}
	return fmt.Sprintf("%s (%s)", t.In(loc).Format(localLayout), t.UTC().Format("15:04Z"))
}
