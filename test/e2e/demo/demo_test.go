package demo

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/internal/schedule"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWindowStartIsAWholeMinuteAfterLeadAndNotice(t *testing.T) {
	for _, tc := range []struct {
		name         string
		start, now   string
		lead, notice time.Duration
		want         string
	}{
		{"rounds down to the nearest minute", "2026-05-04T10:00:50Z", "2026-05-04T10:01:02Z", 90 * time.Second, 20 * time.Second, "2026-05-04T10:02:00Z"},
		{"rounds up to the nearest minute", "2026-05-04T10:00:20Z", "2026-05-04T10:00:32Z", 90 * time.Second, 20 * time.Second, "2026-05-04T10:02:00Z"},
		{"already whole", "2026-05-04T10:00:30Z", "2026-05-04T10:00:31Z", 90 * time.Second, 20 * time.Second, "2026-05-04T10:02:00Z"},
		{"a slow start pushes it by the notice", "2026-05-04T10:00:00Z", "2026-05-04T10:01:50Z", 90 * time.Second, 20 * time.Second, "2026-05-04T10:03:00Z"},
		{"the notice wins over rounding down", "2026-05-04T10:00:20Z", "2026-05-04T10:01:45Z", 90 * time.Second, 20 * time.Second, "2026-05-04T10:03:00Z"},
		{"crosses midnight", "2026-05-04T23:59:30Z", "2026-05-04T23:59:30Z", 90 * time.Second, 20 * time.Second, "2026-05-05T00:01:00Z"},
		{"no lead", "2026-05-04T10:00:00Z", "2026-05-04T10:00:05Z", 0, 15 * time.Second, "2026-05-04T10:01:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := WindowStart(at(tc.start), at(tc.now), tc.lead, tc.notice)
			NewWithT(t).Expect(got).To(Equal(at(tc.want)))
		})
	}
}

// The examples must do what the demo says, according to the product's own
// schedule engine: active-now active for hours, opens-soon inactive until its
// window and active right after, paused never.
func TestExamplesScheduleWhatTheDemoPromises(t *testing.T) {
	for _, now := range []string{"2026-05-04T10:00:40Z", "2026-05-04T22:59:50Z", "2026-05-04T23:58:30Z"} {
		t.Run(now, func(t *testing.T) {
			g := NewWithT(t)
			n := at(now)
			window := WindowStart(n, n, DefaultWindowLead, DefaultMinNotice)
			sms, err := Examples("demo", "demo", n, window, DefaultWindowDuration)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(sms).To(HaveLen(3))
			byName := map[string]*v1alpha1.ScheduledMachine{}
			for _, sm := range sms {
				byName[sm.Name] = sm
				g.Expect(sm.Spec.ClusterName).To(Equal("demo"))
				g.Expect(sm.Annotations[DescriptionAnnotation]).NotTo(BeEmpty())
			}
			active := func(name string, t time.Time) bool {
				sched, errs := schedule.Compile(byName[name].Spec.Schedule.EngineSpec(nil), nil)
				g.Expect(errs).To(BeEmpty(), "%s's schedule should compile", name)
				return sched.Active(t)
			}
			g.Expect(active(ActiveNow, n)).To(BeTrue(), "active-now should be active at the start")
			g.Expect(active(ActiveNow, n.Add(2*time.Hour))).To(BeTrue(), "active-now should stay active for two hours")
			g.Expect(active(OpensSoon, n)).To(BeFalse(), "opens-soon should wait for its window")
			g.Expect(active(OpensSoon, window.Add(-time.Second))).To(BeFalse())
			g.Expect(active(OpensSoon, window)).To(BeTrue(), "opens-soon should be active when its window opens")
			g.Expect(active(OpensSoon, window.Add(DefaultWindowDuration-time.Second))).To(BeTrue())
			g.Expect(active(OpensSoon, window.Add(DefaultWindowDuration))).To(BeFalse(), "the window should close after its duration")
			g.Expect(active(Paused, at("2026-05-09T12:00:00Z"))).To(BeFalse(), "paused should not be active even on a Saturday")
		})
	}
}

// The inline specs keep the shapes CAPI's v1beta2 validation accepts: a
// KubeadmConfig with a non-empty nodeRegistration and an in-memory DevMachine.
func TestExamplesEmbedAKubeadmJoinAndAnInMemoryDevMachine(t *testing.T) {
	g := NewWithT(t)
	now := at("2026-05-04T10:00:00Z")
	sms, err := Examples("demo", "demo", now, now.Add(2*time.Minute), time.Minute)
	g.Expect(err).NotTo(HaveOccurred())
	var bootstrap, infra map[string]any
	g.Expect(json.Unmarshal(sms[0].Spec.BootstrapSpec.Spec.Raw, &bootstrap)).To(Succeed())
	g.Expect(json.Unmarshal(sms[0].Spec.InfrastructureSpec.Spec.Raw, &infra)).To(Succeed())
	g.Expect(bootstrap).To(HaveKeyWithValue("joinConfiguration", HaveKeyWithValue("nodeRegistration", HaveKey("criSocket"))))
	g.Expect(infra).To(HaveKeyWithValue("backend", HaveKey("inMemory")))
}

func TestWhenShowsUTCTimeAndCountdown(t *testing.T) {
	g := NewWithT(t)
	now := at("2026-05-04T10:00:00Z")
	g.Expect(When(time.Time{}, now)).To(Equal("-"))
	g.Expect(When(at("2026-05-04T10:01:28Z"), now)).To(Equal("10:01:28Z (in 1m28s)"))
	g.Expect(When(at("2026-05-04T13:00:00Z"), now)).To(Equal("13:00:00Z (in 3h00m)"))
	g.Expect(When(at("2026-05-09T00:00:00Z"), now)).To(Equal("Sat 00:00Z (in 4d14h)"))
	g.Expect(When(at("2026-05-04T09:59:00Z"), now)).To(Equal("09:59:00Z (now)"))
}

func TestTrackerReportsEachPhaseChangeOnce(t *testing.T) {
	g := NewWithT(t)
	var tr Tracker
	t0 := at("2026-05-04T10:00:00Z")
	first := tr.Observe(t0, []Row{{Name: "a", Phase: "Inactive"}, {Name: "b", Phase: "Disabled"}})
	g.Expect(first).To(HaveLen(2))
	g.Expect(tr.Observe(t0, []Row{{Name: "a", Phase: "Inactive"}, {Name: "b", Phase: "Disabled"}})).To(BeEmpty())
	next := tr.Observe(t0.Add(time.Minute), []Row{{Name: "a", Phase: "Provisioning", Message: "created Machine a-1"}, {Name: "b", Phase: "Disabled"}})
	g.Expect(next).To(HaveLen(1))
	g.Expect(next[0].String(t0)).To(Equal("+1m00s  a           Inactive → Provisioning: created Machine a-1"))
}

// The plain-text view prints a block only when what it shows changes, not
// when a countdown ticks.
func TestKeyIgnoresCountdownsAndMessages(t *testing.T) {
	g := NewWithT(t)
	row := Row{Name: "a", Phase: "Inactive", NextActivation: at("2026-05-04T10:02:00Z"), Message: "x"}
	s1 := Snapshot{ControlPlane: "cp", Rows: []Row{row}}
	row.Message = "y"
	s2 := Snapshot{ControlPlane: "cp", Rows: []Row{row}}
	g.Expect(s1.Key()).To(Equal(s2.Key()))
	row.Phase = "Provisioning"
	g.Expect(Snapshot{ControlPlane: "cp", Rows: []Row{row}}.Key()).NotTo(Equal(s1.Key()))

	var buf bytes.Buffer
	RenderTable(&buf, s1, at("2026-05-04T10:00:00Z"), at("2026-05-04T10:00:32Z"))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	g.Expect(lines).To(HaveLen(3))
	g.Expect(lines[0]).To(Equal("10:00:32Z  +0m32s  cp"))
	g.Expect(strings.Fields(lines[1])).To(Equal([]string{"NAME", "PHASE", "MACHINE", "NODE", "NEXT", "ACTIVATION", "NEXT", "CLEANUP"}))
	g.Expect(strings.Fields(lines[2])).To(Equal([]string{"a", "Inactive", "-", "-", "10:02:00Z", "(in", "1m28s)", "-"}))
}
