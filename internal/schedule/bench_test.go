package schedule

import (
	"testing"
	"time"
)

// Benchmarks measure Active and Next separately over instants spread across
// 2026-2027 (an odd step, so they land at all times of day and week).
// Results are kept in BENCHMARKS.md.

var benchSpecs = []struct {
	name string
	spec Spec
}{
	{"BusinessHoursNewYork", on([]string{"mon-fri"}, []string{"9-17"}, "America/New_York")},
	{"CronMaskBusinessHours", mask("* 9-17 * * 1-5", "America/New_York")},
	{"WeekendWindowBerlinWithExcludes", excluding(weekendBerlin, "2026-12-24..2026-12-26", "2026-12-31")},
	{"RareCronMaskLeapDay", mask("0 0 29 2 *", "UTC")},
	{"RareWindowStartLeapDay", windows("America/New_York", "30 2 29 2 *", "3h")},
	{"DenseWindowAlwaysOnWorstCase", windows("UTC", "*/5 * * * *", "10m")},
	// Always on by a daily hand-over between two forms: Next walks the whole
	// horizon a day at a time. The slowest realistic shape we know of.
	{"AlwaysOnHandOverWorstCase", Spec{HoursOfDay: []string{"9-16"}, Windows: []WindowSpec{{Start: "0 17 * * *", Duration: "16h"}}, Timezone: "America/New_York", Enabled: true}},
}

func spreadInstants() []time.Time {
	out := make([]time.Time, 1024)
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		out[i] = t
		t = t.Add(8*time.Hour + 47*time.Minute + 13*time.Second)
	}
	return out
}

func BenchmarkActive(b *testing.B) {
	instants := spreadInstants()
	for _, bs := range benchSpecs {
		s := mustCompile(b, bs.spec)
		b.Run(bs.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				s.Active(instants[i%len(instants)])
			}
		})
	}
}

func BenchmarkNext(b *testing.B) {
	instants := spreadInstants()
	for _, bs := range benchSpecs {
		s := mustCompile(b, bs.spec)
		b.Run(bs.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				s.Next(instants[i%len(instants)])
			}
		})
	}
}

func BenchmarkWindows10(b *testing.B) {
	instants := spreadInstants()
	s := mustCompile(b, benchSpecs[2].spec)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Windows(instants[i%len(instants)], 10)
	}
}

func TestActiveDoesNotAllocate(t *testing.T) {
	instants := spreadInstants()
	specs := append([]Spec{overridden(weekendBerlin, ForceOn, instants[500])}, excluding(on(nil, []string{"1-3"}, "Australia/Lord_Howe"), "2026-04-05"))
	for _, bs := range benchSpecs {
		specs = append(specs, bs.spec)
	}
	for _, spec := range specs {
		s := mustCompile(t, spec)
		i := 0
		if allocs := testing.AllocsPerRun(2000, func() {
			s.Active(instants[i%len(instants)])
			i++
		}); allocs != 0 {
			t.Errorf("%+v: Active allocates %v times per call", spec, allocs)
		}
	}
}
