package schedule

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Golden previews, worked out by hand.
func TestPreviewJSON(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		at    string
		count int
		want  string
	}{
		{
			// Open since Fri 18 Dec 21:00 CET; the Christmas weekend window
			// (Fri 25 Dec 21:00 to Mon 28 Dec 06:00) loses 24-26 Dec and so
			// opens at Sun 27 Dec 00:00 CET; 31 Dec is a Thursday, no loss.
			name: "weekend-berlin",
			spec: excluding(weekendBerlin, "2026-12-24..2026-12-26", "2026-12-31"),
			at:   "2026-12-20T12:00:00Z", count: 3,
			want: `{"name":"weekend-berlin","active":true,"nextActivation":null,"nextCleanup":"2026-12-21T05:00:00Z",` +
				`"windows":[{"start":"2026-12-18T20:00:00Z","end":"2026-12-21T05:00:00Z"},` +
				`{"start":"2026-12-26T23:00:00Z","end":"2026-12-28T05:00:00Z"},` +
				`{"start":"2027-01-01T20:00:00Z","end":"2027-01-04T05:00:00Z"}],` +
				`"warnings":["excludeDates removes activity on 2026-12-25..2026-12-26"]}`,
		},
		{
			// Sunday 00:00-03:59 local is 3h on the spring-forward Sunday.
			name: "london-sunday-night",
			spec: on([]string{"sun"}, []string{"0-3"}, "Europe/London"),
			at:   "2026-03-27T12:00:00Z", count: 2,
			want: `{"name":"london-sunday-night","active":false,"nextActivation":"2026-03-29T00:00:00Z","nextCleanup":null,` +
				`"windows":[{"start":"2026-03-29T00:00:00Z","end":"2026-03-29T03:00:00Z"},` +
				`{"start":"2026-04-04T23:00:00Z","end":"2026-04-05T03:00:00Z"}],` +
				`"warnings":["window 2026-03-29 00:00–04:00 Europe/London lasts 3h0m0s because of a DST change"]}`,
		},
		{
			name: "weekend-over-fall-back",
			spec: weekendBerlin,
			at:   "2026-10-20T00:00:00Z", count: 1,
			want: `{"name":"weekend-over-fall-back","active":false,"nextActivation":"2026-10-23T19:00:00Z","nextCleanup":null,` +
				`"windows":[{"start":"2026-10-23T19:00:00Z","end":"2026-10-26T04:00:00Z"}],` +
				`"warnings":["window 2026-10-23 21:00–2026-10-26 05:00 Europe/Berlin lasts 57h0m0s because of a DST change"]}`,
		},
		{
			name: "february-30",
			spec: mask("0 0 30 2 *", "UTC"),
			at:   "2026-01-01T00:00:00Z", count: 3,
			want: `{"name":"february-30","active":false,"nextActivation":null,"nextCleanup":null,"windows":[],"warnings":["never activates within 4 years"]}`,
		},
		{
			name: "excluded-into-never",
			spec: excluding(mask("* 9 25 12 *", "UTC"), "2026-12-20..2031-01-01"),
			at:   "2026-12-01T00:00:00Z", count: 1,
			want: `{"name":"excluded-into-never","active":false,"nextActivation":null,"nextCleanup":null,"windows":[],` +
				`"warnings":["excludeDates removes activity on 2026-12-25","excludeDates removes activity on 2027-12-25",` +
				`"excludeDates removes activity on 2028-12-25","excludeDates removes activity on 2029-12-25","never activates within 4 years"]}`,
		},
		{
			name: "forced-on-while-excluded",
			spec: overridden(excluding(on(nil, []string{"9-17"}, "UTC"), "2026-06-01"), ForceOn, at(t, "2026-06-01T12:00:00Z")),
			at:   "2026-06-01T10:00:00Z", count: 2,
			want: `{"name":"forced-on-while-excluded","active":true,"nextActivation":null,"nextCleanup":"2026-06-01T12:00:00Z",` +
				`"windows":[{"start":"2026-06-01T10:00:00Z","end":"2026-06-01T12:00:00Z"},{"start":"2026-06-02T09:00:00Z","end":"2026-06-02T18:00:00Z"}],` +
				`"warnings":["excludeDates removes activity on 2026-06-01"]}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, errs := Preview(c.name, c.spec, at(t, c.at), c.count)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			got, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestPreviewReportsCompileErrors(t *testing.T) {
	r, errs := Preview("bad", Spec{HoursOfDay: []string{"25"}}, time.Now(), 3)
	if len(errs) != 1 || errs[0].Field != "spec.schedule.hoursOfDay[0]" {
		t.Fatalf("errors = %v", errs)
	}
	got, _ := json.Marshal(r)
	if want := `{"name":"bad","active":false,"nextActivation":null,"nextCleanup":null,"windows":[],"warnings":[]}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestWriteTable(t *testing.T) {
	weekend, _ := Preview("weekend", excluding(weekendBerlin, "2026-12-24..2026-12-26"), at(t, "2026-12-20T12:00:00Z"), 2)
	never, _ := Preview("never", mask("0 0 30 2 *", "UTC"), at(t, "2026-12-20T12:00:00Z"), 2)
	var b bytes.Buffer
	if err := WriteTable(&b, []Report{weekend, never}); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"NAME     ZONE           ACTIVE  NEXT ACTIVATION  NEXT CLEANUP",
		"weekend  Europe/Berlin  yes     -                Mon 2026-12-21 06:00 CET (05:00Z)",
		"never    UTC            no      -                -",
		"",
		"weekend:",
		"  #  START (Europe/Berlin)     END (Europe/Berlin)       START (UTC)        END (UTC)          LENGTH",
		"  1  Fri 2026-12-18 21:00 CET  Mon 2026-12-21 06:00 CET  2026-12-18 20:00Z  2026-12-21 05:00Z  57h0m0s",
		"  2  Sun 2026-12-27 00:00 CET  Mon 2026-12-28 06:00 CET  2026-12-26 23:00Z  2026-12-28 05:00Z  30h0m0s",
		"  warning: excludeDates removes activity on 2026-12-25..2026-12-26",
		"",
		"never:",
		"  no windows",
		"  warning: never activates within 4 years",
		"",
	}, "\n")
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
