package billing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
)

// Config is business billing's behaviour. Zero fields take the
// defaults beside them.
type Config struct {
	// DefaultCard prices businesses on per-message pricing (PMP) that the
	// operator has not put on a card. Empty: the newest built-in
	// per-message card in effect at the entry's time.
	DefaultCard string
	// ConversationCard prices businesses on conversation-based pricing
	// (CBP); default the built-in conversation card.
	ConversationCard string
	// Currency of wallets; default USD. Cards in another currency are
	// refused for assignment.
	Currency string
	// Notice is how far ahead a new card version must take effect: rates
	// are announced in advance. Default 0: any time after now.
	Notice time.Duration
}

func (c *Config) setDefaults() {
	if c.ConversationCard == "" {
		c.ConversationCard = CardConversation
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
}

// Quote is the price of a message: what it costs if it is delivered now,
// and why it is free when it is.
type Quote struct {
	Amount   int64  `json:"amount_micros"`
	Currency string `json:"currency"`
	Category string `json:"category"` // the priced category
	Billable bool   `json:"billable"`
	Reason   string `json:"reason"`
	Card     string `json:"card,omitempty"`
	Version  int    `json:"card_version,omitempty"`
	Tier     string `json:"tier,omitempty"`
}

// Header writes the quote as the Parley-Price response header, an RFC
// 8941 dictionary: micros=68800, amount="0.0688", currency="USD",
// category="marketing", billable=?1, reason="template".
func (q Quote) Header() string {
	b := "?0"
	if q.Billable {
		b = "?1"
	}
	return fmt.Sprintf(`micros=%d, amount="%s", currency="%s", category="%s", billable=%s, reason="%s"`,
		q.Amount, FormatMicros(q.Amount), q.Currency, q.Category, b, q.Reason)
}

// hold is a quoted amount set aside for a sent message until its
// delivery is rated (or it fails).
type hold struct {
	amount int64
	cat    Category
	at     time.Time
}

// bizBilling is the live rating state of one business. Two locks:
//
//   - order orders the business's rating: ProcessInbox holds it from the
//     first rating until its batch is committed, so the business's ledger
//     order is its rating order and a re-rating of the ledger gives the
//     same charges. Sends never take it.
//   - mu guards the fields below and is held only for in-memory work (and
//     the read of a month not in memory), never across a commit: a send's
//     quote and hold do not wait for a delivery batch to commit. A quote
//     may so see charges rated but not yet committed; if that commit
//     fails, the month is dropped and reloaded from the stored charges.
//
// order is taken before mu, never the other way round.
type bizBilling struct {
	order   sync.Mutex
	mu      sync.Mutex
	month   *Month
	spent   map[Category]int64
	holds   map[string]hold
	held    int64              // the sum of holds
	heldCat map[Category]int64 // the sum of holds by category
	// rated is what the batch holding order has rated and not yet
	// committed: its holds are gone and its wallet debit is not yet
	// stored. It is zeroed after the commit (see checkLocked).
	rated int64
}

// addHold sets an amount aside for a message. The caller holds s.mu.
func (s *bizBilling) addHold(id string, h hold) {
	s.dropHold(id)
	s.holds[id] = h
	s.held += h.amount
	s.heldCat[h.cat] += h.amount
}

// dropHold releases a message's hold, if it has one. The caller holds s.mu.
func (s *bizBilling) dropHold(id string) {
	h, ok := s.holds[id]
	if !ok {
		return
	}
	delete(s.holds, id)
	s.held -= h.amount
	s.heldCat[h.cat] -= h.amount
}

// Biller rates the usage ledger live, quotes sends, keeps wallets and
// budget caps, and runs invoices. The business context builds it
// (business.New) and drives its lock protocol from the send and the
// inbound paths; see LockRating. It is safe for concurrent use.
type Biller struct {
	cfg      Config
	st       Store
	payments money.PaymentProvider
	now      func() time.Time
	payer    func(ctx context.Context, businessID int64) (Payer, error)
	notify   func(ctx context.Context, businessID int64, n LowBalance) error

	mu     sync.Mutex // guards the fields below; never held while a bizBilling.mu is taken
	loaded bool
	cat    *Catalog
	assign map[int64][]CardAssignment
	biz    map[int64]*bizBilling
}

// Payer is what billing knows of a business: who pays, and on which
// pricing model its usage is recorded (PMP or CBP), which picks its
// default card.
type Payer struct {
	ID           int64
	Name         string
	PricingModel string // PMP | CBP
}

// LowBalance is the news that a business's balance fell below its
// threshold; the business context tells the business (its
// account_update webhook). Amounts are micro-units of Currency.
type LowBalance struct {
	Balance   int64
	Threshold int64
	Currency  string
	Mode      string
	At        time.Time
}

// Deps are what the Biller needs besides its Config. Store and Payer
// are required.
type Deps struct {
	Store    Store
	Payments money.PaymentProvider // wallet top-ups; default none
	Now      func() time.Time      // default time.Now
	// Payer returns the business that pays: ENotFound ("no such
	// business") if there is none.
	Payer func(ctx context.Context, businessID int64) (Payer, error)
	// NotifyLowBalance tells a business that its balance fell below its
	// threshold; it is called once per fall, after the debit committed.
	// Default: nobody is told.
	NotifyLowBalance func(ctx context.Context, businessID int64, n LowBalance) error
}

// New returns a Biller over d.Store. It reads nothing until first used.
func New(cfg Config, d Deps) *Biller {
	cfg.setDefaults()
	if d.Payments == nil {
		d.Payments = money.NoPayments{}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NotifyLowBalance == nil {
		d.NotifyLowBalance = func(context.Context, int64, LowBalance) error { return nil }
	}
	return &Biller{cfg: cfg, st: d.Store, payments: d.Payments, now: d.Now, payer: d.Payer, notify: d.NotifyLowBalance,
		biz: map[int64]*bizBilling{}}
}

// Currency is the currency of wallets and quotes (Config.Currency).
func (bl *Biller) Currency() string { return bl.cfg.Currency }

// load reads the operator's cards and assignments once.
func (bl *Biller) load(ctx context.Context) error {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	if bl.loaded {
		return nil
	}
	cat := BuiltinCatalog()
	recs, err := bl.st.ListRateCards(ctx)
	if err != nil {
		return fmt.Errorf("list rate cards: %w", err)
	}
	for _, r := range recs {
		c, err := Parse(r.Text)
		if err != nil {
			return fmt.Errorf("stored rate card %s v%d: %w", r.Name, r.Version, err)
		}
		c.Source = "operator"
		if err := cat.Add(c); err != nil {
			return fmt.Errorf("stored rate card %s v%d: %w", r.Name, r.Version, err)
		}
	}
	as, err := bl.st.CardAssignments(ctx)
	if err != nil {
		return fmt.Errorf("card assignments: %w", err)
	}
	assign := map[int64][]CardAssignment{}
	for _, a := range as {
		assign[a.BusinessID] = append(assign[a.BusinessID], a)
	}
	bl.cat, bl.assign, bl.loaded = cat, assign, true
	return nil
}

// catalog returns the card catalog (built-in and the operator's).
func (bl *Biller) catalog(ctx context.Context) (*Catalog, error) {
	if err := bl.load(ctx); err != nil {
		return nil, err
	}
	bl.mu.Lock()
	defer bl.mu.Unlock()
	return bl.cat, nil
}

// cardAt returns the version of the business's card in effect at t.
func (bl *Biller) cardAt(ctx context.Context, biz Payer, t time.Time) (*Card, error) {
	if err := bl.load(ctx); err != nil {
		return nil, err
	}
	bl.mu.Lock()
	defer bl.mu.Unlock()
	name := bl.cardNameLocked(biz, t)
	if name == "" {
		for _, n := range []string{CardFor(PerMessage2026), CardFor(PerMessage2025), CardConversation} {
			if c, err := bl.cat.At(n, t); err == nil {
				return c, nil
			}
		}
		return nil, fmt.Errorf("no built-in rate card in effect at %s", t.UTC().Format(time.RFC3339))
	}
	return bl.cat.At(name, t)
}

// cardNameLocked names the business's card at t; "" means the newest
// built-in per-message card in effect.
func (bl *Biller) cardNameLocked(biz Payer, t time.Time) string {
	as := bl.assign[biz.ID]
	for i := len(as) - 1; i >= 0; i-- {
		if !as[i].From.After(t) {
			return as[i].Card
		}
	}
	if biz.PricingModel == "CBP" {
		return bl.cfg.ConversationCard
	}
	return bl.cfg.DefaultCard
}

// state returns the business's live state with its month loaded for p;
// the caller holds st.mu.
func (bl *Biller) state(bizID int64) *bizBilling {
	bl.mu.Lock()
	defer bl.mu.Unlock()
	s := bl.biz[bizID]
	if s == nil {
		s = &bizBilling{holds: map[string]hold{}, heldCat: map[Category]int64{}}
		bl.biz[bizID] = s
	}
	return s
}

// monthLocked loads the business's month p from its stored charges if
// it is not the one in memory. The caller holds s.mu.
func (bl *Biller) monthLocked(ctx context.Context, s *bizBilling, bizID int64, p Period) (*Month, error) {
	if s.month != nil && s.month.Period == p {
		return s.month, nil
	}
	cs, err := bl.st.MonthCharges(ctx, bizID, p)
	if err != nil {
		return nil, fmt.Errorf("month charges: %w", err)
	}
	m := NewMonth(bizID, p)
	m.Replay(cs)
	s.month, s.spent = m, map[Category]int64{}
	for _, c := range cs {
		s.spent[c.Category] += c.Amount
	}
	return m, nil
}

// The lock protocol. The business context drives live rating through
// these methods, and only these:
//
//   - a send: Reserve (quote, check, hold; a *Refusal holds nothing),
//     then Release if the send then fails; a dry run: Check;
//   - a delivery batch (an inbox page of one business): LockRating, then
//     RateLocked per delivered message (and Release per failed one),
//     then the batch's commit (its charges and usage entries in one
//     transaction with its records), then the returned unlock, then
//     CheckLowBalance when a charge had an amount.
//
// Each business has two locks (bizBilling): the rating order lock, which
// LockRating takes, and the state lock, which every method takes for
// in-memory work only. Sends never take the rating order lock (but see
// checkLocked), so a send never waits for a delivery batch's commit.

// LockRating takes the business's rating order lock: see bizBilling.
// Hold it from the first RateLocked of a batch until the batch is
// committed. The returned function releases it; unlock(true) says the
// batch did not commit and drops the month from memory (the stored
// charges are the truth).
func (bl *Biller) LockRating(bizID int64) (unlock func(failed bool)) {
	s := bl.state(bizID)
	s.order.Lock()
	return func(failed bool) {
		s.mu.Lock()
		if failed {
			s.month = nil
		}
		s.rated = 0
		s.mu.Unlock()
		s.order.Unlock()
	}
}

// RateLocked rates the usage entries of one delivered message with the
// business's rating order lock held (LockRating), releases the message's
// hold, and returns the new charges (duplicates dropped). The caller
// commits them with the entries (business.Batch.Charges).
func (bl *Biller) RateLocked(ctx context.Context, biz Payer, us []*UsageEntry, messageID string) ([]Charge, error) {
	s := bl.state(biz.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropHold(messageID)
	var out []Charge
	for _, e := range us {
		card, err := bl.cardAt(ctx, biz, e.At)
		if err != nil {
			return nil, fmt.Errorf("rate %s: %w", e.Key, err)
		}
		m, err := bl.monthLocked(ctx, s, biz.ID, PeriodOf(e.At))
		if err != nil {
			return nil, err
		}
		c, err := m.Rate(card, e.Usage())
		if err != nil {
			return nil, err
		}
		if c.Reason == ReasonDuplicate {
			continue
		}
		s.spent[c.Category] += c.Amount
		s.rated += c.Amount
		out = append(out, c)
	}
	return out, nil
}

// Check prices the usage entries a message would make, and checks the
// wallet and the budget caps, without holding anything: the dry run of
// Reserve. A refusal is a *Refusal, returned with the quote.
func (bl *Biller) Check(ctx context.Context, biz Payer, us []*UsageEntry) (Quote, error) {
	s := bl.state(biz.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := bl.quoteLocked(ctx, s, biz, us)
	if err != nil {
		return Quote{}, err
	}
	if q.Amount > 0 {
		err = bl.checkLocked(ctx, s, biz.ID, q)
	}
	return q, err
}

// Reserve quotes a message about to be sent (the usage entries it will
// make when delivered), checks the wallet and the budget caps, and holds
// the amount until the message is rated at delivery (RateLocked) or
// released (Release). A refusal is a *Refusal and nothing is held.
func (bl *Biller) Reserve(ctx context.Context, biz Payer, messageID string, us []*UsageEntry) (Quote, error) {
	s := bl.state(biz.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := bl.quoteLocked(ctx, s, biz, us)
	if err != nil || q.Amount == 0 {
		return q, err
	}
	if err := bl.checkLocked(ctx, s, biz.ID, q); err != nil {
		return Quote{}, err
	}
	s.addHold(messageID, hold{amount: q.Amount, cat: Category(q.Category), at: bl.now()})
	return q, nil
}

// Release drops a message's hold (its send failed or it was not
// delivered). A message without a hold is no error.
func (bl *Biller) Release(bizID int64, messageID string) {
	s := bl.state(bizID)
	s.mu.Lock()
	s.dropHold(messageID)
	s.mu.Unlock()
}

// Refusal is a paid send that the wallet or a budget cap cannot take.
// The business context answers it with Meta's 131042 ("Business
// eligibility payment issue"), Detail as the error's details.
type Refusal struct {
	Reason string // RefusalBalance or RefusalBudgetCap
	Detail string // what was available or spent, and what the message costs
}

// The reasons of a Refusal.
const (
	RefusalBalance   = "insufficient_balance"
	RefusalBudgetCap = "budget_cap"
)

func (r *Refusal) Error() string { return "payment refused: " + r.Detail }

// quoteLocked prices usage entries against the month in memory without
// advancing it. The caller holds s.mu.
func (bl *Biller) quoteLocked(ctx context.Context, s *bizBilling, biz Payer, us []*UsageEntry) (Quote, error) {
	var q Quote
	// A conversation entry is the charged one under conversation pricing:
	// rate it first so that its reason is the quote's when both are free.
	us = slices.Clone(us)
	slices.SortStableFunc(us, func(a, b *UsageEntry) int {
		return boolInt(b.Event == ConversationOpened) - boolInt(a.Event == ConversationOpened)
	})
	best := int64(-1)
	for _, e := range us {
		card, err := bl.cardAt(ctx, biz, e.At)
		if err != nil {
			return Quote{}, err
		}
		m, err := bl.monthLocked(ctx, s, biz.ID, PeriodOf(e.At))
		if err != nil {
			return Quote{}, err
		}
		c := m.Quote(card, e.Usage())
		if c.Amount > best {
			best = c.Amount
			q.Category, q.Reason, q.Card, q.Version, q.Tier = string(c.Category), string(c.Reason), c.Card, c.Version, c.TierLabel
		}
		q.Amount += c.Amount
		q.Currency = c.Currency
	}
	q.Billable = q.Amount > 0
	return q, nil
}

// checkLocked refuses q if the wallet or a budget cap cannot take it. The
// caller holds s.mu, and holds it again on return.
//
// The balance check counts s.rated, the charges of a batch rated but not
// yet known to be committed. Between that batch's commit and its unlock
// the amount is in both the stored balance and s.rated: a check then errs
// on refusing, never on allowing. So a refusal while s.rated is not zero
// is checked again with the rating order lock taken (order before mu: mu
// is let go first), when no batch is in flight and s.rated is zero.
func (bl *Biller) checkLocked(ctx context.Context, s *bizBilling, bizID int64, q Quote) error {
	err := bl.checkOnce(ctx, s, bizID, q)
	if err == nil || s.rated == 0 {
		return err
	}
	var r *Refusal
	if !errors.As(err, &r) {
		return err
	}
	s.mu.Unlock()
	s.order.Lock()
	s.mu.Lock()
	defer s.order.Unlock()
	return bl.checkOnce(ctx, s, bizID, q)
}

// checkOnce is checkLocked's check.
func (bl *Biller) checkOnce(ctx context.Context, s *bizBilling, bizID int64, q Quote) error {
	acct, err := bl.Account(ctx, bizID)
	if err != nil {
		return err
	}
	held, heldCat := s.held+s.rated, s.heldCat[Category(q.Category)]
	if limit, ok := acct.BudgetCaps[q.Category]; ok && s.spent[Category(q.Category)]+heldCat+q.Amount > limit {
		return &Refusal{Reason: RefusalBudgetCap,
			Detail: fmt.Sprintf("the monthly %s budget cap of %s %s is reached: %s spent, %s held for messages in flight, this message costs %s",
				q.Category, acct.Currency, FormatMicros(limit), FormatMicros(s.spent[Category(q.Category)]),
				FormatMicros(heldCat), FormatMicros(q.Amount))}
	}
	var floor int64
	switch acct.Mode {
	case WalletPrepaid:
	case WalletCredit:
		floor = -acct.CreditLimit
	default:
		return nil
	}
	if acct.Balance-held-q.Amount < floor {
		return &Refusal{Reason: RefusalBalance,
			Detail: fmt.Sprintf("insufficient balance: %s %s available, this message costs %s; top up the wallet",
				acct.Currency, FormatMicros(acct.Balance-held-floor), FormatMicros(q.Amount))}
	}
	return nil
}

// Account returns the business's wallet, or the defaults if it has none.
func (bl *Biller) Account(ctx context.Context, bizID int64) (Account, error) {
	a, err := bl.st.GetBillingAccount(ctx, bizID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return Account{BusinessID: bizID, Mode: WalletInvoice, Currency: bl.cfg.Currency, BudgetCaps: map[string]int64{}}, nil
	} else if err != nil {
		return Account{}, fmt.Errorf("get billing account: %w", err)
	}
	if a.BudgetCaps == nil {
		a.BudgetCaps = map[string]int64{}
	}
	return a, nil
}

// WalletView is a business's wallet and billing settings as the API shows them.
type WalletView struct {
	BusinessID     int64            `json:"business_id"`
	Currency       string           `json:"currency"`
	Mode           string           `json:"mode"`
	Balance        int64            `json:"balance_micros"`
	CreditLimit    int64            `json:"credit_limit_micros"`
	Held           int64            `json:"held_micros"`
	Available      *int64           `json:"available_micros"` // null: no limit (invoice mode)
	LowBalance     int64            `json:"low_balance_micros"`
	PricingAmounts bool             `json:"pricing_amounts"`
	Card           string           `json:"card"`
	NextCard       *CardAssignment  `json:"next_card,omitempty"`
	BudgetCaps     map[string]int64 `json:"budget_caps"`
	Spend          SpendView        `json:"spend"`
}

// SpendView is a business's spend in the current month.
type SpendView struct {
	Period     Period           `json:"period"`
	Total      int64            `json:"total_micros"`
	ByCategory map[string]int64 `json:"by_category"`
}

// Wallet returns the business's wallet, settings and this month's spend.
func (bl *Biller) Wallet(ctx context.Context, bizID int64) (WalletView, error) {
	biz, err := bl.payer(ctx, bizID)
	if err != nil {
		return WalletView{}, err
	}
	acct, err := bl.Account(ctx, bizID)
	if err != nil {
		return WalletView{}, err
	}
	now := bl.now()
	card, err := bl.cardAt(ctx, biz, now)
	if err != nil {
		return WalletView{}, err
	}
	s := bl.state(bizID)
	s.mu.Lock()
	_, err = bl.monthLocked(ctx, s, bizID, PeriodOf(now))
	v := WalletView{BusinessID: bizID, Currency: acct.Currency, Mode: acct.Mode, Balance: acct.Balance, CreditLimit: acct.CreditLimit,
		LowBalance: acct.LowBalance, PricingAmounts: acct.PricingAmounts, Card: card.Name, BudgetCaps: acct.BudgetCaps,
		Spend: SpendView{Period: PeriodOf(now), ByCategory: map[string]int64{}}}
	v.Held = s.held
	for c, a := range s.spent {
		if a != 0 {
			v.Spend.ByCategory[string(c)] = a
			v.Spend.Total += a
		}
	}
	s.mu.Unlock()
	if err != nil {
		return WalletView{}, err
	}
	switch acct.Mode {
	case WalletPrepaid:
		a := acct.Balance - v.Held
		v.Available = &a
	case WalletCredit:
		a := acct.Balance + acct.CreditLimit - v.Held
		v.Available = &a
	}
	bl.mu.Lock()
	for _, a := range bl.assign[bizID] {
		if a.From.After(now) {
			a := a
			v.NextCard = &a
			break
		}
	}
	bl.mu.Unlock()
	return v, nil
}

// Settings changes a wallet; nil fields stay. A budget cap of nil
// in BudgetCaps removes that cap.
type Settings struct {
	Mode           *string           `json:"mode,omitempty"`
	CreditLimit    *int64            `json:"credit_limit_micros,omitempty"`
	LowBalance     *int64            `json:"low_balance_micros,omitempty"`
	PricingAmounts *bool             `json:"pricing_amounts,omitempty"`
	BudgetCaps     map[string]*int64 `json:"budget_caps,omitempty"`
	// Card puts the business on a rate card from the start of the next
	// month (operator only).
	Card *string `json:"card,omitempty"`
}

// Configure applies settings to a business's wallet. operator allows the
// operator's fields (mode, credit limit, card); a business may set only
// its caps, low-balance threshold and pricing amounts. EInvalid for a bad
// value, EForbidden for an operator's field set by a business.
func (bl *Biller) Configure(ctx context.Context, bizID int64, s Settings, operator bool) (WalletView, error) {
	biz, err := bl.payer(ctx, bizID)
	if err != nil {
		return WalletView{}, err
	}
	if !operator && (s.Mode != nil || s.CreditLimit != nil || s.Card != nil) {
		return WalletView{}, &parley.Error{Code: parley.EForbidden, Message: "mode, credit_limit_micros and card are set by the operator"}
	}
	acct, err := bl.Account(ctx, bizID)
	if err != nil {
		return WalletView{}, err
	}
	if s.Mode != nil {
		if *s.Mode != WalletInvoice && *s.Mode != WalletPrepaid && *s.Mode != WalletCredit {
			return WalletView{}, parley.InvalidField("mode", "mode must be invoice, prepaid or credit")
		}
		acct.Mode = *s.Mode
	}
	if s.CreditLimit != nil {
		if *s.CreditLimit < 0 {
			return WalletView{}, parley.InvalidField("credit_limit_micros", "credit_limit_micros must not be negative")
		}
		acct.CreditLimit = *s.CreditLimit
	}
	if s.LowBalance != nil {
		if *s.LowBalance < 0 {
			return WalletView{}, parley.InvalidField("low_balance_micros", "low_balance_micros must not be negative")
		}
		acct.LowBalance = *s.LowBalance
	}
	if s.PricingAmounts != nil {
		acct.PricingAmounts = *s.PricingAmounts
	}
	for cat, v := range s.BudgetCaps {
		if !slices.Contains(Categories, Category(cat)) {
			return WalletView{}, parley.InvalidField("budget_caps", fmt.Sprintf("unknown category %q: marketing, utility, authentication or service", cat))
		}
		if v == nil {
			delete(acct.BudgetCaps, cat)
			continue
		}
		if *v < 0 {
			return WalletView{}, parley.InvalidField("budget_caps", "a budget cap must not be negative")
		}
		acct.BudgetCaps[cat] = *v
	}
	if s.Card != nil {
		cat, err := bl.catalog(ctx)
		if err != nil {
			return WalletView{}, err
		}
		vs := cat.Versions(*s.Card)
		if len(vs) == 0 {
			return WalletView{}, parley.InvalidField("card", fmt.Sprintf("no rate card %q", *s.Card))
		}
		if vs[0].Currency != acct.Currency {
			return WalletView{}, parley.InvalidField("card", fmt.Sprintf("card %s is in %s, the wallet in %s", *s.Card, vs[0].Currency, acct.Currency))
		}
		if (vs[0].Regime == Conversation) != (biz.PricingModel == "CBP") {
			return WalletView{}, parley.InvalidField("card", fmt.Sprintf("card %s is a %s card and the business is on %s pricing", *s.Card, vs[0].Regime, biz.PricingModel))
		}
		a := CardAssignment{BusinessID: bizID, Card: *s.Card, From: (PeriodOf(bl.now()) + 1).Start()}
		if err := bl.st.SetBusinessCard(ctx, a); err != nil {
			return WalletView{}, fmt.Errorf("set business card: %w", err)
		}
		bl.mu.Lock()
		as := slices.DeleteFunc(bl.assign[bizID], func(o CardAssignment) bool { return o.From.Equal(a.From) })
		bl.assign[bizID] = append(as, a)
		sort.Slice(bl.assign[bizID], func(i, j int) bool { return bl.assign[bizID][i].From.Before(bl.assign[bizID][j].From) })
		bl.mu.Unlock()
	}
	if err := bl.st.PutBillingSettings(ctx, acct); err != nil {
		return WalletView{}, fmt.Errorf("put billing settings: %w", err)
	}
	return bl.Wallet(ctx, bizID)
}

// TopUp is a wallet top-up result.
type TopUp struct {
	ID       int64  `json:"id"`
	Amount   int64  `json:"amount_micros"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
	Ref      string `json:"provider_ref"`
	Balance  int64  `json:"balance_micros"`
}

// TopUp charges the payment method through the server's payment provider
// and credits the wallet, once per idempotency key. The amount must be a
// whole number of the currency's minor units. EInvalid for a bad amount;
// EPaymentDeclined when the provider refuses.
func (bl *Biller) TopUp(ctx context.Context, bizID, amount int64, method, key string) (TopUp, error) {
	if _, err := bl.payer(ctx, bizID); err != nil {
		return TopUp{}, err
	}
	acct, err := bl.Account(ctx, bizID)
	if err != nil {
		return TopUp{}, err
	}
	minor := RoundMinor(amount, acct.Currency)
	if amount <= 0 || MinorToMicros(minor, acct.Currency) != amount {
		return TopUp{}, parley.InvalidField("amount_micros", "amount_micros must be a positive whole number of the currency's minor units")
	}
	if amount > 1_000_000*Micro {
		return TopUp{}, parley.InvalidField("amount_micros", "a top-up is at most 1,000,000 units of the currency")
	}
	if method == "" {
		return TopUp{}, parley.InvalidField("payment_method", "payment_method is required")
	}
	if key == "" || len(key) > 128 {
		return TopUp{}, parley.InvalidField("idempotency_key", "idempotency_key is required, at most 128 characters")
	}
	txKey := fmt.Sprintf("top_up:%d:%s", bizID, key)
	ref, err := bl.payments.Charge(ctx, money.PaymentCharge{Key: txKey, Method: method,
		Amount: money.Money{Minor: minor, Currency: acct.Currency}, Description: fmt.Sprintf("Parley wallet top-up, business %d", bizID)})
	if err != nil {
		return TopUp{}, err
	}
	t := &WalletTx{BusinessID: bizID, Key: txKey, Kind: "top_up", Amount: amount, Currency: acct.Currency, Ref: ref, At: bl.now()}
	if _, err := bl.st.AddWalletTx(ctx, t); err != nil {
		return TopUp{}, fmt.Errorf("add wallet tx: %w", err)
	}
	a, err := bl.Account(ctx, bizID)
	if err != nil {
		return TopUp{}, err
	}
	return TopUp{ID: t.ID, Amount: amount, Currency: acct.Currency, Status: "succeeded", Ref: ref, Balance: a.Balance}, nil
}

// Adjust credits (or, negative, debits) a wallet by the operator's hand.
func (bl *Biller) Adjust(ctx context.Context, bizID, amount int64, note, key string) (WalletTx, error) {
	if _, err := bl.payer(ctx, bizID); err != nil {
		return WalletTx{}, err
	}
	if amount == 0 {
		return WalletTx{}, parley.InvalidField("amount_micros", "amount_micros must not be 0")
	}
	if strings.TrimSpace(note) == "" {
		return WalletTx{}, parley.InvalidField("note", "an adjustment needs a note")
	}
	acct, err := bl.Account(ctx, bizID)
	if err != nil {
		return WalletTx{}, err
	}
	if key == "" {
		key = randomHex(8)
	}
	t := WalletTx{BusinessID: bizID, Key: fmt.Sprintf("adjustment:%d:%s", bizID, key), Kind: "adjustment", Amount: amount,
		Currency: acct.Currency, Note: note, At: bl.now()}
	_, err = bl.st.AddWalletTx(ctx, &t)
	return t, err
}

// Transactions lists a wallet's top-ups, credit notes and adjustments.
func (bl *Biller) Transactions(ctx context.Context, bizID, before int64, limit int) ([]WalletTx, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	return bl.st.ListWalletTx(ctx, bizID, before, limit)
}

// CheckLowBalance tells the business (Deps.NotifyLowBalance) once each
// time its balance falls below its threshold; it re-arms when a top-up
// lifts the balance. Call it after a batch with a charged amount
// committed.
func (bl *Biller) CheckLowBalance(ctx context.Context, bizID int64) error {
	a, err := bl.st.GetBillingAccount(ctx, bizID)
	if parley.ErrorCode(err) == parley.ENotFound {
		return nil
	} else if err != nil {
		return err
	}
	if a.LowBalance == 0 || a.LowNotified || a.Balance >= a.LowBalance {
		return nil
	}
	if err := bl.st.SetLowNotified(ctx, bizID, true); err != nil {
		return err
	}
	return bl.notify(ctx, bizID, LowBalance{Balance: a.Balance, Threshold: a.LowBalance, Currency: a.Currency, Mode: a.Mode, At: bl.now()})
}

// RateCardInfo describes a card version.
type RateCardInfo struct {
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Regime    string    `json:"regime"`
	Currency  string    `json:"currency"`
	Effective time.Time `json:"effective"`
	Source    string    `json:"source"` // builtin | operator
	Markets   []string  `json:"markets"`
}

func cardInfo(c *Card) RateCardInfo {
	src := c.Source
	if src != "operator" {
		src = "builtin"
	}
	return RateCardInfo{Name: c.Name, Version: c.Version, Regime: string(c.Regime), Currency: c.Currency, Effective: c.EffectiveFrom,
		Source: src, Markets: c.Markets()}
}

// RateCards lists every card version.
func (bl *Biller) RateCards(ctx context.Context) ([]RateCardInfo, error) {
	cat, err := bl.catalog(ctx)
	if err != nil {
		return nil, err
	}
	var out []RateCardInfo
	for _, n := range cat.Names() {
		for _, c := range cat.Versions(n) {
			out = append(out, cardInfo(c))
		}
	}
	return out, nil
}

// RateCardText returns the text of a card version.
func (bl *Biller) RateCardText(ctx context.Context, name string, version int) (string, error) {
	recs, err := bl.st.ListRateCards(ctx)
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if r.Name == name && r.Version == version {
			return r.Text, nil
		}
	}
	if t, ok := BuiltinText(name, version); ok {
		return t, nil
	}
	return "", &parley.Error{Code: parley.ENotFound, Message: fmt.Sprintf("no rate card %s version %d", name, version)}
}

// AddRateCard validates a card version and stores it. A card that does
// not parse is EInvalid with the wrong line in Details["line"]; a
// version that takes effect sooner than the notice, or that is out of
// step with the card's other versions, is EInvalid; an existing version
// is EConflict.
func (bl *Biller) AddRateCard(ctx context.Context, text string) (RateCardInfo, error) {
	c, err := Parse(text)
	if err != nil {
		var le *LineError
		if errors.As(err, &le) {
			return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: "rate card refused: " + err.Error(), Details: map[string]any{"line": le.Line}}
		}
		return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: "rate card refused: " + err.Error()}
	}
	now := bl.now()
	if !c.EffectiveFrom.After(now.Add(bl.cfg.Notice)) {
		return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("rate card refused: a new version must take effect after %s (rates are announced in advance)",
			now.Add(bl.cfg.Notice).UTC().Format(time.RFC3339)), Details: map[string]any{"field": "effective"}}
	}
	if c.Currency != bl.cfg.Currency {
		return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: fmt.Sprintf("rate card refused: the currency is %s; this server bills in %s", c.Currency, bl.cfg.Currency),
			Details: map[string]any{"field": "currency"}}
	}
	if err := bl.load(ctx); err != nil {
		return RateCardInfo{}, err
	}
	bl.mu.Lock()
	defer bl.mu.Unlock()
	for _, o := range bl.cat.Versions(c.Name) {
		if o.Version == c.Version {
			return RateCardInfo{}, &parley.Error{Code: parley.EConflict, Message: fmt.Sprintf("rate card %s version %d exists; add a new version", c.Name, c.Version)}
		}
	}
	next, err := NewCatalog()
	if err != nil {
		return RateCardInfo{}, err
	}
	for _, n := range bl.cat.Names() {
		for _, o := range bl.cat.Versions(n) {
			if err := next.Add(o); err != nil {
				return RateCardInfo{}, err
			}
		}
	}
	c.Source = "operator"
	if err := next.Add(c); err != nil {
		return RateCardInfo{}, &parley.Error{Code: parley.EInvalid, Message: "rate card refused: " + err.Error()}
	}
	if err := bl.st.PutRateCard(ctx, RateCardRecord{Name: c.Name, Version: c.Version, Text: text, Effective: c.EffectiveFrom, CreatedAt: now}); err != nil {
		return RateCardInfo{}, fmt.Errorf("put rate card: %w", err)
	}
	bl.cat = next
	return cardInfo(c), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
