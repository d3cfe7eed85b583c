package billing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
)

// The Biller: live rating at delivery, quotes and holds at send, and the
// lock protocol the business context drives (LockRating). Its wallets are
// in biller_wallet.go, its rate-card administration in biller_cards.go,
// invoices in biller_invoice.go, the dashboard, simulator and audit in
// biller_report.go.

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
	Category string `json:"category"`               // the priced category
	Billable bool   `json:"billable"`               // Meta's billable, as the status webhook says it (Pricing)
	Type     string `json:"pricing_type,omitempty"` // Meta's pricing type, as the status webhook says it
	Reason   string `json:"reason"`
	Card     string `json:"card,omitempty"`
	Version  int    `json:"card_version,omitempty"`
	Tier     string `json:"tier,omitempty"`
}

// Header writes the quote as the Parley-Price response header, an RFC
// 8941 dictionary: micros=68800, amount="0.0688", currency="USD",
// category="marketing", billable=?1, reason="template", type="regular"
// (type only when the message has a pricing type).
func (q Quote) Header() string {
	b := "?0"
	if q.Billable {
		b = "?1"
	}
	h := fmt.Sprintf(`micros=%d, amount="%s", currency="%s", category="%s", billable=%s, reason="%s"`,
		q.Amount, FormatMicros(q.Amount), q.Currency, q.Category, b, q.Reason)
	if q.Type != "" {
		h += `, type="` + q.Type + `"`
	}
	return h
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

// Pricing decides Meta's pricing object of a message's usage entry
// (Pricing) under the regime of the business's card in effect at e.At:
// the one decision that the status webhooks, the quotes and the ledger
// share.
func (bl *Biller) Pricing(ctx context.Context, biz Payer, e *UsageEntry) (pricingType string, billable bool, err error) {
	card, err := bl.cardAt(ctx, biz, e.At)
	if err != nil {
		return "", false, err
	}
	pricingType, billable = Pricing(card.Regime, e.Usage())
	return pricingType, billable, nil
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
		if e.Event != ConversationOpened {
			q.Type, q.Billable = Pricing(card.Regime, e.Usage())
		}
		if c.Amount > best {
			best = c.Amount
			q.Category, q.Reason, q.Card, q.Version, q.Tier = string(c.Category), string(c.Reason), c.Card, c.Version, c.TierLabel
		}
		q.Amount += c.Amount
		q.Currency = c.Currency
	}
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
