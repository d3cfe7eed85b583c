package billing

import (
	"fmt"
	"hash/maphash"
	"time"
)

// Event names what a usage entry counts; the values are the ledger's.
type Event string

// The ledger's events.
const (
	TemplateDelivered  Event = "template_delivered"
	ServiceMessage     Event = "service_message"
	EntryPointMessage  Event = "entry_point_message"
	ConversationOpened Event = "conversation_opened"
)

// Pricing types recorded on usage entries at send time.
const (
	TypeRegular             = "regular"
	TypeFreeCustomerService = "free_customer_service"
	TypeFreeEntryPoint      = "free_entry_point"
)

// Usage is one usage-ledger entry, as the engine needs it.
type Usage struct {
	Key         string
	BusinessID  int64
	Event       Event
	Category    Category
	Country     string // the recipient's ISO region; "" when unknown
	PricingType string // regular | free_customer_service | free_entry_point
	// InWindow says the message was sent inside the customer service
	// window: the fact the regimes decide in-window utility templates by.
	// An entry typed free_customer_service was in the window too.
	InWindow bool
	At       time.Time
}

// Reason says why a charge is what it is.
type Reason string

// The reasons. Charged reasons have a price; the free ones say why not.
const (
	ReasonTemplate       Reason = "template"              // a delivered template, charged by category
	ReasonConversation   Reason = "conversation"          // a conversation opened, charged by category
	ReasonUtilityRate    Reason = "utility_rate"          // Oct 2026: a service message or in-window utility template, at the utility rate
	ReasonFreeWindow     Reason = "free_customer_service" // free: in the customer service window
	ReasonFreeEntryPoint Reason = "free_entry_point"      // free: inside a 72 h free entry point
	ReasonFreeAllowance  Reason = "free_allowance"        // free: within the card's monthly free units
	ReasonZeroPrice      Reason = "zero_price"            // free: the card prices it at 0
	ReasonInConversation Reason = "in_conversation"       // free: a message inside a charged conversation
	ReasonNotMetered     Reason = "not_metered"           // free: the regime does not charge this event
	ReasonDuplicate      Reason = "duplicate"             // not charged again: this key was rated before
)

// Free reports whether the reason is a free one.
func (r Reason) Free() bool {
	return r != ReasonTemplate && r != ReasonConversation && r != ReasonUtilityRate && r != ReasonAds
}

// Charge is a rated usage entry: what it costs and why. Key is the
// usage entry's key, so a charge exists once per entry.
type Charge struct {
	Key        string    `json:"key"`
	BusinessID int64     `json:"business_id"`
	Card       string    `json:"card"`
	Version    int       `json:"card_version"`
	Regime     Regime    `json:"regime"`
	Period     Period    `json:"period"`
	Category   Category  `json:"category"` // the priced category (utility for a service message under Oct 2026)
	Country    string    `json:"country"`
	Market     string    `json:"market"` // the card's market that priced it: Country or *
	Tier       int       `json:"tier"`   // index of the volume tier; -1 when free
	TierLabel  string    `json:"tier_label,omitempty"`
	Amount     int64     `json:"amount_micros"`
	Currency   string    `json:"currency"`
	Reason     Reason    `json:"reason"`
	At         time.Time `json:"at"`
}

// Period is a calendar month in UTC, as year*12 + month-1.
type Period int32

// PeriodOf returns the month t falls in.
func PeriodOf(t time.Time) Period {
	y, m, _ := t.UTC().Date() // one calendar computation, not two (Year and Month)
	return Period(y*12 + int(m) - 1)
}

// Start returns the first instant of the month.
func (p Period) Start() time.Time {
	return time.Date(int(p)/12, time.Month(int(p)%12+1), 1, 0, 0, 0, 0, time.UTC)
}

// End returns the first instant of the next month.
func (p Period) End() time.Time { return (p + 1).Start() }

// String writes the month as "2026-11".
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", int(p)/12, int(p)%12+1) }

// ParsePeriod reads "2026-11".
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return 0, fmt.Errorf("period %q is not YYYY-MM", s)
	}
	return PeriodOf(t), nil
}

// MarshalText writes the period as "2026-11".
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads "2026-11".
func (p *Period) UnmarshalText(b []byte) error {
	v, err := ParsePeriod(string(b))
	*p = v
	return err
}

type volKey struct {
	country string
	cat     Category
}

// Month is the rating state of one business in one month: the volume
// counted so far per market and category, the free units used, and the
// keys already rated. Rating is a pure function of the card and the
// entries in the order rated (the ledger's order, by id), so re-rating
// the same entries from a fresh Month gives the same charges.
type Month struct {
	BusinessID int64
	Period     Period
	vol        map[volKey]int64
	free       map[Category]int64
	seen       map[keyHash]struct{}
	start, end time.Time // of Period
}

// keyHash is a 128-bit hash of a usage key. The keys a month has seen
// are kept as hashes, not strings: the set holds no pointers, so a month
// with millions of entries costs the garbage collector nothing to scan,
// and 128 bits make a collision (an entry taken for a duplicate) about
// as likely as a hardware error (n²/2¹²⁹ for n keys).
type keyHash [2]uint64

// seeds are per process: the hashes live only in memory, and Replay
// rebuilds them from stored keys.
var seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func hashKey(k string) keyHash {
	return keyHash{maphash.String(seeds[0], k), maphash.String(seeds[1], k)}
}

// NewMonth returns an empty rating state.
func NewMonth(businessID int64, p Period) *Month {
	return &Month{BusinessID: businessID, Period: p, vol: map[volKey]int64{}, free: map[Category]int64{}, seen: map[keyHash]struct{}{},
		start: p.Start(), end: p.End()}
}

// Reset empties m for another business or month, keeping its maps.
func (m *Month) Reset(businessID int64, p Period) {
	m.BusinessID, m.Period, m.start, m.end = businessID, p, p.Start(), p.End()
	clear(m.vol)
	clear(m.free)
	clear(m.seen)
}

// Replay restores the state from charges already rated this month (as
// stored), so that rating continues where it left off.
func (m *Month) Replay(cs []Charge) {
	for _, c := range cs {
		m.seen[hashKey(c.Key)] = struct{}{}
		switch {
		case c.Reason == ReasonFreeAllowance:
			m.free[c.Category]++
		case !c.Reason.Free() || c.Reason == ReasonZeroPrice:
			m.vol[volKey{c.Country, c.Category}]++
		}
	}
}

// Rate rates u on card (the version in effect at u.At) and advances m.
// A key rated before in m yields a zero charge with ReasonDuplicate; the
// caller drops it. An error means u does not belong to m's business and
// month.
func (m *Month) Rate(card *Card, u Usage) (Charge, error) {
	if u.BusinessID != m.BusinessID || u.At.Before(m.start) || !u.At.Before(m.end) {
		return Charge{}, fmt.Errorf("usage %s of business %d at %s is not in business %d's %s", u.Key, u.BusinessID, u.At.UTC().Format(time.RFC3339), m.BusinessID, m.Period)
	}
	h := hashKey(u.Key)
	if _, dup := m.seen[h]; dup {
		c := m.price(card, u, false)
		c.Amount, c.Reason, c.Tier, c.TierLabel = 0, ReasonDuplicate, -1, ""
		return c, nil
	}
	m.seen[h] = struct{}{}
	return m.price(card, u, true), nil
}

// Quote is what u would cost if it were rated now: Rate without
// advancing m.
func (m *Month) Quote(card *Card, u Usage) Charge { return m.price(card, u, false) }

// Volume returns the month's counted volume of a category in a country.
func (m *Month) Volume(country string, cat Category) int64 { return m.vol[volKey{country, cat}] }

// decide applies the regime: the category to price and the charged
// reason, or a free reason. It is the one place that says what a regime
// charges; Pricing says the same in the words of Meta's pricing object.
func decide(r Regime, u Usage) (Category, Reason) {
	switch u.Event {
	case TemplateDelivered, ServiceMessage, EntryPointMessage, ConversationOpened:
	default:
		return u.Category, ReasonNotMetered // a money event of the usage ledger carries its own amount
	}
	if u.PricingType == TypeFreeEntryPoint || u.Event == EntryPointMessage {
		return u.Category, ReasonFreeEntryPoint
	}
	service := u.Event == ServiceMessage || u.Category == Service
	utilityInWindow := u.Category == Utility && (u.InWindow || u.PricingType == TypeFreeCustomerService)
	switch r {
	case Conversation:
		if u.Event == ConversationOpened {
			return u.Category, ReasonConversation
		}
		return u.Category, ReasonInConversation
	case PerMessage2025:
		switch {
		case u.Event == ConversationOpened:
			return u.Category, ReasonNotMetered
		case service:
			return Service, ReasonFreeWindow
		case utilityInWindow:
			return u.Category, ReasonFreeWindow
		}
		return u.Category, ReasonTemplate
	case PerMessage2026:
		switch {
		case u.Event == ConversationOpened:
			return u.Category, ReasonNotMetered
		case service, utilityInWindow:
			return Utility, ReasonUtilityRate
		}
		return u.Category, ReasonTemplate
	}
	return u.Category, ReasonNotMetered
}

// Pricing returns the type and billable of Meta's pricing object for a
// message's usage entry under regime r, from decide: a message the
// regime charges is billable and "regular"; one it does not charge is
// "free_customer_service" (the service window) or "free_entry_point".
// The status webhooks, the usage ledger, the quotes and the charges so
// say the same thing. Under conversation pricing Meta's object has no
// type and billable follows the per-message rules of July 2025, as it
// did before (a charged conversation is its own ledger entry).
// Allowances and zero prices do not change it: they are the card's
// price of a billable message, not the rule.
func Pricing(r Regime, u Usage) (pricingType string, billable bool) {
	if r == Conversation {
		r = PerMessage2025
	}
	if u.Event == ConversationOpened {
		u.Event = TemplateDelivered
		if u.Category == Service {
			u.Event = ServiceMessage
		}
	}
	switch _, why := decide(r, u); why {
	case ReasonFreeEntryPoint:
		return TypeFreeEntryPoint, false
	case ReasonFreeWindow:
		return TypeFreeCustomerService, false
	case ReasonNotMetered:
		return "", false
	}
	return TypeRegular, true
}

func (m *Month) price(card *Card, u Usage, advance bool) Charge {
	cat, reason := decide(card.Regime, u)
	p := m.Period
	if u.At.Before(m.start) || !u.At.Before(m.end) { // a quote outside the month
		p = PeriodOf(u.At)
	}
	c := Charge{Key: u.Key, BusinessID: u.BusinessID, Card: card.Name, Version: card.Version, Regime: card.Regime,
		Period: p, Category: cat, Country: u.Country, Currency: card.Currency, Reason: reason, At: u.At, Tier: -1}
	ts, market := card.tiers(u.Country, cat)
	c.Market = market
	if reason.Free() {
		return c
	}
	if allow := card.Free[cat]; allow > 0 && m.free[cat] < allow {
		if advance {
			m.free[cat]++
		}
		c.Reason = ReasonFreeAllowance
		return c
	}
	k := volKey{u.Country, cat}
	v := m.vol[k]
	if advance {
		m.vol[k] = v + 1
	}
	i := tierAt(ts, v)
	c.Tier, c.TierLabel, c.Amount = i, ts[i].Label(), ts[i].Price
	if c.Amount == 0 {
		c.Reason = ReasonZeroPrice
	}
	return c
}
