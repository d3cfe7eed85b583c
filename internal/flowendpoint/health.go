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
	samples []sample
	active  map[string]bool
}

// Health measures the calls per Flow and reports alerts. It is safe for
// concurrent use.
type Health struct {
	mu    sync.Mutex
	flows map[int64]*flowHealth
	now   func() time.Time
	alert func(Alert)
}

// NewHealth returns a Health that gives every alert to alert (which
// must not block: it runs under Record's caller).
func NewHealth(now func() time.Time, alert func(Alert)) *Health {
	if now == nil {
		now = time.Now
	}
	return &Health{flows: map[int64]*flowHealth{}, now: now, alert: alert}
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
	h.mu.Unlock()
	if h.alert != nil {
		for _, a := range alerts {
			h.alert(a)
		}
	}
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
