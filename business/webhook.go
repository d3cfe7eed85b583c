package business

import (
	"context"
	"encoding/json"
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

// The Cloud API webhook envelope.
type (
	// WebhookEnvelope is the body of every webhook POST.
	WebhookEnvelope struct {
		Object string         `json:"object"`
		Entry  []WebhookEntry `json:"entry"`
	}
	// WebhookEntry is one business account's changes.
	WebhookEntry struct {
		ID      string          `json:"id"`
		Changes []WebhookChange `json:"changes"`
	}
	// WebhookChange is one change: a field name and its value.
	WebhookChange struct {
		Value any    `json:"value"`
		Field string `json:"field"`
	}
	// MessagesValue is the value of a "messages" change.
	MessagesValue struct {
		MessagingProduct string           `json:"messaging_product"`
		Metadata         WebhookMetadata  `json:"metadata"`
		Contacts         []WebhookContact `json:"contacts,omitempty"`
		Messages         []InboundMessage `json:"messages,omitempty"`
		Statuses         []StatusUpdate   `json:"statuses,omitempty"`
	}
	// WebhookMetadata names the business number.
	WebhookMetadata struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	}
	// WebhookContact is the customer.
	WebhookContact struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
	}
	// InboundMessage is a customer's message, in Meta's shape.
	InboundMessage struct {
		From        string              `json:"from"`
		ID          string              `json:"id"`
		Timestamp   string              `json:"timestamp"`
		Type        string              `json:"type"`
		Context     *InboundContext     `json:"context,omitempty"`
		Text        *InboundText        `json:"text,omitempty"`
		Image       *InboundMedia       `json:"image,omitempty"`
		Video       *InboundMedia       `json:"video,omitempty"`
		Audio       *InboundMedia       `json:"audio,omitempty"`
		Document    *InboundMedia       `json:"document,omitempty"`
		Sticker     *InboundMedia       `json:"sticker,omitempty"`
		Location    *wire.Location      `json:"location,omitempty"`
		Reaction    *InboundReaction    `json:"reaction,omitempty"`
		Interactive *InboundInteractive `json:"interactive,omitempty"`
		Button      *InboundButton      `json:"button,omitempty"`
		Referral    *wire.Referral      `json:"referral,omitempty"`
		Contacts    []wire.ContactCard  `json:"contacts,omitempty"`
		Order       *wire.Order         `json:"order,omitempty"`
		Errors      []WebhookError      `json:"errors,omitempty"`
	}
	// InboundContext names the message replied to.
	InboundContext struct {
		From string `json:"from,omitempty"`
		ID   string `json:"id"`
	}
	// InboundText is a text body.
	InboundText struct {
		Body string `json:"body"`
	}
	// InboundMedia is a media attachment; ID is retrievable on
	// GET /{version}/{media-id}.
	InboundMedia struct {
		ID       string `json:"id,omitempty"`
		MimeType string `json:"mime_type,omitempty"`
		SHA256   string `json:"sha256,omitempty"`
		Caption  string `json:"caption,omitempty"`
		Filename string `json:"filename,omitempty"`
		Link     string `json:"link,omitempty"` // Parley: an attachment sent by link
	}
	// InboundReaction is a reaction to a business message.
	InboundReaction struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	}
	// InboundInteractive is a button or list reply, or a finished Flow
	// (Type nfm_reply).
	InboundInteractive struct {
		Type        string            `json:"type"`
		ButtonReply *wire.ReplyChoice `json:"button_reply,omitempty"`
		ListReply   *wire.ReplyChoice `json:"list_reply,omitempty"`
		NfmReply    *NfmReply         `json:"nfm_reply,omitempty"`
	}
	// NfmReply is a finished Flow: Name is "flow", ResponseJSON the
	// Flow's answers (a JSON object, as a string).
	NfmReply struct {
		Name         string `json:"name"`
		Body         string `json:"body"`
		ResponseJSON string `json:"response_json"`
	}
	// InboundButton is a template quick-reply.
	InboundButton struct {
		Text    string `json:"text"`
		Payload string `json:"payload"`
	}
	// StatusUpdate is the status of a business's message.
	StatusUpdate struct {
		ID                    string              `json:"id"`
		Status                string              `json:"status"`
		Timestamp             string              `json:"timestamp"`
		RecipientID           string              `json:"recipient_id"`
		BizOpaqueCallbackData string              `json:"biz_opaque_callback_data,omitempty"`
		Conversation          *StatusConversation `json:"conversation,omitempty"`
		Pricing               *Pricing            `json:"pricing,omitempty"`
		Errors                []WebhookError      `json:"errors,omitempty"`
	}
	// StatusConversation is the conversation object of a status under
	// conversation-based pricing.
	StatusConversation struct {
		ID                  string `json:"id"`
		ExpirationTimestamp string `json:"expiration_timestamp,omitempty"`
		Origin              struct {
			Type string `json:"type"`
		} `json:"origin"`
	}
	// Pricing is Meta's pricing object. Meta's never has an amount; a
	// business that turns billing.Account.PricingAmounts on gets the charged
	// amount in the parley_ fields, on the status that was charged.
	Pricing struct {
		Billable           bool    `json:"billable"`
		PricingModel       string  `json:"pricing_model"`
		Category           string  `json:"category"`
		Type               string  `json:"type,omitempty"`
		ParleyAmount       *string `json:"parley_amount,omitempty"`
		ParleyAmountMicros *int64  `json:"parley_amount_micros,omitempty"`
		ParleyCurrency     string  `json:"parley_currency,omitempty"`
		ParleyReason       string  `json:"parley_reason,omitempty"`
	}
	// WebhookError is an error in a status or message.
	WebhookError struct {
		Code      int    `json:"code"`
		Title     string `json:"title"`
		Message   string `json:"message"`
		ErrorData struct {
			Details string `json:"details"`
		} `json:"error_data"`
	}
)

func unixString(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func webhookError(code int, title, details string) WebhookError {
	e := WebhookError{Code: code, Title: title, Message: title}
	e.ErrorData.Details = details
	return e
}

// newWebhook builds an outbox row holding one change for the business,
// due at now.
func newWebhook(now time.Time, businessID int64, key, convKey, field string, value any) *Webhook {
	env := WebhookEnvelope{Object: "whatsapp_business_account", Entry: []WebhookEntry{{
		ID: strconv.FormatInt(businessID, 10), Changes: []WebhookChange{{Value: value, Field: field}}}}}
	payload, err := json.Marshal(env)
	if err != nil {
		panic(fmt.Sprintf("encode webhook: %v", err)) // only our own types are encoded
	}
	return &Webhook{BusinessID: businessID, Key: key, ConvKey: convKey, Payload: payload, Status: WebhookPending,
		NextAttemptAt: now, CreatedAt: now}
}

func messagesValue(n BusinessNumber) MessagesValue {
	return MessagesValue{MessagingProduct: "whatsapp",
		Metadata: WebhookMetadata{DisplayPhoneNumber: WaID(n.Phone), PhoneNumberID: strconv.FormatInt(n.ID, 10)}}
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
	return b.st.ListWebhooks(ctx, businessID, before, limit)
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
