package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// View is the live table of `make demo`.
type View struct {
	Client client.Client
	Demo   *Demo
	Out    io.Writer
	// Terminal redraws the table in place (with countdowns ticking); otherwise
	// a new block is printed only when something changes, so that a log or a
	// pipe gets the story and nothing else.
	Terminal bool
	// Width, when it returns > 0, cuts terminal lines so they never wrap
	// (a wrapped line would break the in-place redraw).
	Width func() int
	// Start is the demo's start, for the "+1m05s" stamps.
	Start time.Time
	// Poll is how often the API server is read (default 500ms). Polling one
	// local API server is cheap and, unlike a watch, needs no re-list logic.
	Poll time.Duration
	// History is how many transitions the terminal view keeps (default 8).
	History int
	// Now is the clock (default time.Now).
	Now func() time.Time

	tracker     Tracker
	transitions []Transition
	lastKey     string
	drawnLines  int
	lastDraw    time.Time
}

// Run shows the table until ctx is done.
func (v *View) Run(ctx context.Context) error {
	if v.Poll == 0 {
		v.Poll = 500 * time.Millisecond
	}
	if v.History == 0 {
		v.History = 8
	}
	if v.Now == nil {
		v.Now = time.Now
	}
	if v.Terminal {
		fmt.Fprint(v.Out, "\x1b[?25l")       // hide the cursor while redrawing
		defer fmt.Fprint(v.Out, "\x1b[?25h") // and give it back
	}
	tick := time.NewTicker(v.Poll)
	defer tick.Stop()
	for {
		v.step(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// step reads once and draws if needed.
func (v *View) step(ctx context.Context) {
	now := v.Now()
	snap := v.look(ctx)
	if ctx.Err() != nil {
		return // interrupted mid-read: not a failure worth drawing
	}
	fresh := v.tracker.Observe(now, snap.Rows)
	v.transitions = append(v.transitions, fresh...)
	if len(v.transitions) > v.History {
		v.transitions = v.transitions[len(v.transitions)-v.History:]
	}
	key := snap.Key()
	changed := key != v.lastKey
	v.lastKey = key
	switch {
	case v.Terminal && (changed || now.Sub(v.lastDraw) >= time.Second):
		v.redraw(snap, now)
	case !v.Terminal && changed:
		RenderTable(v.Out, snap, v.Start, now)
		for _, t := range fresh {
			fmt.Fprintln(v.Out, "  "+t.String(v.Start))
		}
		fmt.Fprintln(v.Out)
	}
}

// look reads the examples and the workload cluster's state.
func (v *View) look(ctx context.Context) Snapshot {
	wc := v.Demo.Cluster
	snap := Snapshot{ControlPlane: fmt.Sprintf("cluster %s/%s: control plane initialized", wc.Namespace, wc.Name)}
	if err := wc.ControlPlaneInitialized(ctx, v.Client); err != nil {
		snap.ControlPlane = fmt.Sprintf("cluster %s/%s: control plane initializing", wc.Namespace, wc.Name)
	}
	list := &v1alpha1.ScheduledMachineList{}
	if err := v.Client.List(ctx, list, client.InNamespace(v.Demo.Namespace)); err != nil {
		snap.Err = err.Error()
		return snap
	}
	snap.Rows = RowsOf(list.Items)
	return snap
}

// redraw replaces the previous drawing: cursor up over it, clear to the end
// of the screen, draw again.
func (v *View) redraw(snap Snapshot, now time.Time) {
	var buf bytes.Buffer
	RenderTable(&buf, snap, v.Start, now)
	if len(v.transitions) > 0 {
		buf.WriteString("\nchanges:\n")
		for _, t := range v.transitions {
			buf.WriteString("  " + t.String(v.Start) + "\n")
		}
	}
	buf.WriteString("\nCtrl-C stops the demo and removes everything.\n")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	width := 0
	if v.Width != nil {
		width = v.Width()
	}
	var out strings.Builder
	if v.drawnLines > 0 {
		fmt.Fprintf(&out, "\r\x1b[%dA", v.drawnLines)
	}
	out.WriteString("\x1b[J")
	for _, l := range lines {
		out.WriteString(cut(l, width) + "\n")
	}
	_, _ = io.WriteString(v.Out, out.String())
	v.drawnLines = len(lines)
	v.lastDraw = now
}

// cut shortens a line to fit width columns (runes; the table is ASCII but
// for the arrow).
func cut(s string, width int) string {
	if width <= 1 {
		return s
	}
	r := []rune(s)
	if len(r) < width {
		return s
	}
	return string(r[:width-2]) + "…"
}
