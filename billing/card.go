package billing

import (
	"bufio"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Category is a message category, as Meta names them in lower case.
type Category string

// The four categories.
const (
	Marketing      Category = "marketing"
	Utility        Category = "utility"
	Authentication Category = "authentication"
	Service        Category = "service"
)

// Categories lists the categories in the order invoices show them.
var Categories = []Category{Marketing, Utility, Authentication, Service}

func validCategory(c Category) bool { return slices.Contains(Categories, c) }

// Regime is a pricing regime: which events cost money and why others are
// free. The rate card gives the prices; the regime gives the rules.
type Regime string

// The three built-in regimes.
const (
	// Conversation is conversation-based pricing (June 2023 to June
	// 2025): each 24 h conversation of a category is charged once, when
	// it opens; the messages in it are free.
	Conversation Regime = "conversation"
	// PerMessage2025 is per-message pricing from 1 July 2025: delivered
	// templates are charged by category and market; free-form messages
	// in the service window and utility templates in the window are free;
	// everything in a 72 h free entry point is free.
	PerMessage2025 Regime = "per_message_2025_07"
	// PerMessage2026 is per-message pricing from 1 October 2026: as
	// PerMessage2025, but service messages and utility templates inside
	// the window are charged at the market's utility rate. The free entry
	// point stays free.
	PerMessage2026 Regime = "per_message_2026_10"
)

// Regimes lists the built-in regimes.
var Regimes = []Regime{Conversation, PerMessage2025, PerMessage2026}

// charged returns the categories a regime prices on the card.
func (r Regime) charged() []Category {
	if r == Conversation {
		return Categories
	}
	return []Category{Marketing, Utility, Authentication}
}

// DefaultMarket is the market of recipients whose country has no prices
// of its own on a card.
const DefaultMarket = "*"

// Tier is one band of monthly volume: units From (inclusive) to To
// (exclusive; 0 means no upper bound) cost Price micro-units each.
type Tier struct {
	From  int64  `json:"from"`
	To    int64  `json:"to,omitempty"`
	Price int64  `json:"price_micros"`
	Line  int    `json:"line,omitempty"`
	label string // Label, made once by Parse so that rating does not allocate
}

// Label names the tier for invoices: "0-100000" or "100000+".
func (t Tier) Label() string {
	if t.label != "" {
		return t.label
	}
	if t.To == 0 {
		return strconv.FormatInt(t.From, 10) + "+"
	}
	return strconv.FormatInt(t.From, 10) + "-" + strconv.FormatInt(t.To, 10)
}

// Card is one version of a rate card: prices per market and category,
// monthly volume tiers, and free monthly allowances, under a regime, in
// effect from EffectiveFrom until the next version's EffectiveFrom.
type Card struct {
	Name          string    `json:"name"`
	Version       int       `json:"version"`
	Regime        Regime    `json:"regime"`
	Currency      string    `json:"currency"`
	EffectiveFrom time.Time `json:"effective_from"`
	// Prices maps market (a country code, or DefaultMarket) and category
	// to contiguous tiers starting at 0.
	Prices map[string]map[Category][]Tier `json:"prices"`
	// Free is the number of units of a category each business gets free
	// every month (before tiers count).
	Free map[Category]int64 `json:"free,omitempty"`
	// Source is the text the card was parsed from.
	Source string `json:"-"`
}

// ID names a card version: "name@version".
func (c *Card) ID() string { return c.Name + "@" + strconv.Itoa(c.Version) }

// LineError is a rate card error at one line of its source.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var (
	marketRe   = regexp.MustCompile(`^([A-Z]{2}|\*)$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
	nameRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
)

// Parse reads a rate card in Parley's line format (docs/BILLING.md):
//
//	# comments and blank lines are ignored
//	card per-message-2026          name: [a-z0-9_.-]
//	version 3                      a positive integer
//	regime per_message_2026_10     conversation | per_message_2025_07 | per_message_2026_10
//	currency USD                   ISO 4217
//	effective 2026-10-01           a date (00:00 UTC) or an RFC 3339 time
//	price BR marketing 0.0688      market (ISO country or *), category, price per unit
//	price BR utility 0.0088 upto 100000
//	price BR utility 0.0080 from 100000
//	free service 1000              free units of a category per business per month
//
// It validates the card and returns the first error as a *LineError
// naming the line that is wrong: an unknown keyword, a bad value, a
// negative price, tiers that overlap or leave a gap, or a charged
// category with no price for the default market.
func Parse(src string) (*Card, error) {
	c := &Card{Prices: map[string]map[Category][]Tier{}, Free: map[Category]int64{}, Source: src}
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	last := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		last = n
		bad := func(format string, args ...any) error { return &LineError{Line: n, Msg: fmt.Sprintf(format, args...)} }
		key := f[0]
		if key != "price" && key != "free" {
			if prev, ok := seen[key]; ok {
				return nil, bad("%s given twice (first at line %d)", key, prev)
			}
			seen[key] = n
		}
		one := func() (string, error) {
			if len(f) != 2 {
				return "", bad("%s takes one value", key)
			}
			return f[1], nil
		}
		switch key {
		case "card":
			v, err := one()
			if err != nil {
				return nil, err
			}
			if !nameRe.MatchString(v) {
				return nil, bad("card name %q must be lower-case letters, digits, '_', '.', '-'", v)
			}
			c.Name = v
		case "version":
			v, err := one()
			if err != nil {
				return nil, err
			}
			ver, err := strconv.Atoi(v)
			if err != nil || ver < 1 {
				return nil, bad("version %q must be a positive integer", v)
			}
			c.Version = ver
		case "regime":
			v, err := one()
			if err != nil {
				return nil, err
			}
			if !slices.Contains(Regimes, Regime(v)) {
				return nil, bad("unknown regime %q (want conversation, per_message_2025_07 or per_message_2026_10)", v)
			}
			c.Regime = Regime(v)
		case "currency":
			v, err := one()
			if err != nil {
				return nil, err
			}
			if !currencyRe.MatchString(v) {
				return nil, bad("currency %q is not an ISO 4217 code", v)
			}
			c.Currency = v
		case "effective":
			v, err := one()
			if err != nil {
				return nil, err
			}
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				if t, err = time.Parse(time.RFC3339, v); err != nil {
					return nil, bad("effective %q is neither a date (2006-01-02) nor an RFC 3339 time", v)
				}
			}
			c.EffectiveFrom = t.UTC()
		case "free":
			if len(f) != 3 {
				return nil, bad("free takes a category and a number of units")
			}
			cat := Category(f[1])
			if !validCategory(cat) {
				return nil, bad("unknown category %q", f[1])
			}
			units, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil || units < 0 {
				return nil, bad("free units %q must be a number 0 or more", f[2])
			}
			if _, dup := c.Free[cat]; dup {
				return nil, bad("free %s given twice", cat)
			}
			c.Free[cat] = units
		case "price":
			if len(f) < 4 {
				return nil, bad("price takes a market, a category and a price, then optionally from N and upto M")
			}
			market, cat := f[1], Category(f[2])
			if !marketRe.MatchString(market) {
				return nil, bad("market %q must be an ISO country code in capitals (BR) or * for the default", market)
			}
			if !validCategory(cat) {
				return nil, bad("unknown category %q", f[2])
			}
			p, err := ParseMicros(f[3])
			if err != nil {
				return nil, bad("price: %v", err)
			}
			if p < 0 {
				return nil, bad("negative price %s for %s %s", f[3], market, cat)
			}
			t := Tier{Price: p, Line: n}
			rest := f[4:]
			for len(rest) > 0 {
				if len(rest) < 2 {
					return nil, bad("%q needs a number", rest[0])
				}
				v, err := strconv.ParseInt(rest[1], 10, 64)
				if err != nil || v < 0 {
					return nil, bad("%s %q must be a number 0 or more", rest[0], rest[1])
				}
				switch rest[0] {
				case "from":
					t.From = v
				case "upto":
					t.To = v
				default:
					return nil, bad("unknown price option %q (want from or upto)", rest[0])
				}
				rest = rest[2:]
			}
			if t.To != 0 && t.To <= t.From {
				return nil, bad("tier upto %d must be above from %d", t.To, t.From)
			}
			if c.Prices[market] == nil {
				c.Prices[market] = map[Category][]Tier{}
			}
			c.Prices[market][cat] = append(c.Prices[market][cat], t)
		default:
			return nil, bad("unknown keyword %q (want card, version, regime, currency, effective, price or free)", key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read rate card: %w", err)
	}
	if last == 0 {
		return nil, &LineError{Line: 1, Msg: "the rate card is empty"}
	}
	for _, k := range []string{"card", "version", "regime", "currency", "effective"} {
		if _, ok := seen[k]; !ok {
			return nil, &LineError{Line: last, Msg: fmt.Sprintf("the card has no %q line", k)}
		}
	}
	if err := c.checkTiers(); err != nil {
		return nil, err
	}
	for _, cat := range c.Regime.charged() {
		if len(c.Prices[DefaultMarket][cat]) == 0 {
			return nil, &LineError{Line: seen["regime"], Msg: fmt.Sprintf(
				"regime %s charges %s but the default market * has no %s price: recipients in markets without their own price would be unpriced (add: price * %s AMOUNT)",
				c.Regime, cat, cat, cat)}
		}
	}
	return c, nil
}

// checkTiers sorts each market's tiers and rejects overlaps and gaps,
// naming the later of the two lines.
func (c *Card) checkTiers() error {
	markets := make([]string, 0, len(c.Prices))
	for m := range c.Prices {
		markets = append(markets, m)
	}
	slices.Sort(markets)
	for _, m := range markets {
		for _, cat := range Categories {
			ts := c.Prices[m][cat]
			if len(ts) == 0 {
				continue
			}
			slices.SortStableFunc(ts, func(a, b Tier) int { return cmpInt(a.From, b.From) })
			for i := range ts {
				ts[i].label = ts[i].Label()
			}
			for i, t := range ts {
				if i == 0 {
					if t.From != 0 {
						return &LineError{Line: t.Line, Msg: fmt.Sprintf("tiers for %s %s must start at volume 0; this one starts at %d", m, cat, t.From)}
					}
					continue
				}
				p := ts[i-1]
				later := max(p.Line, t.Line)
				switch {
				case p.To == 0 || t.From < p.To:
					return &LineError{Line: later, Msg: fmt.Sprintf("tiers for %s %s overlap: %s (line %d) and %s (line %d)", m, cat, p.Label(), p.Line, t.Label(), t.Line)}
				case t.From > p.To:
					return &LineError{Line: later, Msg: fmt.Sprintf("tiers for %s %s leave volume %d-%d without a price", m, cat, p.To, t.From)}
				}
			}
			if lt := ts[len(ts)-1]; lt.To != 0 {
				return &LineError{Line: lt.Line, Msg: fmt.Sprintf("the last tier for %s %s must have no upper bound (drop upto %d)", m, cat, lt.To)}
			}
		}
	}
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// tiers returns the tiers of category cat for a recipient in country
// (its own, else the default market's) and the market the charge is
// filed under: the country whenever the card lists it, even for a
// category it prices through the default market (a free service reply to
// a Mexican customer is filed under MX, as that customer's templates
// are), else the default market.
func (c *Card) tiers(country string, cat Category) ([]Tier, string) {
	if ts := c.Prices[country][cat]; len(ts) > 0 {
		return ts, country
	}
	if _, listed := c.Prices[country]; listed && country != "" {
		return c.Prices[DefaultMarket][cat], country
	}
	return c.Prices[DefaultMarket][cat], DefaultMarket
}

// tierAt returns the index of the tier holding the unit at volume v (the
// v+1st unit of the month).
func tierAt(ts []Tier, v int64) int {
	for i := len(ts) - 1; i > 0; i-- {
		if v >= ts[i].From {
			return i
		}
	}
	return 0
}

// VolumeCost is the exact cost of n units of cat in country when the
// month's volume before them is v: the closed form of rating the units
// one by one. It ignores free allowances.
func (c *Card) VolumeCost(country string, cat Category, v, n int64) int64 {
	ts, _ := c.tiers(country, cat)
	var sum int64
	for _, t := range ts {
		lo, hi := max(v, t.From), v+n
		if t.To != 0 {
			hi = min(hi, t.To)
		}
		if hi > lo {
			sum += (hi - lo) * t.Price
		}
	}
	return sum
}

// Markets returns the card's markets, sorted, the default last.
func (c *Card) Markets() []string {
	var ms []string
	for m := range c.Prices {
		if m != DefaultMarket {
			ms = append(ms, m)
		}
	}
	slices.Sort(ms)
	if _, ok := c.Prices[DefaultMarket]; ok {
		ms = append(ms, DefaultMarket)
	}
	return ms
}
