package business

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/parleyhq/parley/billing"
)

// Analytics of a business account (Meta's analytics,
// conversation_analytics and pricing_analytics fields), computed from the
// usage ledger and its rated charges: what was delivered and billed,
// never an estimate (docs/CLOUD-API-ENDPOINTS.md, "Analytics").

// AnalyticsQuery selects the ledger entries of an analytics field.
type AnalyticsQuery struct {
	Start, End   time.Time // [Start, End)
	Granularity  string    // HALF_HOUR, DAY (DAILY) or MONTH (MONTHLY)
	PhoneNumbers []string  // display numbers (digits); none: all
	CountryCodes []string  // ISO regions; none: all
	// Dimensions split the points: PRICING_CATEGORY, PRICING_TYPE,
	// CONVERSATION_CATEGORY, COUNTRY, PHONE; none: one point per period.
	Dimensions []string
}

// AnalyticsPoint is one period (and, with dimensions, one combination of
// their values) of an analytics field.
type AnalyticsPoint struct {
	Start, End  time.Time
	Count       int64 // delivered messages (sent and delivered, volume) or opened conversations
	CostMicros  int64
	Currency    string
	Category    string // with PRICING_CATEGORY or CONVERSATION_CATEGORY: MARKETING, UTILITY, ...
	PricingType string // with PRICING_TYPE: REGULAR, FREE_CUSTOMER_SERVICE, FREE_ENTRY_POINT
	Country     string // with COUNTRY
	Phone       string // with PHONE: the number's digits
}

// maxAnalyticsPoints bounds the periods one query may span.
const maxAnalyticsPoints = 10000

// granularityStep returns the start of the period holding t.
func granularityStep(g string) (func(t time.Time) (start, end time.Time), error) {
	switch g {
	case "HALF_HOUR":
		return func(t time.Time) (time.Time, time.Time) {
			s := t.UTC().Truncate(30 * time.Minute)
			return s, s.Add(30 * time.Minute)
		}, nil
	case "DAY", "DAILY":
		return func(t time.Time) (time.Time, time.Time) {
			y, m, d := t.UTC().Date()
			s := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			return s, s.AddDate(0, 0, 1)
		}, nil
	case "MONTH", "MONTHLY":
		return func(t time.Time) (time.Time, time.Time) {
			p := billing.PeriodOf(t)
			return p.Start(), p.End()
		}, nil
	}
	return nil, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("granularity %q: use HALF_HOUR, DAY or MONTH (DAILY, MONTHLY)", g))
}

// Analytics returns the points of q over the ledger: conversations
// counts the conversations opened (conversation-based pricing), else the
// messages rated (delivered). Periods without entries are left out, except
// with allPeriods, which answers every period from Start to End (Meta's
// analytics field does). CloudError 100 for a bad granularity or range.
func (b *Service) Analytics(ctx context.Context, biz Business, q AnalyticsQuery, conversations, allPeriods bool) ([]AnalyticsPoint, error) {
	step, err := granularityStep(q.Granularity)
	if err != nil {
		return nil, err
	}
	if !q.End.After(q.Start) {
		return nil, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", "end must be after start")
	}
	if first, _ := step(q.Start); q.End.Sub(first)/(30*time.Minute) > maxAnalyticsPoints && q.Granularity == "HALF_HOUR" {
		return nil, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("at most %d half hours in one query", maxAnalyticsPoints))
	}
	ns, err := b.st.ListNumbers(ctx, biz.ID)
	if err != nil {
		return nil, fmt.Errorf("list numbers: %w", err)
	}
	phones := map[int64]string{}
	for _, n := range ns {
		phones[n.ID] = WaID(n.Phone)
	}
	costs, currency, err := b.chargesIn(ctx, biz.ID, q.Start, q.End)
	if err != nil {
		return nil, err
	}
	has := func(dim string) bool { return slices.Contains(q.Dimensions, dim) }
	type cell struct {
		start                           time.Time
		category, ptype, country, phone string
	}
	cells := map[cell]*AnalyticsPoint{}
	for after := int64(0); ; {
		us, err := b.st.ListUsage(ctx, biz.ID, after, 10000)
		if err != nil {
			return nil, fmt.Errorf("list usage: %w", err)
		}
		if len(us) == 0 {
			break
		}
		after = us[len(us)-1].ID
		for _, u := range us {
			if !u.Event.Messaging() || u.At.Before(q.Start) || !u.At.Before(q.End) || (u.Event == billing.ConversationOpened) != conversations {
				continue
			}
			phone := phones[u.NumberID]
			if (len(q.PhoneNumbers) > 0 && !slices.Contains(q.PhoneNumbers, phone)) || (len(q.CountryCodes) > 0 && !slices.Contains(q.CountryCodes, u.Country)) {
				continue
			}
			s, e := step(u.At)
			c := cell{start: s}
			if has("PRICING_CATEGORY") || has("CONVERSATION_CATEGORY") {
				c.category = strings.ToUpper(u.Category)
			}
			if has("PRICING_TYPE") {
				c.ptype = strings.ToUpper(u.PricingType)
			}
			if has("COUNTRY") {
				c.country = u.Country
			}
			if has("PHONE") {
				c.phone = phone
			}
			p := cells[c]
			if p == nil {
				p = &AnalyticsPoint{Start: s, End: e, Currency: currency, Category: c.category, PricingType: c.ptype, Country: c.country, Phone: c.phone}
				cells[c] = p
			}
			p.Count++
			p.CostMicros += costs[u.Key]
		}
	}
	if allPeriods {
		for s, _ := step(q.Start); s.Before(q.End); {
			_, e := step(s)
			if _, ok := cells[cell{start: s}]; !ok && len(q.Dimensions) == 0 {
				cells[cell{start: s}] = &AnalyticsPoint{Start: s, End: e, Currency: currency}
			}
			s = e
			if len(cells) > maxAnalyticsPoints {
				return nil, cloudErrDetails(MetaInvalidParameter, "Invalid parameter", fmt.Sprintf("at most %d periods in one query", maxAnalyticsPoints))
			}
		}
	}
	out := make([]AnalyticsPoint, 0, len(cells))
	for _, p := range cells {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Category+a.PricingType+a.Country+a.Phone < b.Category+b.PricingType+b.Country+b.Phone
	})
	return out, nil
}

// chargesIn returns the amount charged per usage key in the months that
// hold [start, end), and their currency.
func (b *Service) chargesIn(ctx context.Context, bizID int64, start, end time.Time) (map[string]int64, string, error) {
	costs := map[string]int64{}
	currency := ""
	for p := billing.PeriodOf(start); !p.Start().After(end) && p.Start().Before(end); p++ {
		for after := int64(0); ; {
			cs, err := b.bill.Charges(ctx, bizID, p, after, 10000)
			if err != nil {
				return nil, "", fmt.Errorf("list charges: %w", err)
			}
			if len(cs) == 0 {
				break
			}
			after = cs[len(cs)-1].ID
			for _, c := range cs {
				costs[c.Key] += c.Amount
				if currency == "" {
					currency = c.Currency
				}
			}
		}
	}
	if currency == "" {
		currency = "USD"
	}
	return costs, currency, nil
}
