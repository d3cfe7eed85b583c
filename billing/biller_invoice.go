package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley"
)

// InvoiceRun is the result of closing a period.
type InvoiceRun struct {
	Period   Period `json:"period"`
	Invoices int    `json:"invoices"`
	Total    int64  `json:"total_micros"`
	Currency string `json:"currency"`
	TookMS   int64  `json:"took_ms"`
}

func linesOf(ts []ChargeTotal) ([]Line, int64) {
	ls := make([]Line, 0, len(ts))
	var total int64
	for _, t := range ts {
		ls = append(ls, Line{Category: t.Category, Market: t.Market, Tier: t.Tier, Card: t.Card, Reason: t.Reason,
			Units: t.Units, Unit: t.Unit, Amount: t.Amount})
		total += t.Amount
	}
	slices.SortFunc(ls, func(a, b Line) int {
		return cmp.Or(cmp.Compare(slices.Index(Categories, a.Category), slices.Index(Categories, b.Category)),
			cmp.Compare(a.Market, b.Market), cmp.Compare(a.Card, b.Card), cmp.Compare(a.Tier, b.Tier),
			cmp.Compare(a.Reason, b.Reason), cmp.Compare(b.Unit, a.Unit))
	})
	return ls, total
}

// RunInvoices closes a period that has ended: every business with rated
// usage in it gets an invoice whose lines are its rated ledger summed by
// category, market, tier, card version and reason. The total is exact;
// TotalMinor rounds it once (RoundMinor). A period that has not
// ended, or was invoiced before, is EConflict: corrections of a closed
// period are credit notes.
func (bl *Biller) RunInvoices(ctx context.Context, p Period) (InvoiceRun, error) {
	start := time.Now()
	now := bl.now()
	if now.Before(p.End()) {
		return InvoiceRun{}, &parley.Error{Code: parley.EConflict, Message: fmt.Sprintf("period %s has not ended: it can be invoiced from %s", p, p.End().Format(time.RFC3339)),
			Details: map[string]any{"reason": "period_open", "period": p.String()}}
	}
	if closed, err := bl.st.InvoicePeriodClosed(ctx, p); err != nil {
		return InvoiceRun{}, err
	} else if closed {
		return InvoiceRun{}, periodClosed(p)
	}
	ts, err := bl.st.ChargeTotals(ctx, 0, p, p)
	if err != nil {
		return InvoiceRun{}, fmt.Errorf("charge totals: %w", err)
	}
	invs, total := BuildInvoices(p, ts, now)
	run := InvoiceRun{Period: p, Currency: bl.cfg.Currency, Total: total}
	if err := bl.st.CloseInvoicePeriod(ctx, p, invs, now); parley.ErrorCode(err) == parley.EConflict {
		return InvoiceRun{}, periodClosed(p)
	} else if err != nil {
		return InvoiceRun{}, fmt.Errorf("close invoice period: %w", err)
	}
	run.Invoices = len(invs)
	run.TookMS = time.Since(start).Milliseconds()
	return run, nil
}

// BuildInvoices turns a period's charge totals (ChargeTotals, ordered by
// business) into one invoice per business, and returns them with their
// grand total. It is the pure part of RunInvoices.
func BuildInvoices(p Period, ts []ChargeTotal, now time.Time) ([]*Invoice, int64) {
	var invs []*Invoice
	var all int64
	for i := 0; i < len(ts); {
		j := i
		for j < len(ts) && ts[j].BusinessID == ts[i].BusinessID {
			j++
		}
		lines, total := linesOf(ts[i:j])
		cur := ts[i].Currency
		invs = append(invs, &Invoice{BusinessID: ts[i].BusinessID, Period: p, Status: "closed", Currency: cur, Lines: lines,
			Total: total, TotalMinor: RoundMinor(total, cur), IssuedAt: now})
		all += total
		i = j
	}
	return invs, all
}

func periodClosed(p Period) error {
	return &parley.Error{Code: parley.EConflict, Message: fmt.Sprintf("period %s is invoiced and closed; correct it with a credit note", p),
		Details: map[string]any{"reason": "period_closed", "period": p.String()}}
}

// Invoices lists invoices of a business (0: all) and a period (0: all).
func (bl *Biller) Invoices(ctx context.Context, bizID int64, p Period) ([]Invoice, error) {
	invs, err := bl.st.ListInvoices(ctx, bizID, p)
	if invs == nil {
		invs = []Invoice{}
	}
	return invs, err
}

// Invoice returns an invoice; ENotFound if it is not the business's
// (bizID 0: any business's).
func (bl *Biller) Invoice(ctx context.Context, bizID, id int64) (Invoice, error) {
	in, err := bl.st.GetInvoice(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound || (err == nil && bizID != 0 && in.BusinessID != bizID) {
		return Invoice{}, &parley.Error{Code: parley.ENotFound, Message: "no such invoice", Details: map[string]any{"invoice_id": id}}
	}
	return in, err
}

// AddCreditNote corrects a closed invoice by crediting the business.
// EInvalid for an amount that is not positive or a missing reason.
func (bl *Biller) AddCreditNote(ctx context.Context, invoiceID, amount int64, reason string) (CreditNote, error) {
	if amount <= 0 {
		return CreditNote{}, parley.InvalidField("amount_micros", "amount_micros must be positive")
	}
	if strings.TrimSpace(reason) == "" || len(reason) > 500 {
		return CreditNote{}, parley.InvalidField("reason", "a credit note needs a reason of at most 500 characters")
	}
	in, err := bl.Invoice(ctx, 0, invoiceID)
	if err != nil {
		return CreditNote{}, err
	}
	if in.Credits+amount > in.Total {
		return CreditNote{}, parley.InvalidField("amount_micros", fmt.Sprintf("credits would exceed the invoice total of %s", FormatMicros(in.Total)))
	}
	n := CreditNote{InvoiceID: invoiceID, Amount: amount, Reason: strings.TrimSpace(reason), At: bl.now()}
	if err := bl.st.AddCreditNote(ctx, &n); err != nil {
		return CreditNote{}, fmt.Errorf("add credit note: %w", err)
	}
	return n, nil
}

// Charges pages through the rated ledger of a business (0: all) in a period.
func (bl *Biller) Charges(ctx context.Context, bizID int64, p Period, after int64, limit int) ([]StoredCharge, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	return bl.st.ListCharges(ctx, bizID, p, after, limit)
}
