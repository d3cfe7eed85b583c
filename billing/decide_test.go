package billing

import (
	"testing"

	"pgregory.net/rapid"
)

// TestDecide is the pricing rule of each regime: which category a usage
// entry is priced at, and why (or why it is free). What the category
// costs is the card's (TestRegimes, TestAllowanceAndTiers).
func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		regime  Regime
		u       Usage
		wantCat Category
		wantWhy Reason
	}{
		// Every regime: money events carry their own amount; a free entry point is free.
		{"money event", PerMessage2025, Usage{Event: "subscription_charge", Category: Marketing}, Marketing, ReasonNotMetered},
		{"entry point message", PerMessage2025, Usage{Event: EntryPointMessage, Category: Marketing}, Marketing, ReasonFreeEntryPoint},
		{"template in a free entry point", PerMessage2026, Usage{Event: TemplateDelivered, Category: Marketing, PricingType: TypeFreeEntryPoint}, Marketing, ReasonFreeEntryPoint},
		{"conversation in a free entry point", Conversation, Usage{Event: ConversationOpened, Category: Marketing, PricingType: TypeFreeEntryPoint}, Marketing, ReasonFreeEntryPoint},

		// Conversation-based: the opened conversation is charged, what is inside it is not.
		{"CBP: conversation opened", Conversation, Usage{Event: ConversationOpened, Category: Utility}, Utility, ReasonConversation},
		{"CBP: template inside it", Conversation, Usage{Event: TemplateDelivered, Category: Utility, PricingType: TypeRegular}, Utility, ReasonInConversation},
		{"CBP: service message", Conversation, Usage{Event: ServiceMessage, Category: Service}, Service, ReasonInConversation},

		// Per message, July 2025: templates by category; the window makes service and utility free.
		{"2025: marketing template", PerMessage2025, Usage{Event: TemplateDelivered, Category: Marketing, PricingType: TypeRegular}, Marketing, ReasonTemplate},
		{"2025: utility outside the window", PerMessage2025, Usage{Event: TemplateDelivered, Category: Utility, PricingType: TypeRegular}, Utility, ReasonTemplate},
		{"2025: utility in the window", PerMessage2025, Usage{Event: TemplateDelivered, Category: Utility, PricingType: TypeFreeCustomerService}, Utility, ReasonFreeWindow},
		{"2025: authentication", PerMessage2025, Usage{Event: TemplateDelivered, Category: Authentication, PricingType: TypeRegular}, Authentication, ReasonTemplate},
		{"2025: service message", PerMessage2025, Usage{Event: ServiceMessage, Category: Service, PricingType: TypeFreeCustomerService}, Service, ReasonFreeWindow},
		{"2025: conversation opened is not metered", PerMessage2025, Usage{Event: ConversationOpened, Category: Marketing}, Marketing, ReasonNotMetered},

		// Per message, October 2026: service and in-window utility at the utility rate.
		{"2026: marketing template", PerMessage2026, Usage{Event: TemplateDelivered, Category: Marketing, PricingType: TypeRegular}, Marketing, ReasonTemplate},
		{"2026: utility outside the window", PerMessage2026, Usage{Event: TemplateDelivered, Category: Utility, PricingType: TypeRegular}, Utility, ReasonTemplate},
		{"2026: utility in the window", PerMessage2026, Usage{Event: TemplateDelivered, Category: Utility, PricingType: TypeFreeCustomerService}, Utility, ReasonUtilityRate},
		{"2026: service message", PerMessage2026, Usage{Event: ServiceMessage, Category: Service, PricingType: TypeFreeCustomerService}, Utility, ReasonUtilityRate},
		{"2026: conversation opened is not metered", PerMessage2026, Usage{Event: ConversationOpened, Category: Marketing}, Marketing, ReasonNotMetered},

		// The window is a fact of the entry (InWindow): an entry that the
		// October 2026 card typed regular is still free under July 2025.
		{"2025: utility typed regular in 2026, in the window", PerMessage2025, Usage{Event: TemplateDelivered, Category: Utility, PricingType: TypeRegular, InWindow: true}, Utility, ReasonFreeWindow},
		{"2026: utility in the window, typed regular", PerMessage2026, Usage{Event: TemplateDelivered, Category: Utility, PricingType: TypeRegular, InWindow: true}, Utility, ReasonUtilityRate},
		{"2025: marketing in the window", PerMessage2025, Usage{Event: TemplateDelivered, Category: Marketing, PricingType: TypeRegular, InWindow: true}, Marketing, ReasonTemplate},

		{"unknown regime", "per_message_1999", Usage{Event: TemplateDelivered, Category: Marketing}, Marketing, ReasonNotMetered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, why := decide(tt.regime, tt.u)
			if cat != tt.wantCat || why != tt.wantWhy {
				t.Errorf("got %s %s, want %s %s", cat, why, tt.wantCat, tt.wantWhy)
			}
		})
	}
}

// TestPricing is Meta's pricing object of a message under each regime
// (Pricing): billable and "regular" exactly where decide charges it, and
// free_customer_service under the July 2025 rules for a service reply and
// an in-window utility template, which the October 2026 card charges.
func TestPricing(t *testing.T) {
	type facts struct {
		event    Event
		cat      Category
		inWindow bool
		entry    bool
	}
	tests := []struct {
		name string
		f    facts
		// want per regime: 2025, 2026, conversation
		want [3]string
	}{
		{"service reply", facts{ServiceMessage, Service, true, false}, [3]string{"free_customer_service", "regular", "free_customer_service"}},
		{"utility in the window", facts{TemplateDelivered, Utility, true, false}, [3]string{"free_customer_service", "regular", "free_customer_service"}},
		{"utility outside the window", facts{TemplateDelivered, Utility, false, false}, [3]string{"regular", "regular", "regular"}},
		{"marketing in the window", facts{TemplateDelivered, Marketing, true, false}, [3]string{"regular", "regular", "regular"}},
		{"authentication in the window", facts{TemplateDelivered, Authentication, true, false}, [3]string{"regular", "regular", "regular"}},
		{"marketing in a free entry point", facts{TemplateDelivered, Marketing, false, true}, [3]string{"free_entry_point", "free_entry_point", "free_entry_point"}},
		{"service in a free entry point", facts{EntryPointMessage, Service, true, true}, [3]string{"free_entry_point", "free_entry_point", "free_entry_point"}},
	}
	for _, tt := range tests {
		for i, r := range []Regime{PerMessage2025, PerMessage2026, Conversation} {
			t.Run(tt.name+" "+string(r), func(t *testing.T) {
				u := Usage{Event: tt.f.event, Category: tt.f.cat, InWindow: tt.f.inWindow}
				if tt.f.entry {
					u.PricingType = TypeFreeEntryPoint
				}
				typ, billable := Pricing(r, u)
				if typ != tt.want[i] || billable != (typ == TypeRegular) {
					t.Errorf("got %s billable %v, want %s billable %v", typ, billable, tt.want[i], tt.want[i] == TypeRegular)
				}
				if r == Conversation {
					return
				}
				// One rule: billable exactly when decide charges it, and a
				// decided entry decides the same again (the ledger re-rates it).
				_, why := decide(r, u)
				if billable != !why.Free() {
					t.Errorf("billable %v but decide says %s", billable, why)
				}
				u.PricingType = typ
				if typ2, _ := Pricing(r, u); typ2 != typ {
					t.Errorf("decided again: got %s, want %s", typ2, typ)
				}
				if _, why2 := decide(r, u); why2 != why {
					t.Errorf("re-rated: got %s, want %s", why2, why)
				}
			})
		}
	}
}

// TestPropRoundMinor: the one rounding rule is within half a minor unit,
// symmetric around zero, monotone, and exact on whole minor units.
func TestPropRoundMinor(t *testing.T) {
	currencies := []string{"USD", "JPY", "KWD"}
	rapid.Check(t, func(t *rapid.T) {
		cur := rapid.SampledFrom(currencies).Draw(t, "currency")
		const bound = 1 << 50
		m := rapid.Int64Range(-bound, bound).Draw(t, "micros")
		step := MinorToMicros(1, cur)
		r := RoundMinor(m, cur)
		if d := r*step - m; 2*d > step || 2*d < -step {
			t.Fatalf("RoundMinor(%d, %s) = %d: off by %d micros, more than half of %d", m, cur, r, d, step)
		}
		if got := RoundMinor(-m, cur); got != -r {
			t.Fatalf("RoundMinor(-%d, %s): got %d, want %d", m, cur, got, -r)
		}
		if n := m + rapid.Int64Range(0, bound).Draw(t, "more"); RoundMinor(n, cur) < r {
			t.Fatalf("RoundMinor(%d, %s) = %d < RoundMinor(%d) = %d", n, cur, RoundMinor(n, cur), m, r)
		}
		minor := rapid.Int64Range(-bound/1_000_000, bound/1_000_000).Draw(t, "minor")
		if got := RoundMinor(MinorToMicros(minor, cur), cur); got != minor {
			t.Fatalf("RoundMinor(MinorToMicros(%d, %s)): got %d, want %d", minor, cur, got, minor)
		}
	})
}
