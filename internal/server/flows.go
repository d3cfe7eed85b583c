package server

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/parleyhq/parley/business"
	"github.com/parleyhq/parley/internal/flowendpoint"
	"github.com/parleyhq/parley/internal/webhook"
)

// flowCaller is the business context's FlowCaller: internal/flowendpoint
// over the webhooks' guarded HTTP client (no private addresses unless
// allowed), with endpoint health turned into Meta's flows webhooks.
type flowCaller struct {
	c *flowendpoint.Client
}

// flowEndpointTimeout bounds one call to a business's Flow endpoint,
// as WhatsApp gives up on a slow endpoint (10 s).
const flowEndpointTimeout = 10 * time.Second

func (f *flowCaller) start(b *business.Service, allow []netip.Prefix, now func() time.Time, log *slog.Logger) {
	health := flowendpoint.NewHealth(now, func(a flowendpoint.Alert) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.Flows().HealthAlert(ctx, business.FlowHealthAlert{FlowID: a.FlowID, Event: a.Event, Value: a.Value,
			Threshold: a.Threshold, Calls: a.Calls, Activated: a.Activated}); err != nil {
			log.Warn("flow health webhook", "flow", a.FlowID, "event", a.Event, "err", err)
		}
	}, func(flowID int64, c flowendpoint.Condition) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.Flows().HealthChanged(ctx, flowID, business.FlowHealth(c)); err != nil {
			log.Warn("flow status from endpoint health", "flow", flowID, "condition", c, "err", err)
		}
	})
	f.c = flowendpoint.New(webhook.NewClient(allow, flowEndpointTimeout), health)
}

func (f *flowCaller) call(ctx context.Context, c business.FlowCall) ([]byte, error) {
	out, err := f.c.Do(ctx, flowendpoint.Call{FlowID: c.FlowID, URL: c.URL, AppSecret: c.AppSecret, Key: c.Key, Payload: c.Payload})
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, flowendpoint.ErrTokenInvalid):
		return nil, business.ErrFlowTokenInvalid
	default:
		return nil, errors.Join(business.ErrFlowEndpoint, err)
	}
}
