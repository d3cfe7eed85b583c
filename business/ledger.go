package business

import (
	"context"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// UsageEvent names what a ledger entry counts.
type UsageEvent string

// The billable events. The ledger records free events too (Billable
// false) so that it is complete: a rater decides what they cost.
const (
	UsageTemplateDelivered  UsageEvent = "template_delivered"  // a delivered template, by category and country
	UsageServiceMessage     UsageEvent = "service_message"     // a free-form message inside the service window
	UsageEntryPointMessage  UsageEvent = "entry_point_message" // any message inside a free entry point
	UsageConversationOpened UsageEvent = "conversation_opened" // conversation-based pricing: a 24 h conversation of a category
)

// Pricing types, as in Meta's pricing object.
const (
	PricingRegular             = "regular"
	PricingFreeCustomerService = "free_customer_service"
	PricingFreeEntryPoint      = "free_entry_point"
)

// UsageEntry is one immutable row of the usage ledger. Key is the
// idempotency key: a retried delivery never counts twice.
type UsageEntry struct {
	ID          int64
	Key         string
	BusinessID  int64
	NumberID    int64
	Event       UsageEvent
	Category    string // marketing | utility | authentication | service
	Country     string // the recipient's ISO region, e.g. BR
	PricingType string // regular | free_customer_service | free_entry_point
	Model       string // PMP | CBP
	Billable    bool
	MessageID   string
	At          time.Time

	// A money event of the channels or of the people-side models, mirrored
	// from the money ledger (Store.AppendLedger): Event is the money
	// ledger's kind (subscription_charge, operator_share, promotion_charge,
	// promotion_settled, premium_charge, donation, ...), BusinessID 0, and
	// the amount is in minor units. Key is "ledger:" + the money key.
	AmountMinor int64
	Currency    string
	ChannelID   int64
	Ref         string
}

// Messaging reports whether the event is one of business messaging's,
// which the rating engine prices; money events carry their own amount.
func (e UsageEvent) Messaging() bool {
	switch e {
	case UsageTemplateDelivered, UsageServiceMessage, UsageEntryPointMessage, UsageConversationOpened:
		return true
	}
	return false
}

// countryOf returns the ISO region of an E.164 number, or "" if unknown.
func countryOf(phone string) string {
	n, err := phonenumbers.Parse(phone, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}

// Usage returns ledger entries with id > after.
func (b *Service) Usage(ctx context.Context, businessID, after int64, limit int) ([]UsageEntry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	return b.st.ListUsage(ctx, businessID, after, limit)
}

// pricingOf decides the pricing of an outbound message when it is sent:
// its category (a template's, or service for free-form), and whether the
// free entry point or the service window makes it free. It follows
// per-message pricing (July 2025): templates are charged by category,
// except UTILITY inside the window; free-form messages are free (and only
// allowed inside the window); everything inside a free entry point is free.
func pricingOf(category string, inWindow, inEntryPoint bool) (pricingType string, billable bool) {
	switch {
	case inEntryPoint:
		return PricingFreeEntryPoint, false
	case category == "service":
		return PricingFreeCustomerService, false
	case category == "utility" && inWindow:
		return PricingFreeCustomerService, false
	}
	return PricingRegular, true
}

// usageFor returns the ledger entries a delivered message makes.
func usageFor(biz Business, n BusinessNumber, m BusinessMessage, conv Conversation, at time.Time) []*UsageEntry {
	e := &UsageEntry{Key: "msg:" + m.ID, BusinessID: biz.ID, NumberID: n.ID, Category: m.Category, Country: countryOf(m.CustomerPhone),
		PricingType: m.PricingType, Model: biz.PricingModel, Billable: m.Billable, MessageID: m.ID, At: at}
	switch {
	case m.PricingType == PricingFreeEntryPoint:
		e.Event = UsageEntryPointMessage
	case m.Category == "service":
		e.Event = UsageServiceMessage
	default:
		e.Event = UsageTemplateDelivered
	}
	out := []*UsageEntry{e}
	if biz.PricingModel == "CBP" && m.ConversationOpened {
		c := *e
		c.Key, c.Event = "conv:"+m.ID, UsageConversationOpened
		out = append(out, &c)
	}
	return out
}
