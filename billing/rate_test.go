package billing

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var nov2026 = time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)

func TestRegimes(t *testing.T) {
	cat := BuiltinCatalog()
	u := func(ev Event, c Category, country, pt string) Usage {
		return Usage{Key: "k", BusinessID: 1, Event: ev, Category: c, Country: country, PricingType: pt, At: nov2026}
	}
	for _, tc := range []struct {
		name   string
		card   string
		at     time.Time
		u      Usage
		amount int64
		reason Reason
		cat    Category
	}{
		{"2025 marketing BR", CardPerMessage25, nov2026, u(TemplateDelivered, Marketing, "BR", TypeRegular), 68800, ReasonTemplate, Marketing},
		{"2025 utility in window free", CardPerMessage25, nov2026, u(TemplateDelivered, Utility, "BR", TypeFreeCustomerService), 0, ReasonFreeWindow, Utility},
		{"2025 service free", CardPerMessage25, nov2026, u(ServiceMessage, Service, "BR", TypeFreeCustomerService), 0, ReasonFreeWindow, Service},
		{"2025 entry point free", CardPerMessage25, nov2026, u(EntryPointMessage, Marketing, "BR", TypeFreeEntryPoint), 0, ReasonFreeEntryPoint, Marketing},
		{"2025 authentication in window charged", CardPerMessage25, nov2026, u(TemplateDelivered, Authentication, "IN", TypeRegular), 1700, ReasonTemplate, Authentication},
		{"2025 unknown market uses default", CardPerMessage25, nov2026, u(TemplateDelivered, Marketing, "FR", TypeRegular), 50000, ReasonTemplate, Marketing},
		{"2025 conversation event not metered", CardPerMessage25, nov2026, u(ConversationOpened, Marketing, "BR", TypeRegular), 0, ReasonNotMetered, Marketing},
		{"2026 service at utility rate", CardPerMessage26, nov2026, u(ServiceMessage, Service, "BR", TypeFreeCustomerService), 8800, ReasonUtilityRate, Utility},
		{"2026 utility in window charged", CardPerMessage26, nov2026, u(TemplateDelivered, Utility, "GB", TypeFreeCustomerService), 24200, ReasonUtilityRate, Utility},
		{"2026 entry point still free", CardPerMessage26, nov2026, u(ServiceMessage, Service, "BR", TypeFreeEntryPoint), 0, ReasonFreeEntryPoint, Service},
		{"conversation marketing DE", CardConversation, nov2026, u(ConversationOpened, Marketing, "DE", TypeRegular), 136500, ReasonConversation, Marketing},
		{"conversation message inside free", CardConversation, nov2026, u(TemplateDelivered, Marketing, "DE", TypeRegular), 0, ReasonInConversation, Marketing},
		{"conversation service 2024-11 zero price", CardConversation, nov2026, u(ConversationOpened, Service, "IN", TypeRegular), 0, ReasonZeroPrice, Service},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card, err := cat.At(tc.card, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			m := NewMonth(1, PeriodOf(tc.at))
			q := m.Quote(card, tc.u)
			c, err := m.Rate(card, tc.u)
			if err != nil {
				t.Fatal(err)
			}
			if c != q {
				t.Errorf("quote %+v differs from charge %+v", q, c)
			}
			if c.Amount != tc.amount || c.Reason != tc.reason || c.Category != tc.cat {
				t.Errorf("got %d %s %s, want %d %s %s", c.Amount, c.Reason, c.Category, tc.amount, tc.reason, tc.cat)
			}
			if d, _ := m.Rate(card, tc.u); d.Amount != 0 || d.Reason != ReasonDuplicate {
				t.Errorf("a duplicate was charged: %+v", d)
			}
		})
	}
}

// TestMarketOfACustomer: every charge of a customer in a listed country
// is filed under that country, also for a category the card prices only
// in the default market (the free entry point's service reply to a
// Mexican customer), so that customer's charges are one market.
func TestMarketOfACustomer(t *testing.T) {
	cat := BuiltinCatalog()
	for _, name := range []string{CardPerMessage25, CardPerMessage26} {
		card, err := cat.At(name, nov2026)
		if err != nil {
			t.Fatal(err)
		}
		m := NewMonth(1, PeriodOf(nov2026))
		for _, u := range []Usage{
			{Key: "tpl", BusinessID: 1, Event: TemplateDelivered, Category: Marketing, Country: "MX", PricingType: TypeRegular, At: nov2026},
			{Key: "ep", BusinessID: 1, Event: EntryPointMessage, Category: Service, Country: "MX", PricingType: TypeFreeEntryPoint, At: nov2026},
			{Key: "svc", BusinessID: 1, Event: ServiceMessage, Category: Service, Country: "MX", PricingType: TypeFreeCustomerService, At: nov2026},
		} {
			if c := m.Quote(card, u); c.Market != "MX" {
				t.Errorf("%s: %s of a Mexican customer filed under market %q, want MX", name, u.Key, c.Market)
			}
		}
		fr := Usage{Key: "fr", BusinessID: 1, Event: TemplateDelivered, Category: Marketing, Country: "FR", PricingType: TypeRegular, At: nov2026}
		if c := m.Quote(card, fr); c.Market != DefaultMarket {
			t.Errorf("%s: a customer in an unlisted country filed under %q, want %q", name, c.Market, DefaultMarket)
		}
	}
}

func TestAllowanceAndTiers(t *testing.T) {
	cat := BuiltinCatalog()
	card, _ := cat.At(CardConversation, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC))
	m := NewMonth(1, PeriodOf(card.EffectiveFrom.AddDate(0, 11, 0)))
	var free, paid int
	for i := range 1001 {
		c, err := m.Rate(card, Usage{Key: fmt.Sprint(i), BusinessID: 1, Event: ConversationOpened, Category: Service, Country: "BR", At: m.Period.Start()})
		if err != nil {
			t.Fatal(err)
		}
		if c.Reason == ReasonFreeAllowance {
			free++
		} else if c.Amount == 30000 {
			paid++
		}
	}
	if free != 1000 || paid != 1 {
		t.Errorf("got %d free and %d paid service conversations, want 1000 and 1", free, paid)
	}
	// Replaying the stored charges restores the state exactly.
	card25, _ := cat.At(CardPerMessage25, nov2026)
	a, b := NewMonth(2, PeriodOf(nov2026)), NewMonth(2, PeriodOf(nov2026))
	var cs []Charge
	for i := range 100005 {
		c, _ := a.Rate(card25, Usage{Key: fmt.Sprint(i), BusinessID: 2, Event: TemplateDelivered, Category: Utility, Country: "BR", PricingType: TypeRegular, At: nov2026})
		cs = append(cs, c)
	}
	b.Replay(cs)
	next := Usage{Key: "next", BusinessID: 2, Event: TemplateDelivered, Category: Utility, Country: "BR", PricingType: TypeRegular, At: nov2026}
	if qa, qb := a.Quote(card25, next), b.Quote(card25, next); qa != qb || qa.Amount != 8000 || qa.TierLabel != "100000+" {
		t.Errorf("after replay: got %+v and %+v, want equal at 8000 in 100000+", qa, qb)
	}
	if cs[99999].Amount != 8800 || cs[100000].Amount != 8000 {
		t.Errorf("tier boundary: unit 100000 costs %d, unit 100001 costs %d", cs[99999].Amount, cs[100000].Amount)
	}
}

// genUsage draws entries of one business in one month.
func genUsage(t *rapid.T, biz int64, markets []string) []Usage {
	n := rapid.IntRange(0, 150).Draw(t, "n")
	evs := []Event{TemplateDelivered, TemplateDelivered, ServiceMessage, EntryPointMessage, ConversationOpened}
	pts := []string{TypeRegular, TypeRegular, TypeFreeCustomerService, TypeFreeEntryPoint}
	out := make([]Usage, n)
	for i := range out {
		cat := rapid.SampledFrom(Categories).Draw(t, "cat")
		ev := rapid.SampledFrom(evs).Draw(t, "ev")
		if ev == ServiceMessage {
			cat = Service
		}
		out[i] = Usage{Key: fmt.Sprintf("k%d", i), BusinessID: biz, Event: ev, Category: cat,
			Country: rapid.SampledFrom(markets).Draw(t, "country"), PricingType: rapid.SampledFrom(pts).Draw(t, "pt"),
			At: nov2026.Add(time.Duration(rapid.IntRange(0, 3600*24*15).Draw(t, "s")) * time.Second)}
	}
	return out
}

// genCard draws a card of any regime with random tiers and allowances.
func genCard(t *rapid.T, markets []string, allowances bool, ascending bool) *Card {
	r := rapid.SampledFrom(Regimes).Draw(t, "regime")
	var b strings.Builder
	fmt.Fprintf(&b, "card g\nversion 1\nregime %s\ncurrency USD\neffective 2026-01-01\n", r)
	for _, m := range append(slices.Clone(markets), "*") {
		for _, c := range Categories {
			k := rapid.IntRange(1, 3).Draw(t, "tiers")
			from := 0
			price := rapid.IntRange(0, 200000).Draw(t, "price")
			for i := range k {
				to := 0
				if i < k-1 {
					to = from + rapid.IntRange(1, 40).Draw(t, "width")
				}
				fmt.Fprintf(&b, "price %s %s %s from %d", m, c, FormatMicros(int64(price)), from)
				if to != 0 {
					fmt.Fprintf(&b, " upto %d", to)
				}
				b.WriteString("\n")
				from = to
				step := rapid.IntRange(-5000, 5000).Draw(t, "step")
				if ascending {
					step = -rapid.IntRange(0, 5000).Draw(t, "down")
				}
				price = max(0, price+step)
			}
		}
	}
	if allowances {
		for _, c := range Categories {
			fmt.Fprintf(&b, "free %s %d\n", c, rapid.IntRange(0, 20).Draw(t, "free"))
		}
	}
	card, err := Parse(b.String())
	if err != nil {
		t.Fatalf("generated card: %v\n%s", err, b.String())
	}
	return card
}

func rateAll(t *rapid.T, card *Card, us []Usage) []Charge {
	m := NewMonth(us[0].BusinessID, PeriodOf(us[0].At))
	out := make([]Charge, 0, len(us))
	for _, u := range us {
		c, err := m.Rate(card, u)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func total(cs []Charge) int64 {
	var s int64
	for _, c := range cs {
		s += c.Amount
	}
	return s
}

// Re-rating the same entries gives identical charges, and appending
// duplicates (a replayed ledger page) adds nothing.
func TestPropIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		markets := []string{"BR", "IN"}
		card := genCard(t, markets, true, false)
		us := genUsage(t, 1, markets)
		if len(us) == 0 {
			return
		}
		a, b := rateAll(t, card, us), rateAll(t, card, us)
		if !slices.Equal(a, b) {
			t.Fatal("re-rating gave different charges")
		}
		dups := append(slices.Clone(us), rapid.SliceOfN(rapid.SampledFrom(us), 0, 50).Draw(t, "dups")...)
		c := rateAll(t, card, dups)
		if !slices.Equal(c[:len(us)], a) || total(c) != total(a) {
			t.Fatalf("duplicates changed the total: %d, want %d", total(c), total(a))
		}
	})
}

// Within a month the total of each market and category depends only on
// what was sent, not on the order: tiers price the k-th unit the same
// whichever entry it is. (With allowances this holds per category when
// there is one market: allowances are shared across markets and consumed
// in ledger order.)
func TestPropOrderIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		allow := rapid.Bool().Draw(t, "allowances")
		markets := []string{"BR", "IN", "GB"}
		if allow {
			markets = markets[:1]
		}
		card := genCard(t, markets, allow, false)
		us := genUsage(t, 1, markets)
		if len(us) == 0 {
			return
		}
		perm := rapid.Permutation(us).Draw(t, "perm")
		a, b := rateAll(t, card, us), rateAll(t, card, perm)
		if ta, tb := total(a), total(b); ta != tb {
			t.Fatalf("order changed the total: %d vs %d", ta, tb)
		}
		// Which entry is the k-th unit (and so its reason) may change;
		// the units and amounts of each category, market and tier do not.
		type cell struct {
			cat    Category
			market string
			tier   string
		}
		group := func(cs []Charge) map[cell][2]int64 {
			g := map[cell][2]int64{}
			for _, c := range cs {
				k := cell{c.Category, c.Market, c.TierLabel}
				v := g[k]
				g[k] = [2]int64{v[0] + 1, v[1] + c.Amount}
			}
			return g
		}
		if ga, gb := group(a), group(b); !maps.Equal(ga, gb) {
			t.Fatalf("order changed the lines:\n%+v\n%+v", ga, gb)
		}
	})
}

// Rating then summing equals summing then rating: the charges of n units
// of one market and category add up to the card's closed-form cost of n
// units, and the invoice total is the sum of its lines and of its
// charges. The one rounding (RoundMinor) is applied to the total only,
// and is within half a minor unit of it.
func TestPropRateThenSum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		markets := []string{"BR", "MX"}
		card := genCard(t, markets, false, false)
		us := genUsage(t, 1, markets)
		if len(us) == 0 {
			return
		}
		cs := rateAll(t, card, us)
		counts := map[volKey]int64{}
		sums := map[volKey]int64{}
		for _, c := range cs {
			if !c.Reason.Free() || c.Reason == ReasonZeroPrice {
				k := volKey{c.Country, c.Category}
				counts[k]++
				sums[k] += c.Amount
			}
		}
		for k, n := range counts {
			if want := card.VolumeCost(k.country, k.cat, 0, n); sums[k] != want {
				t.Fatalf("%v: rated then summed %d, summed then rated %d", k, sums[k], want)
			}
		}
		lines, tot := Summarize(cs)
		var ls int64
		for _, l := range lines {
			ls += l.Amount
			if l.Units*l.Unit != l.Amount {
				t.Fatalf("line %+v: units × unit price != amount", l)
			}
		}
		if ls != tot || tot != total(cs) {
			t.Fatalf("lines %d, total %d, charges %d", ls, tot, total(cs))
		}
		if d := RoundMinor(tot, "USD")*10000 - tot; d > 5000 || d < -5000 {
			t.Fatalf("rounding moved %d micros", d)
		}
	})
}

// With tiers that never get dearer, the marginal price never rises with
// volume and the cost of n units never falls as n grows.
func TestPropTiersMonotone(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		card := genCard(t, []string{"BR"}, false, true)
		cat := rapid.SampledFrom(Categories).Draw(t, "cat")
		prev, prevCost := int64(1<<62), int64(0)
		for n := int64(0); n < 150; n++ {
			ts, _ := card.tiers("BR", cat)
			p := ts[tierAt(ts, n)].Price
			if p > prev {
				t.Fatalf("unit %d costs %d, more than the unit before (%d)", n, p, prev)
			}
			cost := card.VolumeCost("BR", cat, 0, n+1)
			if cost < prevCost {
				t.Fatalf("cost of %d units %d < cost of %d units %d", n+1, cost, n, prevCost)
			}
			prev, prevCost = p, cost
		}
	})
}

// A quote is the charge: quoting then rating gives the same amount.
func TestPropQuoteIsCharge(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		markets := []string{"BR", "IN"}
		card := genCard(t, markets, true, false)
		us := genUsage(t, 1, markets)
		m := NewMonth(1, PeriodOf(nov2026))
		for _, u := range us {
			q := m.Quote(card, u)
			c, _ := m.Rate(card, u)
			if q != c {
				t.Fatalf("quote %+v, charge %+v", q, c)
			}
		}
	})
}

func TestSimulateCompare(t *testing.T) {
	cat := BuiltinCatalog()
	var us []Usage
	for i := range 30 {
		us = append(us, Usage{Key: fmt.Sprint(i), BusinessID: int64(1 + i%3), Event: ServiceMessage, Category: Service, Country: "BR", PricingType: TypeFreeCustomerService, At: nov2026})
	}
	seq := func(yield func(Usage) bool) {
		for _, u := range us {
			if !yield(u) {
				return
			}
		}
	}
	a, err := Simulate(cat, CardPerMessage25, seq, SimulateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Simulate(cat, CardPerMessage26, seq, SimulateOptions{})
	if a.Total != 0 || b.Total != 30*8800 {
		t.Fatalf("got totals %d and %d, want 0 and %d", a.Total, b.Total, 30*8800)
	}
	ds := Compare(a, b)
	if len(ds) != 3 || ds[0].Change != 10*8800 {
		t.Errorf("got deltas %+v", ds)
	}
}
