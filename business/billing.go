package business

import (
	"context"
	"errors"
	"fmt"

	"github.com/parleyhq/parley/billing"
)

// Business billing (docs/BILLING.md) is billing.Biller's: it rates the
// usage ledger live, quotes sends, keeps wallets and budget caps, and runs
// invoices. The business context builds it (New) with what only business
// knows, and drives its lock protocol from the send (Reserve, Check,
// Release) and the inbound paths (LockRating, RateLocked, Release,
// CheckLowBalance); see billing.Biller.LockRating. This file is the seam.

// MetaPaymentIssue is Meta's "Business eligibility payment issue": the
// code a refused paid send answers with (wallet or budget cap), and a
// declined top-up.
const MetaPaymentIssue = 131042

// Billing returns the biller.
func (b *Service) Billing() *billing.Biller { return b.bill }

// newBiller builds the business context's biller over its store.
func (b *Service) newBiller(cfg billing.Config) *billing.Biller {
	return billing.New(cfg, billing.Deps{Store: b.st, Payments: b.payments, Now: b.now,
		Payer: func(ctx context.Context, id int64) (billing.Payer, error) {
			biz, err := b.GetBusiness(ctx, id)
			return payer(biz), err
		},
		NotifyLowBalance: b.notifyLowBalance})
}

// payer is what billing knows of a business.
func payer(biz Business) billing.Payer {
	return billing.Payer{ID: biz.ID, Name: biz.Name, PricingModel: biz.PricingModel}
}

// notifyLowBalance enqueues the low-balance webhook (field
// account_update) of a business whose balance fell below its threshold.
func (b *Service) notifyLowBalance(ctx context.Context, bizID int64, n billing.LowBalance) error {
	v := map[string]any{"event": "LOW_BALANCE", "balance_micros": n.Balance, "threshold_micros": n.Threshold,
		"currency": n.Currency, "balance": billing.FormatMicros(n.Balance), "mode": n.Mode}
	w := newWebhook(b.now(), bizID, fmt.Sprintf("low_balance:%d:%d", bizID, n.At.UnixNano()), fmt.Sprintf("wallet:%d", bizID), "account_update", v)
	return b.enqueue(ctx, w)
}

// payment turns the biller's refusal of a paid send into Meta's 131042,
// the reason in error_data.details; other errors pass unchanged.
func payment(err error) error {
	var r *billing.Refusal
	if errors.As(err, &r) {
		return cloudErrDetails(MetaPaymentIssue, "Business eligibility payment issue", r.Detail)
	}
	return err
}
