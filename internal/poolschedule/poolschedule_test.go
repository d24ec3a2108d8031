package poolschedule

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/5spot-dev/5spot/api/v1alpha1"
)

// monday is 2026-11-30 00:00 UTC, a Monday.
var monday = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

func at(day int, hour int, minute int) time.Time {
	return monday.Add(time.Duration(day)*24*time.Hour + time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

func poolEntry(name string, replicas int32, days, hours string) v1alpha1.PoolSchedule {
	s := v1alpha1.ScheduleSpec{}
	if days != "" {
		s.DaysOfWeek = []string{days}
	}
	if hours != "" {
		s.HoursOfDay = []string{hours}
	}
	return v1alpha1.PoolSchedule{Name: name, Replicas: replicas, Schedule: s}
}

// weekdays is "2 otherwise, 10 on weekdays 9-17, 15 at the 11-13 peak, 4 at weekends".
func weekdays() *v1alpha1.ScheduledMachinePoolSpec {
	return &v1alpha1.ScheduledMachinePoolSpec{
		Replicas: ptr.To[int32](2),
		Schedules: []v1alpha1.PoolSchedule{
			poolEntry("business", 10, "mon-fri", "9-17"),
			poolEntry("peak", 15, "mon-fri", "11-13"),
			poolEntry("weekend", 4, "sat-sun", ""),
		},
	}
}

func compile(t *testing.T, spec *v1alpha1.ScheduledMachinePoolSpec) *Plan {
	t.Helper()
	p, errs := Compile(spec)
	if len(errs) > 0 {
		t.Fatalf("compile: %v", errs)
	}
	return p
}

func TestDesiredCountIsTheMaximumOfBaselineAndActiveEntries(t *testing.T) {
	p := compile(t, weekdays())
	cases := []struct {
		name   string
		at     time.Time
		want   int32
		active []string
	}{
		{"before business hours: the baseline", at(0, 8, 59), 2, nil},
		{"business hours", at(0, 9, 0), 10, []string{"business"}},
		{"overlap: the larger entry wins", at(0, 11, 30), 15, []string{"business", "peak"}},
		{"peak over, business still on", at(0, 14, 0), 10, []string{"business"}},
		{"17:59 is still inside 9-17", at(0, 17, 59), 10, []string{"business"}},
		{"evening", at(0, 18, 0), 2, nil},
		{"weekend entry above the baseline", at(5, 12, 0), 4, []string{"weekend"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := p.At(c.at)
			if st.Replicas != c.want || strings.Join(st.Active, ",") != strings.Join(c.active, ",") || st.Override != "" {
				t.Fatalf("got %+v, want %d %v", st, c.want, c.active)
			}
		})
	}
}

func TestNextChangeCountsOnlyInstantsWhereTheCountChanges(t *testing.T) {
	cases := []struct {
		name string
		spec *v1alpha1.ScheduledMachinePoolSpec
		from time.Time
		want []Change
	}{
		{"weekday steps", weekdays(), at(0, 8, 0), []Change{
			{Time: at(0, 9, 0), Replicas: 10}, {Time: at(0, 11, 0), Replicas: 15}, {Time: at(0, 14, 0), Replicas: 10},
			{Time: at(0, 18, 0), Replicas: 2}, {Time: at(1, 9, 0), Replicas: 10},
		}},
		{"an entry nested inside a larger one never changes the count", &v1alpha1.ScheduledMachinePoolSpec{
			Replicas: ptr.To[int32](1),
			Schedules: []v1alpha1.PoolSchedule{
				poolEntry("outer", 10, "", "8-19"), poolEntry("inner", 5, "", "10-12"), poolEntry("below-baseline", 1, "", "0-3"),
			},
		}, at(0, 9, 0), []Change{{Time: at(0, 20, 0), Replicas: 1}, {Time: at(1, 8, 0), Replicas: 10}}},
		{"touching entries of equal replicas are one stretch", &v1alpha1.ScheduledMachinePoolSpec{
			Schedules: []v1alpha1.PoolSchedule{poolEntry("morning", 3, "", "8-11"), poolEntry("afternoon", 3, "", "12-15")},
		}, at(0, 7, 0), []Change{{Time: at(0, 8, 0), Replicas: 3}, {Time: at(0, 16, 0), Replicas: 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := compile(t, c.spec).Changes(c.from, len(c.want))
			if len(got) != len(c.want) {
				t.Fatalf("got %d changes: %+v", len(got), got)
			}
			for i := range got {
				if !got[i].Time.Equal(c.want[i].Time) || got[i].Replicas != c.want[i].Replicas {
					t.Errorf("change %d: got %s → %d, want %s → %d", i, got[i].Time, got[i].Replicas, c.want[i].Time, c.want[i].Replicas)
				}
			}
		})
	}
}

func TestNoChangeWithoutEntriesOrWithEntriesThatNeverRaise(t *testing.T) {
	for _, spec := range []*v1alpha1.ScheduledMachinePoolSpec{
		{Replicas: ptr.To[int32](3)},
		{Replicas: ptr.To[int32](3), Schedules: []v1alpha1.PoolSchedule{poolEntry("small", 2, "mon-fri", "9-17")}},
		{Schedules: []v1alpha1.PoolSchedule{{Name: "off", Replicas: 5, Schedule: v1alpha1.ScheduleSpec{HoursOfDay: []string{"9"}, Enabled: ptr.To(false)}}}},
	} {
		if c, ok := compile(t, spec).Next(at(0, 0, 0)); ok {
			t.Errorf("%+v: unexpected change %+v", spec, c)
		}
	}
}

func TestOverrideDecidesUntilItExpires(t *testing.T) {
	until := metav1.NewTime(at(0, 10, 0))
	withOverride := func(mode v1alpha1.OverrideMode, replicas *int32) *v1alpha1.ScheduledMachinePoolSpec {
		spec := weekdays()
		spec.Schedules = append(spec.Schedules, v1alpha1.PoolSchedule{Name: "disabled", Replicas: 50,
			Schedule: v1alpha1.ScheduleSpec{HoursOfDay: []string{"0-23"}, Enabled: ptr.To(false)}})
		spec.Override = &v1alpha1.PoolOverride{ScheduleOverride: v1alpha1.ScheduleOverride{Mode: mode, Until: until}, Replicas: replicas}
		return spec
	}
	cases := []struct {
		name     string
		spec     *v1alpha1.ScheduledMachinePoolSpec
		now      time.Time
		want     int32
		next     Change
		override v1alpha1.OverrideMode
	}{
		{"ForceOn without replicas is peak capacity of the enabled entries", withOverride(v1alpha1.OverrideForceOn, nil), at(0, 7, 0), 15,
			Change{Time: at(0, 10, 0), Replicas: 10}, v1alpha1.OverrideForceOn},
		{"ForceOff without replicas is the baseline", withOverride(v1alpha1.OverrideForceOff, nil), at(0, 9, 30), 2,
			Change{Time: at(0, 10, 0), Replicas: 10}, v1alpha1.OverrideForceOff},
		{"replicas set: exactly that", withOverride(v1alpha1.OverrideForceOff, ptr.To[int32](0)), at(0, 7, 0), 0,
			Change{Time: at(0, 10, 0), Replicas: 10}, v1alpha1.OverrideForceOff},
		{"an expiry that keeps the count is no change", withOverride(v1alpha1.OverrideForceOn, ptr.To[int32](10)), at(0, 9, 30), 10,
			Change{Time: at(0, 11, 0), Replicas: 15}, v1alpha1.OverrideForceOn},
		{"an expired override is ignored", withOverride(v1alpha1.OverrideForceOff, ptr.To[int32](0)), at(0, 10, 0), 10,
			Change{Time: at(0, 11, 0), Replicas: 15}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := compile(t, c.spec)
			st := p.At(c.now)
			if st.Replicas != c.want || st.Override != c.override {
				t.Fatalf("at %s: got %+v, want %d (%s)", c.now, st, c.want, c.override)
			}
			next, ok := p.Next(c.now)
			if !ok || !next.Time.Equal(c.next.Time) || next.Replicas != c.next.Replicas {
				t.Fatalf("next: got %+v %v, want %+v", next, ok, c.next)
			}
		})
	}
}

func TestCompileNamesTheEntryInFieldPaths(t *testing.T) {
	spec := weekdays()
	spec.Schedules[1].Schedule.HoursOfDay = []string{"25"}
	spec.Schedules[2].Schedule.Timezone = "Mars/Olympus"
	_, errs := Compile(spec)
	if len(errs) != 2 || errs[0].Field != "spec.schedules[1].schedule.hoursOfDay[0]" || errs[1].Field != "spec.schedules[2].schedule.timezone" {
		t.Fatalf("got %v", errs)
	}
}

func TestPreviewListsChangesWithActiveEntriesAndWarnings(t *testing.T) {
	spec := weekdays()
	spec.Schedules = append(spec.Schedules, poolEntry("tiny", 1, "", "1"), v1alpha1.PoolSchedule{Name: "never", Replicas: 9,
		Schedule: v1alpha1.ScheduleSpec{Cron: "* * 30 2 *"}})
	r := Preview("workers", compile(t, spec), at(0, 8, 0), 3)
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"workers","kind":"ScheduledMachinePool","desiredReplicas":2,"activeSchedules":[],"changes":[` +
		`{"time":"2026-11-30T09:00:00Z","replicas":10,"activeSchedules":["business"]},` +
		`{"time":"2026-11-30T11:00:00Z","replicas":15,"activeSchedules":["business","peak"]},` +
		`{"time":"2026-11-30T14:00:00Z","replicas":10,"activeSchedules":["business"]}],` +
		`"warnings":["schedule never never activates within 4 years","schedule tiny asks for no more machines than spec.replicas (2): it never changes the count"]}`
	if string(data) != want {
		t.Fatalf("got\n%s\nwant\n%s", data, want)
	}
	var b strings.Builder
	if err := WriteTable(&b, []Report{r}); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"workers  2        -", "1  Mon 2026-11-30 09:00Z  10        business", "3  Mon 2026-11-30 14:00Z  10        business", "warning: schedule never"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("table lacks %q:\n%s", line, b.String())
		}
	}
}
