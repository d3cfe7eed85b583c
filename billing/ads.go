package billing

import (
	"context"
	"fmt"
	"time"
)

// Ad spend in the rated ledger (docs/ADS.md, "Billing"). The ads context
// settles each campaign-day of a business once; the Biller records it as
// one charge of category CategoryAds, which the invoice run sums into its
// own invoice line, the wallet pays and an "ads" budget cap limits. The
// price is the auction's, not a rate card's: the charge carries it, as the
// money events of the usage ledger carry theirs.

// CategoryAds is the rated ledger's category of ad spend.
const CategoryAds Category = "ads"

// ReasonAds says a charge is a campaign-day's ad spend, priced by the
// auction.
const ReasonAds Reason = "ad_auction"

// AdCharge is one campaign-day's spend of a business. Key is its
// idempotency key; Quantity the billed impressions and clicks.
type AdCharge struct {
	Key        string
	BusinessID int64
	Amount     int64 // micros
	Currency   string
	Quantity   int64
	Ref        string
	At         time.Time
}

// ChargeAds records a business's ad spend once per key: a charge of
// category ads in the rated ledger (so the month's invoice has an ads
// line) and the wallet debit, in one transaction. The spend was allowed
// while the wallet and the ads budget cap had room (FundsFor), so it is
// recorded even if the balance has fallen since: an ad shown is owed.
func (bl *Biller) ChargeAds(ctx context.Context, a AdCharge) error {
	if a.Amount <= 0 {
		return nil
	}
	if _, err := bl.payer(ctx, a.BusinessID); err != nil {
		return err
	}
	c := Charge{Key: a.Key, BusinessID: a.BusinessID, Card: "ads", Version: 1, Period: PeriodOf(a.At), Category: CategoryAds,
		Country: "", Market: "*", Tier: -1, TierLabel: "", Amount: a.Amount, Currency: a.Currency, Reason: ReasonAds, At: a.At}
	if _, err := bl.st.CommitAdCharge(ctx, c); err != nil {
		return fmt.Errorf("commit ad charge: %w", err)
	}
	s := bl.state(a.BusinessID)
	s.mu.Lock()
	s.month = nil // the stored charges are the truth; the month reloads
	s.mu.Unlock()
	return nil
}

// FundsFor returns nil when a business may spend on cat now: a prepaid
// wallet needs a positive balance (a credit wallet its credit), and the
// month's spend on cat must be under its budget cap, if it has one. Else
// a *Refusal.
func (bl *Biller) FundsFor(ctx context.Context, bizID int64, cat Category) error {
	acct, err := bl.Account(ctx, bizID)
	if err != nil {
		return err
	}
	switch acct.Mode {
	case WalletPrepaid:
		if acct.Balance <= 0 {
			return &Refusal{Reason: RefusalBalance, Detail: fmt.Sprintf("insufficient balance: %s %s; top up the wallet", acct.Currency, FormatMicros(acct.Balance))}
		}
	case WalletCredit:
		if acct.Balance <= -acct.CreditLimit {
			return &Refusal{Reason: RefusalBalance, Detail: "the credit limit is reached; top up the wallet"}
		}
	}
	if limit, ok := acct.BudgetCaps[string(cat)]; ok {
		p := PeriodOf(bl.now())
		ts, err := bl.st.ChargeTotals(ctx, bizID, p, p)
		if err != nil {
			return err
		}
		var spent int64
		for _, t := range ts {
			if t.Category == cat {
				spent += t.Amount
			}
		}
		if spent >= limit {
			return &Refusal{Reason: RefusalBudgetCap, Detail: fmt.Sprintf("the monthly %s budget cap of %s %s is reached", cat, acct.Currency, FormatMicros(limit))}
		}
	}
	return nil
}
