package business

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/wire"
)

// WebhookStatus is the state of an outbox row.
type WebhookStatus string

// The webhook states. A pending webhook is retried with backoff until it
// is delivered or its MaxAge passes (failed).
const (
	WebhookPending   WebhookStatus = "pending"
	WebhookDelivered WebhookStatus = "delivered"
	WebhookFailed    WebhookStatus = "failed"
)

// Webhook is one POST to a business's callback URL, waiting in the durable
// outbox. Key makes enqueueing idempotent; ConvKey orders the webhooks of
// one conversation (only the oldest pending one is ever in flight).
type Webhook struct {
	ID            int64
	BusinessID    int64
	Key           string
	ConvKey       string
	Payload       []byte
	Status        WebhookStatus
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   time.Time
}

// WebhookAttempt is one delivery attempt, for the delivery log.
type WebhookAttempt struct {
	WebhookID  int64
	Attempt    int
	At         time.Time
	StatusCode int // 0 when no response
	Error      string
	Duration   time.Duration
}

func unixString(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// ErrorCodesHref is the href of every error in a webhook: Meta's page of
// error codes, which Parley's codes are (docs/API.md lists those it uses).
const ErrorCodesHref = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

func webhookError(code int, title, details string) wire.WebhookError {
	e := wire.WebhookError{Code: code, Title: title, Message: title, Href: ErrorCodesHref}
	e.ErrorData.Details = details
	return e
}

// newWebhook builds an outbox row holding one change for the business,
// due at now.
func newWebhook(now time.Time, businessID int64, key, convKey, field string, value any) *Webhook {
	env := wire.WebhookEnvelope{Object: "whatsapp_business_account", Entry: []wire.WebhookEntry{{
		ID: strconv.FormatInt(businessID, 10), Changes: []wire.WebhookChange{{Value: value, Field: field}}}}}
	// Meta's bytes: non-ASCII escaped, signed as sent (wire.MarshalWebhook).
	payload, err := wire.MarshalWebhook(env)
	if err != nil {
		panic(fmt.Sprintf("encode webhook: %v", err)) // only our own types are encoded
	}
	return &Webhook{BusinessID: businessID, Key: key, ConvKey: convKey, Payload: payload, Status: WebhookPending,
		NextAttemptAt: now, CreatedAt: now}
}

func messagesValue(n BusinessNumber) wire.MessagesValue {
	return wire.MessagesValue{MessagingProduct: "whatsapp",
		Metadata: wire.WebhookMetadata{DisplayPhoneNumber: WaID(n.Phone), PhoneNumberID: strconv.FormatInt(n.ID, 10)}}
}

func convKey(n BusinessNumber, customerPhone string) string {
	return strconv.FormatInt(n.ID, 10) + ":" + WaID(customerPhone)
}

func (b *Service) enqueue(ctx context.Context, ws ...*Webhook) error {
	if len(ws) == 0 {
		return nil
	}
	return b.write(ctx, &Batch{Webhooks: ws})
}

// WebhookLog returns a business's webhooks, newest first.
func (b *Service) WebhookLog(ctx context.Context, businessID, before int64, limit int) ([]Webhook, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	ws, err := b.st.ListWebhooks(ctx, businessID, before, limit)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		if ws[i].Payload, err = b.hookSeal.open(ws[i]); err != nil {
			return nil, err
		}
	}
	return ws, nil
}

// WebhookAttempts returns one webhook's attempts; ENotFound unless it is
// the business's.
func (b *Service) WebhookAttempts(ctx context.Context, businessID, id int64) ([]WebhookAttempt, error) {
	ws, err := b.st.ListWebhooks(ctx, businessID, id+1, 1)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 || ws[0].ID != id {
		return nil, &parley.Error{Code: parley.ENotFound, Message: "no such webhook", Details: map[string]any{"webhook_id": id}}
	}
	return b.st.WebhookAttempts(ctx, id)
}

// ReplayWebhook delivers a webhook again, whatever its state.
func (b *Service) ReplayWebhook(ctx context.Context, businessID, id int64) error {
	err := b.st.ReplayWebhook(ctx, businessID, id, b.now())
	if parley.ErrorCode(err) == parley.ENotFound {
		return &parley.Error{Code: parley.ENotFound, Message: "no such webhook", Details: map[string]any{"webhook_id": id}}
	}
	if err == nil {
		b.enqueued()
	}
	return err
}
