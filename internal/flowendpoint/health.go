package flowendpoint

import (
	"errors"
	"slices"
	"sync"
	"time"
)

// Endpoint health, as Meta's Flows health webhooks report it: over the
// calls of the last Window, per Flow,
//
//   - ENDPOINT_ERROR_RATE: the share of calls that failed, alerting at
//     ErrorRateThreshold percent;
//   - ENDPOINT_LATENCY: the 90th percentile of the calls' time, alerting
//     at LatencyThreshold;
//   - ENDPOINT_AVAILABILITY: the share of calls that reached the endpoint
//     and got an answer (any HTTP status), alerting below
//     AvailabilityThreshold percent.
//
// An alert needs MinCalls calls in the window. Each crossing, up
// (ACTIVATED) or back (DEACTIVATED), is given to the alert function once.
const (
	Window                = 5 * time.Minute
	MinCalls              = 10
	ErrorRateThreshold    = 10.0 // percent
	LatencyThreshold      = time.Second
	AvailabilityThreshold = 90.0 // percent
)

// The events of the health webhooks.
const (
	EventErrorRate    = "ENDPOINT_ERROR_RATE"
	EventLatency      = "ENDPOINT_LATENCY"
	EventAvailability = "ENDPOINT_AVAILABILITY"
)

// Condition is a Flow endpoint's overall health. It moves the Flow's
// status as Meta's does: a degraded endpoint's Flow is THROTTLED, one that
// stays degraded for BlockAfter is BLOCKED, and a healthy one is
// PUBLISHED again (business.Flows.HealthChanged).
type Condition string

// The conditions of an endpoint.
const (
	Healthy  Condition = "healthy"  // every measure within its threshold
	Degraded Condition = "degraded" // a measure past its threshold
	Failing  Condition = "failing"  // degraded for BlockAfter without a break
)

// BlockAfter is how long an endpoint stays degraded before its Flow is
// blocked.
const BlockAfter = time.Hour

// Alert is a change of one health measure's state.
type Alert struct {
	FlowID    int64
	Event     string  // EventErrorRate, EventLatency, EventAvailability
	Value     float64 // the error rate or availability in percent, or the p90 latency in ms
	Threshold float64 // in the same unit
	Calls     int     // calls in the window
	Activated bool    // ACTIVATED, or DEACTIVATED when it is back under the threshold
}

type sample struct {
	at      time.Time
	took    time.Duration
	failed  bool
	reached bool
}

type flowHealth struct {
	samples       []sample
	active        map[string]bool
	measured      bool      // MinCalls calls were in the window once
	cond          Condition // the last condition reported
	degradedSince time.Time
}

// Health measures the calls per Flow and reports alerts. It is safe for
// concurrent use.
type Health struct {
	mu      sync.Mutex
	flows   map[int64]*flowHealth
	now     func() time.Time
	alert   func(Alert)
	changed func(flowID int64, c Condition)
}

// NewHealth returns a Health that gives every alert to alert and every
// change of a Flow's condition to changed (either may be nil; neither
// may block: they run under Record's caller). The first condition
// measured is reported too, so that a node that restarted lifts a
// throttle once the endpoint is measured healthy.
func NewHealth(now func() time.Time, alert func(Alert), changed func(flowID int64, c Condition)) *Health {
	if now == nil {
		now = time.Now
	}
	return &Health{flows: map[int64]*flowHealth{}, now: now, alert: alert, changed: changed}
}

// Snapshot is a Flow's current measures.
type Snapshot struct {
	Calls        int
	ErrorRate    float64 // percent
	P50, P90     time.Duration
	P99          time.Duration
	Availability float64 // percent
}

// Record adds one call's time and outcome and reports the alerts it
// causes.
func (h *Health) Record(flowID int64, took time.Duration, err error) {
	now := h.now()
	var se *StatusError
	reached := err == nil || errors.Is(err, ErrKeyRefused) || errors.Is(err, ErrTokenInvalid) || errors.Is(err, ErrSignature) ||
		errors.Is(err, ErrBadResponse) || errors.As(err, &se)
	h.mu.Lock()
	f := h.flows[flowID]
	if f == nil {
		f = &flowHealth{active: map[string]bool{}}
		h.flows[flowID] = f
	}
	f.samples = append(f.samples, sample{at: now, took: took, failed: err != nil, reached: reached})
	cut := 0
	for cut < len(f.samples) && now.Sub(f.samples[cut].at) > Window {
		cut++
	}
	f.samples = f.samples[cut:]
	s := snapshot(f.samples)
	var alerts []Alert
	if s.Calls >= MinCalls {
		f.measured = true
		check := func(event string, bad bool, value, threshold float64) {
			if bad != f.active[event] {
				f.active[event] = bad
				alerts = append(alerts, Alert{FlowID: flowID, Event: event, Value: value, Threshold: threshold, Calls: s.Calls, Activated: bad})
			}
		}
		check(EventErrorRate, s.ErrorRate >= ErrorRateThreshold, s.ErrorRate, ErrorRateThreshold)
		check(EventLatency, s.P90 >= LatencyThreshold, float64(s.P90.Milliseconds()), float64(LatencyThreshold.Milliseconds()))
		check(EventAvailability, s.Availability < AvailabilityThreshold, s.Availability, AvailabilityThreshold)
	}
	cond := f.condition(now)
	report := cond != "" && cond != f.cond
	if cond != "" {
		f.cond = cond
	}
	h.mu.Unlock()
	if h.alert != nil {
		for _, a := range alerts {
			h.alert(a)
		}
	}
	if report && h.changed != nil {
		h.changed(flowID, cond)
	}
}

// condition is the Flow's condition from its active alerts, or "" while
// too few calls were measured to say.
func (f *flowHealth) condition(now time.Time) Condition {
	degraded := false
	for _, on := range f.active {
		degraded = degraded || on
	}
	switch {
	case degraded && f.degradedSince.IsZero():
		f.degradedSince = now
		return Degraded
	case degraded && now.Sub(f.degradedSince) >= BlockAfter:
		return Failing
	case degraded:
		return Degraded
	case !f.measured:
		return ""
	}
	f.degradedSince = time.Time{}
	return Healthy
}

// Snapshot returns a Flow's measures over the window.
func (h *Health) Snapshot(flowID int64) Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.flows[flowID]
	if f == nil {
		return Snapshot{}
	}
	return snapshot(f.samples)
}

func snapshot(ss []sample) Snapshot {
	s := Snapshot{Calls: len(ss)}
	if len(ss) == 0 {
		return s
	}
	var failed, reached int
	ts := make([]time.Duration, 0, len(ss))
	for _, x := range ss {
		if x.failed {
			failed++
		}
		if x.reached {
			reached++
		}
		ts = append(ts, x.took)
	}
	slices.Sort(ts)
	pct := func(p int) time.Duration { return ts[(len(ts)-1)*p/100] }
	s.ErrorRate = 100 * float64(failed) / float64(len(ss))
	s.Availability = 100 * float64(reached) / float64(len(ss))
	s.P50, s.P90, s.P99 = pct(50), pct(90), pct(99)
	return s
}
