package demo

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/5spot-dev/5spot/api/v1alpha1"
	"github.com/5spot-dev/5spot/test/e2e/mgmt"
)

// Options shape the demo. The zero value is what `make demo` runs.
type Options struct {
	Namespace   string // default DefaultNamespace; created when missing
	ClusterName string // default DefaultClusterName
	// Start is the demo's start, from which WindowLead counts (default: now).
	Start time.Time
	// WindowLead and MinNotice place OpensSoon's window (see WindowStart).
	// Zero means the default; a negative value means none.
	WindowLead time.Duration
	MinNotice  time.Duration
	// WindowDuration is how long OpensSoon's window stays open (default
	// DefaultWindowDuration).
	WindowDuration time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.ClusterName == "" {
		o.ClusterName = DefaultClusterName
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Start.IsZero() {
		o.Start = o.Now()
	}
	o.WindowLead = orDefault(o.WindowLead, DefaultWindowLead)
	o.MinNotice = orDefault(o.MinNotice, DefaultMinNotice)
	if o.WindowDuration <= 0 {
		o.WindowDuration = DefaultWindowDuration
	}
}

func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Demo is what Setup created.
type Demo struct {
	Namespace string
	Cluster   *mgmt.WorkloadCluster
	// WindowStart is when OpensSoon's window opens.
	WindowStart time.Time
	// Examples are the ScheduledMachines, in the order they were created.
	Examples []Example
}

// Example names one ScheduledMachine and says what its schedule does.
type Example struct {
	Name        string
	Description string
}

// Setup creates the namespace, the workload cluster and the three examples,
// and returns once the 5-Spot controller has given each example a phase. It
// does not wait for the workload control plane: ActiveNow shows Pending
// ("waiting for the control plane to be initialized") until it is up, which
// is part of the story, and the ~40 s it takes overlap with OpensSoon's wait.
func Setup(ctx context.Context, c client.Client, opts Options) (*Demo, error) {
	opts.defaults()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: opts.Namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", opts.Namespace, err)
	}
	wc := &mgmt.WorkloadCluster{Namespace: opts.Namespace, Name: opts.ClusterName}
	if err := wc.Create(ctx, c); err != nil {
		return nil, err
	}

	now := opts.Now()
	windowStart := WindowStart(opts.Start, now, opts.WindowLead, opts.MinNotice)
	examples, err := Examples(opts.Namespace, opts.ClusterName, now, windowStart, opts.WindowDuration)
	if err != nil {
		return nil, err
	}
	d := &Demo{Namespace: opts.Namespace, Cluster: wc, WindowStart: windowStart}
	for _, sm := range examples {
		if err := c.Create(ctx, sm); err != nil {
			return nil, fmt.Errorf("creating ScheduledMachine %s/%s: %w", sm.Namespace, sm.Name, err)
		}
		d.Examples = append(d.Examples, Example{Name: sm.Name, Description: sm.Annotations[DescriptionAnnotation]})
	}
	if err := d.waitForPhases(ctx, c, 30*time.Second); err != nil {
		return nil, err
	}
	return d, nil
}

// waitForPhases returns once every example has a phase: then the objects
// exist and the controller has seen them, which is what `make demo-up`
// promises before it returns.
func (d *Demo) waitForPhases(ctx context.Context, c client.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		missing := ""
		for _, e := range d.Examples {
			sm := &v1alpha1.ScheduledMachine{}
			if err := c.Get(ctx, client.ObjectKey{Namespace: d.Namespace, Name: e.Name}, sm); err != nil || sm.Status.Phase == "" {
				missing = e.Name
				break
			}
		}
		if missing == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ScheduledMachine %s/%s has no phase after %s: is the 5-Spot manager running? (%w)", d.Namespace, missing, timeout, context.Cause(ctx))
		case <-tick.C:
		}
	}
}
