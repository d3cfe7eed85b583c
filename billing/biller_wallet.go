package billing

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/parleyhq/parley"
	"github.com/parleyhq/parley/money"
)

// A business's wallet: its settings, top-ups, adjustments and the
// low-balance warning. docs/BILLING.md, "Wallets, budget caps and top-ups".

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
		if !slices.Contains(Categories, Category(cat)) && Category(cat) != CategoryAds {
			return WalletView{}, parley.InvalidField("budget_caps", fmt.Sprintf("unknown category %q: marketing, utility, authentication, service or ads", cat))
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
