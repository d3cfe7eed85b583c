package bench

import (
	"fmt"
	"strings"

	"github.com/parleyhq/parley/billing"
)

// Markets are the 50 recipient countries of `parley bench billing`, the
// largest first (the seeded ledger is skewed towards the first ones).
var Markets = []string{
	"BR", "IN", "ID", "MX", "NG", "GB", "DE", "US", "FR", "IT",
	"ES", "TR", "SA", "AE", "EG", "ZA", "AR", "CO", "PE", "CL",
	"PK", "BD", "PH", "VN", "TH", "MY", "KE", "GH", "MA", "DZ",
	"NL", "BE", "PL", "RO", "UA", "IL", "JP", "KR", "AU", "CA",
	"SE", "NO", "DK", "FI", "PT", "GR", "CZ", "HU", "AT", "CH",
}

// The names of the benchmark's cards, one per regime.
const (
	BenchCardConversation = "bench-conversation"
	BenchCardPerMessage25 = "bench-per-message-2025-07"
	BenchCardPerMessage26 = "bench-per-message-2026-10"
)

// BillingCards returns one rate card per regime pricing every market of
// markets (prices vary by market; utility and authentication have three
// monthly volume tiers; the conversation card has 1,000 free service
// conversations), all in effect from 2023-01-01. They go through
// billing.Parse, so they are valid cards.
func BillingCards(markets []string) ([]*billing.Card, error) {
	var out []*billing.Card
	for _, rc := range []struct {
		name   string
		regime billing.Regime
	}{{BenchCardConversation, billing.Conversation}, {BenchCardPerMessage25, billing.PerMessage2025}, {BenchCardPerMessage26, billing.PerMessage2026}} {
		var b strings.Builder
		fmt.Fprintf(&b, "card %s\nversion 1\nregime %s\ncurrency USD\neffective 2023-01-01\n", rc.name, rc.regime)
		price := func(m string, cat billing.Category, micros int64, tiered bool) {
			if !tiered {
				fmt.Fprintf(&b, "price %s %s %s\n", m, cat, billing.FormatMicros(micros))
				return
			}
			fmt.Fprintf(&b, "price %s %s %s upto 10000\n", m, cat, billing.FormatMicros(micros))
			fmt.Fprintf(&b, "price %s %s %s from 10000 upto 100000\n", m, cat, billing.FormatMicros(micros*9/10))
			fmt.Fprintf(&b, "price %s %s %s from 100000\n", m, cat, billing.FormatMicros(micros*8/10))
		}
		for i, m := range append(append([]string{}, markets...), billing.DefaultMarket) {
			k := int64(i % 17)
			conv := rc.regime == billing.Conversation
			price(m, billing.Marketing, 10_000+4_000*k, false)
			price(m, billing.Utility, 1_000+500*k, !conv)
			price(m, billing.Authentication, 1_500+700*k, !conv)
			if conv {
				price(m, billing.Service, 2_000+1_000*k, false)
			}
		}
		if rc.regime == billing.Conversation {
			b.WriteString("free service 1000\n")
		}
		c, err := billing.Parse(b.String())
		if err != nil {
			return nil, fmt.Errorf("bench card %s: %w", rc.name, err)
		}
		out = append(out, c)
	}
	return out, nil
}
