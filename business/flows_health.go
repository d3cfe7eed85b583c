package business

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"sync"
)

// Endpoint health moves a Flow's status as Meta's does: an endpoint that
// degrades throttles its Flow (a few sends an hour: Sendable), one that
// stays degraded blocks it (no sends), and one that is healthy again
// publishes it again. Health is measured per node (internal/flowendpoint);
// the status is shared through the database.

// FlowHealth is a Flow endpoint's condition as internal/flowendpoint
// reports it.
type FlowHealth string

// The conditions that move a Flow.
const (
	FlowHealthy  FlowHealth = "healthy"
	FlowDegraded FlowHealth = "degraded"
	FlowFailing  FlowHealth = "failing"
)

// healthMoves remembers, per node, the Flows whose status health moved,
// so that recovery lifts only what health imposed (an operator's BLOCKED
// stays) and the probe knows which endpoints to ping.
type healthMoves struct {
	mu    sync.Mutex
	flows map[int64]bool
}

func (h *healthMoves) set(id int64, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.flows == nil {
		h.flows = map[int64]bool{}
	}
	if on {
		h.flows[id] = true
	} else {
		delete(h.flows, id)
	}
}

func (h *healthMoves) has(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.flows[id]
}

func (h *healthMoves) list() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]int64, 0, len(h.flows))
	for id := range h.flows {
		out = append(out, id)
	}
	return out
}

// HealthChanged moves Flow id for its endpoint's new condition:
// degraded throttles a PUBLISHED Flow, failing blocks a PUBLISHED or
// THROTTLED one, and healthy publishes again a THROTTLED Flow, or a
// BLOCKED one that health blocked on this node (an operator's block, for
// integrity, stays). Each move sends the FLOW_STATUS_CHANGE webhook.
// Drafts and deprecated Flows are left.
func (fs *Flows) HealthChanged(ctx context.Context, id int64, c FlowHealth) error {
	f, err := fs.st.GetFlow(ctx, id)
	if err != nil {
		return fmt.Errorf("get flow: %w", err)
	}
	var to FlowStatus
	switch {
	case c == FlowDegraded && f.Status == FlowPublished:
		to = FlowThrottled
	case c == FlowFailing && (f.Status == FlowPublished || f.Status == FlowThrottled):
		to = FlowBlocked
	case c == FlowHealthy && (f.Status == FlowThrottled || (f.Status == FlowBlocked && fs.health.has(id))):
		to = FlowPublished
	default:
		return nil
	}
	if _, err := fs.move(ctx, f, to); err != nil {
		return err
	}
	fs.health.set(id, to != FlowPublished)
	return nil
}

// ProbeUnhealthy pings the endpoint of every Flow that health throttled
// or blocked on this node (Meta's health check: action ping). A blocked
// Flow gets no traffic of its own, so without the probe its endpoint
// could never be measured healthy again. The caller measures each call.
func (fs *Flows) ProbeUnhealthy(ctx context.Context) {
	if fs.call == nil {
		return
	}
	ping, _ := json.Marshal(map[string]string{"version": FlowDataAPIVersion, "action": "ping"})
	for _, id := range fs.health.list() {
		f, err := fs.st.GetFlow(ctx, id)
		if err != nil || f.EndpointURI == "" || (f.Status != FlowThrottled && f.Status != FlowBlocked) {
			fs.health.set(id, false)
			continue
		}
		biz, err := fs.st.GetBusiness(ctx, f.BusinessID)
		if err != nil {
			continue
		}
		key, ok := fs.anyFlowKey(ctx, f.BusinessID)
		if !ok {
			continue
		}
		_, _ = fs.call(ctx, FlowCall{FlowID: f.ID, URL: f.EndpointURI, AppSecret: biz.AppSecret, Payload: ping,
			Key: func(context.Context, bool) (*rsa.PublicKey, error) { return ParseFlowPublicKey(key) }})
	}
}

// anyFlowKey returns the Flows public key of one of the business's
// numbers: a ping carries no person's data, so any of the business's
// keys will do.
func (fs *Flows) anyFlowKey(ctx context.Context, businessID int64) (string, bool) {
	nums, err := fs.st.ListNumbers(ctx, businessID)
	if err != nil {
		return "", false
	}
	for _, n := range nums {
		if k, err := fs.st.FlowKey(ctx, n.ID); err == nil {
			return k, true
		}
	}
	return "", false
}
