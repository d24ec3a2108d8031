// Package demo is what `make demo` shows: a workload cluster on CAPD's
// in-memory backend and three example ScheduledMachines whose schedules are
// computed from the current time, so that within a few minutes one machine is
// Active, one goes Inactive → Provisioning → Active when its window opens,
// and one stays Disabled. The command test/e2e/cmd/demo runs it on a local
// management plane; the e2e suite runs Setup against its own plane to check
// that the story really happens.
package demo

import (
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	infrav1 "sigs.k8s.io/cluster-api/test/infrastructure/docker/api/v1beta2"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

// Names of the three examples.
const (
	// ActiveNow's day/hour schedule covers the current UTC hour and the next two.
	ActiveNow = "active-now"
	// OpensSoon has a daily window that opens at WindowStart (UTC).
	OpensSoon = "opens-soon"
	// Paused has a weekend schedule with enabled=false.
	Paused = "paused"
)

// DescriptionAnnotation says, on each example, what its schedule does.
const DescriptionAnnotation = "demo.5spot.dev/description"

// Defaults of Options.
const (
	DefaultNamespace      = "demo"
	DefaultClusterName    = "demo"
	DefaultWindowLead     = 90 * time.Second
	DefaultMinNotice      = 20 * time.Second
	DefaultWindowDuration = 3 * time.Minute
	// gracefulShutdown is short so that the end of the opens-soon window
	// (cordon, grace period, drain, delete, Inactive) fits in the demo.
	gracefulShutdown = 20 * time.Second
)

// WindowStart returns when the opens-soon window should open: the whole UTC
// minute nearest to start+lead (start is the demo's start, so the window
// opens "about 90 s after start" however long the plane took; cron has
// minute resolution, hence the rounding), but at least notice after now (the
// moment the object is created, so that it is seen Inactive first).
func WindowStart(start, now time.Time, lead, notice time.Duration) time.Time {
	t := start.Add(lead).UTC().Round(time.Minute)
	if earliest := now.Add(notice).UTC(); t.Before(earliest) {
		t = earliest.Truncate(time.Minute)
		if t.Before(earliest) {
			t = t.Add(time.Minute)
		}
	}
	return t
}

// Examples returns the three ScheduledMachines for cluster in namespace.
// now decides ActiveNow's hours; windowStart is OpensSoon's window start
// (see WindowStart), windowDuration its length. All schedules are in UTC, so
// the demo behaves the same in every time zone.
func Examples(namespace, cluster string, now, windowStart time.Time, windowDuration time.Duration) ([]*v1alpha1.ScheduledMachine, error) {
	bootstrap, err := embed(bootstrapv1.GroupVersion.String(), "KubeadmConfig", mgmt.KubeadmJoinConfigSpec())
	if err != nil {
		return nil, err
	}
	infra, err := embed(infrav1.GroupVersion.String(), "DevMachine", mgmt.InMemoryDevMachineSpec())
	if err != nil {
		return nil, err
	}
	hour := now.UTC().Hour()
	windowStart = windowStart.UTC()
	object := func(name, description string, schedule v1alpha1.ScheduleSpec) *v1alpha1.ScheduledMachine {
		return &v1alpha1.ScheduledMachine{
			ObjectMeta: metav1.ObjectMeta{
				Namespace:   namespace,
				Name:        name,
				Annotations: map[string]string{DescriptionAnnotation: description},
			},
			Spec: v1alpha1.ScheduledMachineSpec{
				ClusterName:             cluster,
				Schedule:                schedule,
				BootstrapSpec:           bootstrap,
				InfrastructureSpec:      infra,
				GracefulShutdownTimeout: &metav1.Duration{Duration: gracefulShutdown},
			},
		}
	}
	return []*v1alpha1.ScheduledMachine{
		object(ActiveNow, "day/hour form covering this hour and the next two",
			v1alpha1.ScheduleSpec{
				DaysOfWeek: []string{"mon-sun"},
				// Wraps around midnight when started late in the day (22-0).
				HoursOfDay: []string{fmt.Sprintf("%d-%d", hour, (hour+2)%24)},
				Timezone:   "UTC",
			}),
		object(OpensSoon, fmt.Sprintf("daily window at %s UTC for %s", windowStart.Format("15:04"), windowDuration),
			v1alpha1.ScheduleSpec{
				Windows: []v1alpha1.ScheduleWindow{{
					Start:    fmt.Sprintf("%d %d * * *", windowStart.Minute(), windowStart.Hour()),
					Duration: windowDuration.String(),
				}},
				Timezone: "UTC",
			}),
		object(Paused, "weekend schedule, paused (enabled: false)",
			v1alpha1.ScheduleSpec{
				DaysOfWeek: []string{"sat-sun"},
				Timezone:   "UTC",
				Enabled:    ptr.To(false),
			}),
	}, nil
}

// embed turns a provider's typed spec into the inline form of
// bootstrapSpec/infrastructureSpec.
func embed(apiVersion, kind string, spec any) (v1alpha1.EmbeddedResource, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return v1alpha1.EmbeddedResource{}, fmt.Errorf("encoding the %s spec: %w", kind, err)
	}
	return v1alpha1.EmbeddedResource{APIVersion: apiVersion, Kind: kind, Spec: runtime.RawExtension{Raw: raw}}, nil
}
