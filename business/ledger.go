package business

import (
	"context"
	"fmt"
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

// decidePricing decides the pricing of a message from its usage
// entries (the message's first), records it on them and returns it:
// Meta's pricing type and billable, as billing decides them with the
// business's card in effect at the entries' time (billing.Pricing, the
// same rule that rates them). The business context only states the
// facts: the category, the service window, the free entry point.
func (b *Service) decidePricing(ctx context.Context, biz Business, us []*billing.UsageEntry) (pricingType string, billable bool, err error) {
	pricingType, billable, err = b.bill.Pricing(ctx, payer(biz), us[0])
	if err != nil {
		return "", false, fmt.Errorf("pricing: %w", err)
	}
	for _, e := range us {
		e.PricingType, e.Billable = pricingType, billable
	}
	return pricingType, billable, nil
}

// entryPointType is the pricing type a message starts with: the free
// entry point is free under every regime; any other type is billing's to
// decide (decidePricing).
func entryPointType(inEntryPoint bool) string {
	if inEntryPoint {
		return PricingFreeEntryPoint
	}
	return ""
}

// usageFor returns the ledger entries a delivered message makes.
func usageFor(biz Business, n BusinessNumber, m BusinessMessage, conv Conversation, at time.Time) []*billing.UsageEntry {
	e := &billing.UsageEntry{Key: "msg:" + m.ID, BusinessID: biz.ID, NumberID: n.ID, Category: m.Category, Country: countryOf(m.CustomerPhone),
		PricingType: m.PricingType, InWindow: m.InWindow, Model: biz.PricingModel, Billable: m.Billable, MessageID: m.ID, At: at}
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
