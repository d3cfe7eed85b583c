package business

import (
	"context"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/parleyhq/parley/billing"
)

// Pricing types, as in Meta's pricing object.
const (
	PricingRegular             = "regular"
	PricingFreeCustomerService = "free_customer_service"
	PricingFreeEntryPoint      = "free_entry_point"
)

// countryOf returns the ISO region of an E.164 number, or "" if unknown.
func countryOf(phone string) string {
	n, err := phonenumbers.Parse(phone, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}

// Usage returns ledger entries with id > after.
func (b *Service) Usage(ctx context.Context, businessID, after int64, limit int) ([]billing.UsageEntry, error) {
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
func usageFor(biz Business, n BusinessNumber, m BusinessMessage, conv Conversation, at time.Time) []*billing.UsageEntry {
	e := &billing.UsageEntry{Key: "msg:" + m.ID, BusinessID: biz.ID, NumberID: n.ID, Category: m.Category, Country: countryOf(m.CustomerPhone),
		PricingType: m.PricingType, Model: biz.PricingModel, Billable: m.Billable, MessageID: m.ID, At: at}
	switch {
	case m.PricingType == PricingFreeEntryPoint:
		e.Event = billing.EntryPointMessage
	case m.Category == "service":
		e.Event = billing.ServiceMessage
	default:
		e.Event = billing.TemplateDelivered
	}
	out := []*billing.UsageEntry{e}
	if biz.PricingModel == "CBP" && m.ConversationOpened {
		c := *e
		c.Key, c.Event = "conv:"+m.ID, billing.ConversationOpened
		out = append(out, &c)
	}
	return out
}
